"""Facebook Page: one post of about 63,206 characters, up to 10 photos of 4 MB.

Both numbers are unverified (../shared/PLATFORMS.md, "Facebook Page"): the length is a
community figure, and the 4 MB budget is the smaller of Meta's "under 10 MB" and a peer's
error 1366046 "smaller than 4 MB". A Page's handle is the author's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from content.links import placement, read_link_options
from content.networks.base import (
    BrandSection,
    ImageRules,
    NetworkRules,
    Options,
    Problems,
    code_points,
)

MB = 1_000_000


def parse_options(section: Mapping[str, Any], problems: Problems) -> Options:
    """The brand's [facebook] section: the link in the post (Facebook shows a preview card) or
    in a first comment under it (a Page may comment on its own posts: PLATFORMS.md)."""
    return read_link_options(section, problems, ("post", "comment"))


RULES = NetworkRules(
    name="facebook",
    display="Facebook",
    limit=63206,
    unit="characters",
    measure=code_points,
    thread=False,
    max_hashtags=3,
    images=ImageRules(size=(1200, 630), max_bytes=4 * MB, max_images=10, alt_limit=1000),
    brand_section=BrandSection(frozenset({"link"}), parse_options),
    link=placement,
    # Code 506 for a post identical to the last one (PLATFORMS.md, "Facebook Page").
    refuses_duplicates=True,
)
