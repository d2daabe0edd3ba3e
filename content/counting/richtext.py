"""AT Protocol rich text: a post's length limits and its facets (links, mentions, tags).

The server does not parse a post: the client measures it (300 graphemes and 3000 UTF-8
bytes, lexicon `app.bsky.feed.post`) and sends `facets` that point into the text by UTF-8 byte
offsets. Detection is the reference client's (`detectFacets` in npm `@atproto/api` 0.19.19,
checked text by text in tests/differential), so a post made by Crier links the same spans the
reference app would, odd corners included:

- mention: `@handle`, preceded by the start, a space or `(`, of ASCII letters, digits, `.` and
  `-` up to an ASCII word boundary; it counts when it ends in `.` + a TLD of the npm `tlds` list,
  compared case-sensitively (`@bob.COM` is no mention), or in `.test`. No other handle syntax
  is checked.
- link: after the start, a space or `(`: `http://` or `https://` in lower case and everything up
  to the next space, or a bare `domain.tld` (ASCII letters and digits) and everything up to the
  next space, when the whole greedy domain ends in a listed TLD (case-sensitively again). A bare
  domain gets `https://`, unless it starts with "http" ("httpbin.org" stays as written, and is
  not checked against the TLDs). `HTTPS://...` is no link at all. At most one trailing
  `. , ; : ! ?` is dropped, then one trailing `)` when the link has no `(`.
- hashtag: `#` or full-width `＃` after the start or a space, up to the next space or
  zero-width character; not all digits and punctuation; trailing punctuation dropped; at most
  64 UTF-16 code units (a longer one is no tag at all); `#` followed by U+FE0F is a keycap
  emoji, not a tag.
- cashtag: `$` + a letter + up to 4 letters or digits, after the start, a space or `(`, and
  followed by the end, a space or `. , ; : ! ? ) " ' ’`; it becomes a tag `$AAPL`, upper-cased.

Facets may overlap, as the reference's do (a tag running into a link, a mention inside a link):
each rule runs over the whole text on its own. They come sorted by byte_start; facets starting
at the same byte keep the reference's order (mentions, links, tags, cashtags).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

from content.counting.graphemes import count_graphemes, utf8_length
from content.counting.richtext_tlds import TLDS

POST_GRAPHEMES = 300  # the post lexicon's limits
POST_BYTES = 3000
TAG_MAX_LENGTH = 64  # UTF-16 code units, as the reference measures a tag
TAG_MAX_GRAPHEMES = TAG_MAX_LENGTH  # the lexicon's name for the limit; see TAG_MAX_LENGTH

FacetKind = Literal["link", "mention", "tag"]

# The reference client runs in JavaScript, whose `\s` is this set (it differs from Python's:
# JS counts U+FEFF as a space and does not count U+001C..U+001F or U+0085). Kept as a class
# body so every rule below agrees on what separates words.
_SPACE = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

# Invisible characters that end a hashtag: a tag must not swallow text the reader cannot see.
_ZERO_WIDTH = r"\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"

# `(?<![^...])` reads "preceded by the start of the text or by one of ...". The reference
# consumes that character instead; no rule's match can end on a space or "(" that a next
# match would need, so the two read the same.
_MENTION = regex.compile(
    rf"(?<![^{_SPACE}(])@([a-zA-Z0-9.-]+)\b",
    # JS without the `u` flag has an ASCII `\b`: "@alice.comé" still mentions alice.com.
    flags=regex.ASCII,
)
# The reference's pattern is case-insensitive without the `u` flag: ASCII letters only.
_LINK = regex.compile(
    rf"(?<![^{_SPACE}(])"
    rf"(?:[hH][tT][tT][pP][sS]?://[^{_SPACE}]+"
    rf"|(?P<domain>[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)+)[^{_SPACE}]*)"
)
_TAG = regex.compile(rf"(?<![^{_SPACE}])[#\uff03](?!\ufe0f)([^{_SPACE}{_ZERO_WIDTH}]+)")
# JS `\d` is ASCII even with the `u` flag; `\p{P}` is Unicode punctuation in both.
_TAG_HAS_WORD = regex.compile(r"[^0-9\p{P}]")
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+\Z")
_CASHTAG = regex.compile(
    rf"(?<![^{_SPACE}(])\$([A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_SPACE}.,;:!?)\"'\u2019]|\Z)"
)
_LINK_TRAILING = ".,;:!?"
_TLD_SET = frozenset(TLDS)


@dataclass(frozen=True)
class Facet:
    """One detected span: UTF-8 byte offsets into the text (end exclusive) and what it means."""

    byte_start: int
    byte_end: int
    kind: FacetKind
    # link: the full URI; mention: the handle without "@"; tag: without "#" ("$AAPL" for a
    # cashtag, whose "$" is part of the tag).
    value: str

    def to_record(self, did: str | None = None) -> dict[str, object]:
        """The `app.bsky.richtext.facet` object; a mention needs its handle resolved to `did`."""
        feature: dict[str, object]
        if self.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": self.value}
        elif self.kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": self.value}
        else:
            if not did:
                raise ValueError(
                    f"the mention @{self.value} needs its DID: resolve the handle with "
                    "com.atproto.identity.resolveHandle and pass did=..."
                )
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        return {
            "index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
            "features": [feature],
        }


def post_length(text: str) -> tuple[int, int]:
    """(graphemes, UTF-8 bytes) of `text`: the lexicon limits both."""
    return count_graphemes(text), utf8_length(text)


def fits_post(text: str) -> bool:
    """True when `text` is within both of the lexicon's limits (300 graphemes, 3000 bytes)."""
    # The byte test is cheap and settles most over-long texts before segmentation.
    if utf8_length(text) > POST_BYTES:
        return False
    return count_graphemes(text) <= POST_GRAPHEMES


