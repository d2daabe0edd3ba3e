"""Threads (Meta): how it counts a post, its 500-character limit and its limit of 5 distinct links.

Meta's Threads API documents two facts only: "Text posts are limited to 500 characters" and
"Emojis are counted as the number of UTF-8 bytes". What a "character" is otherwise is not
said, so `threads_length` takes the reading that never counts less than Meta could:

- an emoji (any cluster holding a pictographic code point, a flag's regional indicators, a
  keycap mark or the emoji variation selector) counts its UTF-8 bytes, as documented: 😀 is
  4, a ZWJ family of four is 25;
- anything else counts UTF-16 code units, as Java, JavaScript and most "character" counters
  do: one for most text, CJK included, two for a code point outside the BMP (the "bold"
  mathematical letters people paste into posts).

Every unit here is at least a code point, so a text this calls 500 or less is within the
limit whichever way Meta counts it.

Links: "All unique URLs found in the text field are counted as links", bare `www.example.com`
included. `count_links` finds http(s) URLs and bare domains with a known top-level domain and
counts distinct ones as written, so `example.com` and `https://example.com` are two; again
this can only over-count.
"""

from __future__ import annotations

import regex

from content.counting.graphemes import utf8_length
from content.counting.richtext import has_known_tld
from content.networks.base import ImageRules, NetworkRules

THREADS_LIMIT = 500
THREADS_MAX_LINKS = 5

_GRAPHEME = regex.compile(r"\X")
_ASTRAL = regex.compile(r"[\U00010000-\U0010FFFF]")
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3\ufe0f]")

# A schemed URL runs to the next space; a bare domain is dot-separated labels, not glued to a
# word, an address ("me@example.com") or a path, then an optional path. The labels are taken
# whole (possessive: no backtracking, so a long "a.a.a..." stays linear) and checked after.
_LINK = regex.compile(
    r"(?<![\w@.\-/])"
    r"(?:[hH][tT][tT][pP][sS]?://\S+"
    r"|(?P<domain>[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++)(?![\w@])(?:[/?#:]\S*)?)"
)
_LABEL = regex.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_SCHEME_ONLY = regex.compile(r"[hH][tT][tT][pP][sS]?://")
_TRAILING = ".,;:!?'\"*"


def threads_length(text: str) -> int:
    """The length of `text` against THREADS_LIMIT: emoji by UTF-8 bytes, the rest by UTF-16."""
    if text.isascii():
        return len(text)  # no emoji and no astral code points: one unit per character
    if not _EMOJI.search(text):  # prose with accents or dashes: UTF-16 units, no cluster walk
        return len(text) + len(_ASTRAL.findall(text))
    total = 0
    for match in _GRAPHEME.finditer(text):
        cluster: str = match.group()
        if _EMOJI.search(cluster):
            total += utf8_length(cluster)
        else:
            total += sum(2 if ord(char) > 0xFFFF else 1 for char in cluster)
    return total


def count_links(text: str) -> int:
    """How many distinct links Threads will see in `text` (it refuses more than 5)."""
    return len(set(_find_links(text)))


def _find_links(text: str) -> list[str]:
    links: list[str] = []
    for match in _LINK.finditer(text):
        domain: str | None = match.group("domain")
        if domain is not None and not (
            has_known_tld(domain) and all(_LABEL.fullmatch(label) for label in domain.split("."))
        ):
            continue  # "file.txt", "e.g.", "-x.com" and version numbers are not links
        start: int = match.start()
        end: int = match.end()
        while end > start:
            last = text[end - 1]
            if last in _TRAILING or (
                last == ")" and text.count("(", start, end) < text.count(")", start, end)
            ):
                end -= 1
            else:
                break
        link = text[start:end]
        if domain is None and _SCHEME_ONLY.fullmatch(link):
            continue
        links.append(link)
    return links


def too_many_links(text: str) -> str | None:
    links = count_links(text)
    if links > THREADS_MAX_LINKS:
        return f"{links} links, over Threads' {THREADS_MAX_LINKS}"
    return None


# Images: JPEG or PNG, 8 MB, 320-1440 px wide (unverified), fetched by Meta from a public URL
# at container creation (so a post with images needs a media host); up to 10 in a carousel.
# Threads makes links in the text clickable: no link choice. Sources: ../shared/PLATFORMS.md,
# "Threads (Meta)" and "Public media for Meta".
RULES = NetworkRules(
    name="threads",
    display="Threads",
    limit=THREADS_LIMIT,
    unit="characters",
    measure=threads_length,
    refuses=too_many_links,
    thread=True,
    max_hashtags=1,  # Threads shows one topic tag per post
    images=ImageRules(size=(1080, 1350), max_bytes=8 * 1_000_000, max_images=10, alt_limit=1000,
                      fetched_from_address=True),
)
