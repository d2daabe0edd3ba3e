"""Bluesky: 300 graphemes and 3000 UTF-8 bytes, facets sent by the client, 4 images of 1 MB.

The server parses nothing: the client counts (lexicon `app.bsky.feed.post`) and sends the
links, mentions and tags as facets by UTF-8 byte offsets (`content.counting.richtext` follows
the reference client's detection). Images: stay at or below 1,000,000 bytes, which older
servers enforce. Sources: ../shared/PLATFORMS.md, "Bluesky".
"""

from __future__ import annotations

from content.counting.graphemes import count_graphemes
from content.counting.richtext import POST_BYTES, POST_GRAPHEMES, Facet, detect_facets
from content.networks.base import ImageRules, NetworkRules

MB = 1_000_000


def facets(text: str) -> tuple[Facet, ...]:
    return tuple(detect_facets(text))


RULES = NetworkRules(
    name="bluesky",
    display="Bluesky",
    limit=POST_GRAPHEMES,
    unit="graphemes",
    measure=count_graphemes,
    byte_limit=POST_BYTES,
    thread=True,
    max_hashtags=3,
    facets=facets,
    images=ImageRules(size=(1600, 900), max_bytes=1 * MB, max_images=4, alt_limit=2000),
)
