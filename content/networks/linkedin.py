"""LinkedIn: one post of 3000 characters, written in "little text" markup (escaping, hashtags).

The Posts API reads `commentary` as little text, where `\\ | { } @ [ ] ( ) < > # * _ ~` are
markup. An unescaped one does not fail the request: LinkedIn publishes the post cut off at
that character. So every plain text is escaped before it is sent, and hashtags are written
with the hashtag template `{hashtag|\\#|word}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import regex

from content.links import placement, read_link_options
from content.networks.base import BrandSection, ImageRules, NetworkRules, Options, Problems

# Documented at 3000 characters by third parties only; a configurable default, not a fact.
LINKEDIN_LIMIT = 3000

_RESERVED = frozenset("\\|{}@[]()<>#*_~")
_ESCAPED = regex.compile(r"\\(.)", flags=regex.DOTALL)
_HASHTAG_WORD = regex.compile(r"[^\s\\|{}@\[\]()<>#*~]+")


def escape_little_text(text: str) -> str:
    """`text` with each little-text reserved character backslash-escaped: shown as written."""
    if not any(char in _RESERVED for char in text):
        return text
    return "".join("\\" + char if char in _RESERVED else char for char in text)


def unescape_little_text(text: str) -> str:
    """The inverse of escape_little_text: each backslash-escaped character as itself."""
    unescaped: str = _ESCAPED.sub(r"\1", text)
    return unescaped


def hashtag(word: str) -> str:
    """The little-text hashtag template for `word` ("#" optional): `{hashtag|\\#|word}`."""
    bare = word[1:] if word.startswith(("#", "\uff03")) else word
    if not _HASHTAG_WORD.fullmatch(bare):
        raise ValueError(
            f'"{word}" cannot be a LinkedIn hashtag: write one word without spaces or '
            "any of | { } @ [ ] ( ) < > # * ~ \\"
        )
    # "_" is reserved too, but a tag may hold one (#open_source): escaped, it stays a character.
    return "{hashtag|\\#|" + escape_little_text(bare) + "}"


def linkedin_length(commentary: str) -> int:
    """The length of the author's plain `commentary` once escaped for LinkedIn.

    Counted on the escaped form, backslashes included, and in UTF-16 code units: LinkedIn does
    not say whether either counts, and counting both can only over-estimate.
    """
    escaped = escape_little_text(commentary)
    return len(escaped) + sum(1 for char in escaped if ord(char) > 0xFFFF)


def utf16_units(text: str) -> int:
    """The length of text already escaped: LinkedIn does not say what it counts, and UTF-16
    units can only over-estimate."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def parse_options(section: Mapping[str, Any], problems: Problems) -> Options:
    """The brand's [linkedin] section: the link in the post (LinkedIn draws its preview) or in
    a first comment under it, which some authors prefer because LinkedIn is said to show
    posts with links to fewer people (a member may comment on her own posts)."""
    return read_link_options(section, problems, ("post", "comment"))


# Images: JPG, GIF or PNG, up to 20 in a multi-image post (../shared/PLATFORMS.md); the 9
# images and the 5 MB budget are Crier's own cautious defaults. A member's handle is her name.
RULES = NetworkRules(
    name="linkedin",
    display="LinkedIn",
    limit=LINKEDIN_LIMIT,
    unit="characters",
    measure=utf16_units,  # of the escaped commentary: conservative
    thread=False,
    max_hashtags=5,
    escape=escape_little_text,
    render_hashtag=hashtag,
    images=ImageRules(size=(1200, 627), max_bytes=5 * 1_000_000, max_images=9, alt_limit=1000),
    brand_section=BrandSection(frozenset({"link"}), parse_options),
    link=placement,
    # 422 DUPLICATE_POST for content already posted (PLATFORMS.md, "LinkedIn").
    refuses_duplicates=True,
)
