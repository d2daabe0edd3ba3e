"""How long a Mastodon server says a status is: graphemes, links at a fixed price, short mentions.

Mastodon's StatusLengthValidator counts the extended grapheme clusters of the content warning
followed by the text, after two rewrites of the text:

- every URL with an `http://` or `https://` scheme becomes `url_length` characters (the
  server's `characters_reserved_per_url`, 23 by default), however long or short it is;
- every mention `@user@domain` becomes `@user`: the domain is free.

The server finds those URLs with twitter-text's extractor, scheme required
(`extract_urls_with_indices(..., extract_url_without_protocol: false)`), and the mentions with
its own pattern; an entity overlapping an earlier one is dropped. The URLs here come from the
same finder as X's count (content.counting.x, checked against twitter-text itself), told to
keep only URLs with a scheme; the mention pattern is Mastodon's. A bare `example.com` is plain
text to Mastodon and counts in full.
"""

from __future__ import annotations

import regex

from content.counting.graphemes import count_graphemes
from content.counting.x import extract_urls

MASTODON_DEFAULT_LIMIT = 500

# Mastodon's Account::MENTION_RE: a username, then optionally "@" and a domain. Ruby's
# [[:word:]] is Python's Unicode \w.
_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[A-Za-z0-9_]+(?:[A-Za-z0-9_.-]+[A-Za-z0-9_]+)?)"
    r"(?P<domain>@[\w.-]+\w+)?"
)
# twitter-text's end_mention_match: a mention followed by one of these is not a mention.
_NOT_AFTER_MENTION = regex.compile(
    r"[@\uff20\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257"
    r"\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://"
)


def mastodon_length(text: str, *, url_length: int = 23, spoiler_text: str = "") -> int:
    """The length Mastodon checks against its limit (MASTODON_DEFAULT_LIMIT unless the server
    says otherwise): graphemes of `spoiler_text` (the content warning) and of `text`, with each
    http(s) URL counted as `url_length` and each `@user@domain` as `@user`."""
    if url_length < 0:
        raise ValueError(f"url_length must be 0 or more, got {url_length}")
    entities = sorted(_urls(text) + _mentions(text), key=lambda entity: entity[0])
    pieces: list[str] = [spoiler_text]
    last = 0
    placeholder = "x" * url_length
    for start, end, replacement in entities:
        if start < last:
            continue  # overlaps the entity before it, which wins, as on the server
        pieces.append(text[last:start])
        pieces.append(placeholder if replacement is None else replacement)
        last = end
    pieces.append(text[last:])
    # Counted as one string, as the server joins them: a cluster may span the seam.
    return count_graphemes("".join(pieces))


def _urls(text: str) -> list[tuple[int, int, str | None]]:
    return [(start, end, None) for start, end in extract_urls(text, with_bare=False)]


def _mentions(text: str) -> list[tuple[int, int, str | None]]:
    found: list[tuple[int, int, str | None]] = []
    for match in _MENTION.finditer(text):
        end: int = match.end()
        if _NOT_AFTER_MENTION.match(text, end):
            continue
        if match.group("domain") is None:
            continue  # "@user" already counts as itself
        user: str = match.group("user")
        found.append((match.start(), end, "@" + user))
    return found
