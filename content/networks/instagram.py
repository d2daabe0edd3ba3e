"""Instagram: a caption of 2,200 characters and 30 hashtags, under an image it requires.

Sources: ../shared/PLATFORMS.md, "Instagram": no text-only posts; JPEG only; aspect ratio from
4:5 to 1.91:1 and 320-1440 px wide (error 2207009 otherwise); 8 MB.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from content.links import LINK_KEYS, placement, read_link_options
from content.networks.base import (
    BrandSection,
    ImageRules,
    NetworkRules,
    Options,
    Problems,
    code_points,
)

MB = 1_000_000
MAX_HASHTAGS = 30
RATIOS = (4 / 5, 1.91)  # width / height, the narrowest and the widest
WIDTHS = (320, 1440)

_TAG = re.compile(r"(?:^|\s)#\w")


def too_many_tags(text: str) -> str | None:
    tags = len(_TAG.findall(text))
    return f"{tags} hashtags, over Instagram's {MAX_HASHTAGS}" if tags > MAX_HASHTAGS else None


def refused_shape(size: tuple[int, int]) -> str | None:
    width, height = size
    low, high = RATIOS
    # The tolerance keeps a shape exactly at either end (1080x1350 is 4:5) from rounding out.
    if low - 1e-3 <= width / height <= high + 1e-3 and WIDTHS[0] <= width <= WIDTHS[1]:
        return None
    return ("Instagram takes images 320 to 1440 px wide with a shape from 4:5 to 1.91:1; "
            "use [1080, 1350] or [1080, 1080]")


def parse_options(section: Mapping[str, Any], problems: Problems) -> Options:
    """The brand's [instagram] section: where the link goes. Captions do not make links
    clickable (PLATFORMS.md, "Instagram": the "link in bio" convention), so the author may move
    it to a first comment or replace it with her "link in bio" text."""
    return read_link_options(section, problems, ("post", "comment", "bio"))


RULES = NetworkRules(
    name="instagram",
    display="Instagram",
    limit=2200,
    unit="characters",
    measure=code_points,
    refuses=too_many_tags,
    thread=False,
    max_hashtags=MAX_HASHTAGS,
    images=ImageRules(size=(1080, 1350), max_bytes=8 * MB, max_images=10, alt_limit=1000,
                      formats=("JPEG",), required=True, size_problem=refused_shape,
                      fetched_from_address=True),  # Meta fetches image_url at creation
    brand_section=BrandSection(LINK_KEYS, parse_options),
    link=placement,
)