def has_known_tld(domain: str) -> bool:
    """True when the last label of `domain` is a top-level domain of the reference's list.

    Case does not matter (DNS compares without it), and an `xn--` TLD is checked in its Unicode
    form. Detection itself is stricter, as the reference is: see `_reference_domain`.
    """
    tld = domain.rstrip(".").rpartition(".")[2].lower()
    if not tld:
        return False
    if tld in _TLD_SET:
        return True
    if tld.startswith("xn--"):
        try:
            return tld.encode("ascii").decode("idna") in _TLD_SET
        except UnicodeError:
            return False
    return False


def _reference_domain(domain: str) -> bool:
    """The reference's `isValidDomain`: `domain` ends in "." and a listed TLD, case-sensitively.

    The list holds lower-case names and Unicode forms only, so "Example.COM" and
    "example.xn--p1ai" do not qualify; the reference client links neither.
    """
    dot = domain.rfind(".")
    # A TLD has no "." in it: the one after the last dot is the only candidate.
    return dot >= 0 and domain[dot + 1 :] in _TLD_SET


def detect_facets(text: str) -> list[Facet]:
    """Links, mentions, hashtags and cashtags in `text`, as the reference client finds them.

    Sorted by byte_start; facets may overlap (the reference's do).
    """
    spans = _mentions(text) + _links(text) + _tags(text) + _cashtags(text)
    # Stable, like the reference's Array.prototype.sort: equal starts keep the finders' order.
    spans.sort(key=lambda span: span[0])
    to_bytes = _byte_offsets(text, [i for start, end, _, _ in spans for i in (start, end)])
    return [Facet(to_bytes[start], to_bytes[end], kind, value) for start, end, kind, value in spans]


def _byte_offsets(text: str, indices: list[int]) -> dict[int, int]:
    """UTF-8 byte offset of each code-point offset in `indices`, in one pass over the text."""
    offsets: dict[int, int] = {}
    position = size = 0
    for index in sorted(set(indices)):
        size += utf8_length(text[position:index])
        position = index
        offsets[index] = size
    return offsets


def _links(text: str) -> list[tuple[int, int, FacetKind, str]]:
    spans: list[tuple[int, int, FacetKind, str]] = []
    for match in _LINK.finditer(text):
        written: str = match.group()
        uri = written
        # The reference tests for "http" case-sensitively, so "HTTPS://x.com" matched the
        # scheme branch yet has no domain group to fall back on: no link. A bare domain that
        # happens to start with "http" ("httpbin.org") is kept as written, unchecked.
        if not written.startswith("http"):
            domain: str | None = match.group("domain")
            if domain is None or not _reference_domain(domain):
                continue
            uri = "https://" + written
        start: int = match.start()
        end: int = match.end()
        # One punctuation character at most, then one ")" (detectFacets strips no more:
        # "see https://a.com..." links "https://a.com..").
        if uri[-1] in _LINK_TRAILING:
            uri = uri[:-1]
            end -= 1
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
            end -= 1
        spans.append((start, end, "link", uri))
    return spans


def _mentions(text: str) -> list[tuple[int, int, FacetKind, str]]:
    spans: list[tuple[int, int, FacetKind, str]] = []
    for match in _MENTION.finditer(text):
        handle: str = match.group(1)
        if not (_reference_domain(handle) or handle.endswith(".test")):
            continue  # "@home.sweet" is probably not a handle
        spans.append((match.start(), match.end(), "mention", handle))
    return spans


def _utf16_length(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-16-le", "surrogatepass")) // 2


def _tags(text: str) -> list[tuple[int, int, FacetKind, str]]:
    spans: list[tuple[int, int, FacetKind, str]] = []
    for match in _TAG.finditer(text):
        body: str = match.group(1)
        if not _TAG_HAS_WORD.search(body):
            continue  # "#1", "#2024!" and "#?" are not tags
        tag = _TRAILING_PUNCTUATION.sub("", body)
        # The reference measures `tag.length`: UTF-16 code units, not graphemes, so 64 flags
        # (256 units) are no tag although the lexicon would take them.
        if not tag or _utf16_length(tag) > TAG_MAX_LENGTH:
            continue
        start: int = match.start()
        spans.append((start, start + 1 + len(tag), "tag", tag))
    return spans


def _cashtags(text: str) -> list[tuple[int, int, FacetKind, str]]:
    spans: list[tuple[int, int, FacetKind, str]] = []
    for match in _CASHTAG.finditer(text):
        ticker: str = match.group(1)
        spans.append((match.start(), match.end(), "tag", "$" + ticker.upper()))
    return spans
