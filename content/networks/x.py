"""X (Twitter): 280 weighted characters, threads of replies, 4 images.

Counting is twitter-text v3's weighted length (`content.counting.twitter_text`, checked against the
conformance suite): URLs 23, emoji sequences 2, CJK 2, on the NFC form of the text; a
non-character makes a post invalid (content/text.py refuses those for every network).
Sources: ../shared/PLATFORMS.md, "X".
X refuses a text it has already been sent (403 duplicate content), which is why a closing part
of its own also carries the link: no two posts' closing parts are then the same text.
"""

from __future__ import annotations

from content.counting.twitter_text import weighted_length
from content.networks.base import ImageRules, NetworkRules

MB = 1_000_000

RULES = NetworkRules(
    name="x",
    display="X",
    limit=280,
    unit="weighted characters",
    measure=weighted_length,
    thread=True,
    max_hashtags=2,
    images=ImageRules(size=(1600, 900), max_bytes=5 * MB, max_images=4, alt_limit=1000),
    # 403 "duplicate content" for a text already sent (PLATFORMS.md, "X").
    refuses_duplicates=True,
)
