"""X (Twitter): 280 weighted characters, threads of replies, 4 images.

Counting is twitter-text v3's weighted length (`content.counting.twitter_text`, checked against the
conformance suite): URLs 23, emoji sequences 2, CJK 2, on the NFC form of the text; a
non-character makes a post invalid (content/text.py refuses those for every network).
Sources: ../shared/PLATFORMS.md, "X".
X refuses a text it has already been sent (403 duplicate content), which is why a closing part
of its own also carries the link: no two posts' closing parts are then the same text.
An account that may post longer (X Premium) says so in the brand's `[x]` section, `limit =
25000`: fewer, longer parts, counted the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from content.counting.twitter_text import weighted_length
from content.networks.base import BrandSection, ImageRules, NetworkRules, Options, Problems

MB = 1_000_000
LIMIT = 280
# X Premium's longest post, in the same weighted characters (unverified: X's help pages, not
# PLATFORMS.md): a brand limit above it would have X refuse every long part.
LONGEST = 25_000


def parse_options(section: Mapping[str, Any], problems: Problems) -> Options:
    """The brand's [x] section: the account's own limit, for accounts that may post longer."""
    limit = section.get("limit")
    if limit is None:
        return {}
    if isinstance(limit, bool) or not isinstance(limit, int) or not LIMIT <= limit <= LONGEST:
        problems.append(("limit", f"must be a whole number from {LIMIT} to {LONGEST} (weighted "
                                  "characters; more than 280 needs an account that may post "
                                  "longer)"))
        return {}
    return {"limit": limit}


def account_limit(rules: NetworkRules, options: Options) -> NetworkRules:
    limit = options.get("limit")
    return rules.with_limit(int(limit)) if limit else rules

RULES = NetworkRules(
    name="x",
    display="X",
    limit=LIMIT,
    unit="weighted characters",
    measure=weighted_length,
    thread=True,
    max_hashtags=2,
    images=ImageRules(size=(1600, 900), max_bytes=5 * MB, max_images=4, alt_limit=1000),
    brand_section=BrandSection(frozenset({"limit"}), parse_options),
    account=account_limit,
    # 403 "duplicate content" for a text already sent (PLATFORMS.md, "X").
    refuses_duplicates=True,
)
