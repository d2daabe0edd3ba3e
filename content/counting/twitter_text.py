"""The weighted length of a post, counted the way twitter-text's `parseTweet` counts it.

The limit is 280 *weighted* characters (twitter-text configuration v3, `scale` 100):

- the text is NFC-normalized first;
- a code point in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F or U+2032-U+2037 weighs 1,
  every other code point weighs 2 (an astral code point, one surrogate pair, weighs 2 too);
- every URL twitter-text's extractor finds, bare `example.com` included, weighs 23
  (`transformedURLLength`), however long it is;
- in v3 an emoji, as twemoji-parser 11.0.2 lists them (ZWJ family, flag, keycap, skin tone,
  tag sequence), weighs 2 as a whole; a sequence it does not list (anything newer than its
  list, such as U+1F426 U+200D U+1F525) is counted piece by piece, and bare (C) and (R) weigh 1;
- U+FFFE, U+FEFF and U+FFFF make the post invalid, and so does an empty one. Directional marks
  (U+202A-U+202E, U+2066-U+2069, ...) are not invalid: the conformance suite accepts them.

`validRangeEnd` and `displayRangeEnd` are inclusive UTF-16 indices into the text as given, like
the reference's. The reference here is twitter-text 3.1.0 itself (npm, Apache-2.0), checked
field by field in tests/differential; its data (emoji pattern, TLDs, the characters each piece
of its URL pattern takes) is generated from the package into x_emoji, x_tlds and x_url_chars.
The URL grammar follows its extractor (`extractUrlsWithIndices`): a preceding character that is
not a letter, digit, `@`, `$` or `#`; an optional `http(s)://`; subdomains and a domain name of
"domain characters" (anything but punctuation, spaces, invalid and directional characters); a
TLD or a punycode `xn--` label; then an optional port, path and query. Its odd corners are
followed on purpose, each commented where it is handled: it matches over UTF-16 code units
(a URL may start at an emoji's low surrogate), folds case its own way, checks a host only for
label lengths once punycode-encoded (no IDNA 2003: "مرحباexample.com" holds a URL), and places
an ASCII domain at the first occurrence of its text. A URL without protocol counts only when
its host holds an ASCII domain (Latin accents allowed) and it does not follow `-`, `_`, `.` or
`/`.

Where the Python port twitter-text-parser (the bench's old baseline) differs, we side with
twitter-text: "\r\n" counts as two characters (the port rewrites it to "\n"); emoji follow
twemoji-parser, not the Emoji 12.0 list; an empty text has validRangeEnd 0 (the port: -1); a
host is not put through IDNA 2003; a bare URL whose partly non-ASCII host reappears in its own
path has only its first copy shortened when its text is measured.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from content.counting.twitter_text_emoji import EMOJI_CHARS, EMOJI_PATTERN
from content.counting.twitter_text_tlds import COUNTRY_TLDS, GENERIC_TLDS
from content.counting.twitter_text_url_chars import (
    ASCII_DOMAIN_CHARS,
    BEFORE_EXCLUDED,
    CASE_VARIANTS,
    DOMAIN_EXCLUDED,
    PATH_CHARS,
    PATH_END_CHARS,
    QUERY_CHARS,
    QUERY_END_CHARS,
)

X_LIMIT = 280
_URL_WEIGHT = 23  # transformedURLLength; the weights below are already divided by `scale`
_EMOJI_WEIGHT = 2  # defaultWeight: a whole emoji sequence weighs as one heavy code point
_MAX_URL_LENGTH = 4096  # twitter-text rejects a URL longer than this once punycode-encoded
_MAX_TCO_SLUG = 40
_DEFAULT_PROTOCOL = "https://"


@dataclass(frozen=True, slots=True)
class XCount:
    """What `parseTweet` reports: weighted length, validity and the UTF-16 ranges."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_start: int
    valid_range_end: int
    display_range_start: int
    display_range_end: int

    def as_twitter_text(self) -> dict[str, int | bool]:
        """The same result under twitter-text's field names (its conformance suite's)."""
        return {
            "weightedLength": self.weighted_length,
            "valid": self.valid,
            "permillage": self.permillage,
            "validRangeStart": self.valid_range_start,
            "validRangeEnd": self.valid_range_end,
            "displayRangeStart": self.display_range_start,
            "displayRangeEnd": self.display_range_end,
        }


# --- character weights -------------------------------------------------------------------------

# Runs of code points that weigh 1. Deleting them leaves the heavy ones, whose count is the
# extra weight: one C-level pass, faster than collecting the heavy runs or looping in Python.
_LIGHT_RUN = re.compile("[\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")
_INVALID = re.compile("[\ufffe\ufeff\uffff]")


def _base_weight(s: str) -> int:
    """Weight of `s` counted code point by code point, without URLs or emoji."""
    if s.isascii():
        return len(s)
    # (`max(s) <= "\u10ff"` would spot Latin, Greek, Cyrillic, Arabic and Hebrew text, but it
    # makes a string of every character: slower than letting `sub` run in C.)
    return len(s) + len(_LIGHT_RUN.sub("", s))


def _utf16_length(s: str) -> int:
    # surrogatepass: a lone surrogate (possible in a Python str) is one UTF-16 unit, not an error.
    return len(s) if s.isascii() else len(s.encode("utf-16-le", "surrogatepass")) // 2


# --- emoji ------------------------------------------------------------------------------------

# twemoji-parser's pattern, which parseTweet scans the whole text with (leftmost match first,
# the first alternative that matches at a position wins). A sequence it does not list, such as
# a ZWJ join newer than its list, is matched piece by piece and so weighs 2 per piece.
_EMOJI = re.compile(EMOJI_PATTERN)
# A match changes the weight only when it is longer than one code point (every single code
# point it matches weighs 2 either way; tests/content/test_count_x.py checks that), and every longer
# match holds one of these: a joiner, a variation selector, a keycap, a skin tone, a regional
# indicator or a tag character. Text without any needs no emoji scan at all.


# A match lies within a run of the code points the pattern names, so each run can be scanned
# on its own (no match runs on into it from before, or out of it). Only runs holding a hint
# need scanning.
_EMOJI_HINTS = "\u200d\ufe0f\u20e3\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_EMOJI_HINT = re.compile(f"[{_EMOJI_HINTS}]")
_EMOJI_RUN = re.compile(f"[{EMOJI_CHARS}]+")
_EMOJI_CHAR = re.compile(f"[{EMOJI_CHARS}]")


@functools.lru_cache(maxsize=8192)  # the same few emoji runs recur, text after text
def _run_emoji(run: str) -> tuple[tuple[int, int, int], ...]:
    """(start, end, weight code point by code point) of the matches longer than one code point
    in one run, relative to its start."""
    return tuple(
        (m.start(), m.end(), _base_weight(m.group()))
        for m in _EMOJI.finditer(run)
        if m.end() - m.start() > 1
    )


def _emoji_spans(t: str) -> list[tuple[int, int, int]]:
    """(start, end, weight code point by code point) of the matches longer than one code point,
    as `_EMOJI.finditer` finds them.

    Only the runs holding a hint are scanned: from each hint not yet covered, back to where its
    run starts (usually a character or two) and forward to where it ends.
    """
    if t.isascii():
        return []
    spans: list[tuple[int, int, int]] = []
    is_emoji_char = _EMOJI_CHAR.match
    run_from = _EMOJI_RUN.match
    covered = 0  # end of the last run scanned
    for hint in _EMOJI_HINT.finditer(t):
        at = hint.start()
        if at < covered:
            continue
        start = at
        while start > covered and is_emoji_char(t, start - 1):
            start -= 1
        run = run_from(t, at)
        end = run.end() if run is not None else at + 1
        found = _run_emoji(t[start:end])
        if found:
            spans += [(start + s, start + e, w) for s, e, w in found]
        covered = end
    return spans


# --- URLs -------------------------------------------------------------------------------------


# twitter-text matches its URL pattern case-insensitively without the `u` flag, which folds
# case differently from Python's IGNORECASE (it leaves U+212A KELVIN SIGN and U+0130 alone,
# and takes U+1C80 for a Cyrillic letter). So nothing here is compiled with IGNORECASE: each
# one-character piece is the exact set the reference's own expression takes (x_url_chars).
def _without(body: str, chars: str) -> str:
    """A class body of \\uXXXX items and ranges (as x_url_chars has them) less `chars`."""
    kept: list[str] = []
    for lo_hex, hi_hex in re.findall(r"\\u([0-9a-f]{4})(?:-\\u([0-9a-f]{4}))?", body):
        lo, hi = int(lo_hex, 16), int(hi_hex or lo_hex, 16)
        for piece_lo, piece_hi in _split_range(lo, hi, sorted(ord(c) for c in chars)):
            kept.append(
                f"\\u{piece_lo:04x}" + (f"-\\u{piece_hi:04x}" if piece_hi > piece_lo else "")
            )
    return "".join(kept)


def _split_range(lo: int, hi: int, holes: list[int]) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    for hole in holes:
        if lo <= hole <= hi:
            if lo < hole:
                pieces.append((lo, hole - 1))
            lo = hole + 1
    if lo <= hi:
        pieces.append((lo, hi))
    return pieces


_DOMAIN_CHAR = f"[^{DOMAIN_EXCLUDED}]"
# The reference's "(?:[_-]|domain char)*" and "(?:-|domain char)*", each written as one class:
# the same characters, one at a time, so the same matches, but `re` repeats a single class
# in C instead of running an alternation per character.
_SUBDOMAIN_CHARS = f"[^{_without(DOMAIN_EXCLUDED, '_-')}]"
_NAME_CHARS = f"[^{_without(DOMAIN_EXCLUDED, '-')}]"
_SUBDOMAIN = f"(?:(?:{_DOMAIN_CHAR}{_SUBDOMAIN_CHARS}*)?{_DOMAIN_CHAR}\\.)"
_DOMAIN_NAME = f"(?:(?:{_DOMAIN_CHAR}{_NAME_CHARS}*)?{_DOMAIN_CHAR}\\.)"


def _caseless(ch: str) -> str:
    """`ch` as the reference's case-insensitive match takes it: a class of its case variants."""
    variants = CASE_VARIANTS.get(ch)
    return f"[{variants}]" if variants else re.escape(ch)


def _trie_pattern(names: Iterable[str]) -> str:
    """A regex matching exactly `names`, factored by common prefixes ("c(?:o(?:m(?:sec|)|))").

    `re` tries the branches of a plain alternation one by one, and with 1,500 TLDs that made
    the URL scan ten times slower. The factored form matches the same strings in the same order
    of preference: where one name is a prefix of another, the longer is tried first (the empty
    branch comes last), which matters because a shorter TLD followed by a non-ASCII letter
    would pass the boundary test below and cut the host short ("组织" inside "组织机构").
    """
    trie: dict[str, Any] = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a name

    def emit(node: dict[str, Any]) -> str:
        branches = [_caseless(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if "" in node:
            # "(?:x|)" rather than "(?:x)?": the same greedy choice, but `re` runs an
            # alternation without allocating the repeat context a `?` on a group needs.
            branches.append("")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return emit(trie)


def _tld_alternation(names: tuple[str, ...]) -> str:
    # A TLD must not run on into letters or digits, "@", "+" or "-": "example.comx" is no URL.
    return f"(?:{_trie_pattern(names)}(?=[^0-9a-zA-Z@+-]|$))"


_PUNYCODE = "(?:[xX][nN]--[0-9a-zA-Z-]+)"
# twitter-text tries the generic TLDs, then the country codes. One trie over both finds the
# same TLD faster (one walk instead of two when the first list fails): no name of one list is
# a prefix of a name of the other unless an ASCII letter follows, which the boundary test
# refuses, so at any position at most one list can match (tests/content/test_count_x.py checks it).
_TLD = f"(?:{_tld_alternation(GENERIC_TLDS + COUNTRY_TLDS)}|{_PUNYCODE})"
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"

_PATH_CHAR = f"[{PATH_CHARS}]"
_PARENS = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
_PATH_END_CHAR = f"[{PATH_END_CHARS}]"
# twitter-text splices its "ending characters" pattern (a class, or balanced parentheses) into
# the path pattern without a group, so its '|' splits the whole path pattern: a path segment
# is characters ending in an ending character, OR one balanced parenthesis group on its own.
# Grouping it "properly" would extend some URLs ("t.co/.(uk)") past where the reference ends them.
_PATH = (
    f"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END_CHAR}|(?:{_PARENS}))"
    f"|(?:@{_PATH_CHAR}+/))"
)
_QUERY = f"\\?[{QUERY_CHARS}]*[{QUERY_END_CHARS}]"
_HTTP = "[hH][tT][tT][pP][sS]?://"

# Groups: 1 the character before (consumed, as in the reference, so two URLs need a separator),
# 2 the URL, 3 protocol, 4 host, 5 path. (The reference also allows a directional mark before
# a URL; the negated class already does.)
# The reference's pattern runs over UTF-16 code units, so an astral character (an emoji) is two
# domain characters, and its high surrogate alone may serve as the character before: a URL
# can start at the low surrogate, even right after a letter ("a😀-a.com" yields "-a.com" in
# extractUrlsWithIndices). The empty lookahead alternative stands for that split start, tried
# where the reference tries it: before the astral character itself is taken as the one before.
_ASTRAL = "[\U00010000-\U0010ffff]"
_URL = re.compile(
    f"((?={_ASTRAL})|[^{BEFORE_EXCLUDED}]|^)"
    f"((?:({_HTTP}))?({_DOMAIN})(?::[0-9]+)?(/{_PATH}*)?(?:{_QUERY})?)"
)
_ASCII_DOMAIN = re.compile(f"(?:[{ASCII_DOMAIN_CHARS}]+\\.)+{_TLD}")
_TCO = re.compile(f"{_HTTP}[tT]\\.[cC][oO]/([0-9a-zA-Z]+)(?:{_QUERY})?")
# Every URL contains a '.' followed by a TLD. Words are picked by something cheaper, a '.'
# before a letter (every TLD starts with one); a word without a whole '.' + TLD is then let
# go without running the URL pattern, which spares it its worst case, dotted runs with no TLD
# ("a.a.a.a...", version numbers), which it would backtrack through quadratically.
_URL_TRIGGER = "\\.[A-Za-z\u0080-\U0010ffff]"
_URL_HINT = re.compile(f"\\.{_TLD}")
# The common shape, a word that starts with a URL (after its separator, or at the text's start)
# whose TLD is plain ASCII letters: what _URL finds first there is known without running it.
# The character before is allowed; the protocol, tried first, is taken when there is one; the
# host is labels of domain characters (inner hyphens allowed, no '_') joined by '.', and the
# character after it is one that no label holds and that may follow a TLD (_TLD_FOLLOWERS), so
# the subdomains take every label but the last, the domain name is the label before it, and the
# TLD is the whole last label if that is one (the trie tries longer names first, and a shorter
# one would be followed by a letter); a punycode TLD takes the whole label too. The port, path
# and query are then _URL's own. A URL without protocol is taken only with a host of ASCII
# labels, which is then its own one ASCII domain (see _chunk_url_spans). A protocol may come
# after characters that are not ASCII (an emoji glued before it) and may each be the character
# before: no URL starts among them, as one would need a '.' before the protocol's ':' (which no
# URL holds). Anything else, or a last label that is no TLD, goes to _URL.
_TLD_FOLLOWERS = "".join(
    re.escape(chr(c))
    for c in range(0x80)
    if re.fullmatch(f"[{DOMAIN_EXCLUDED}]", chr(c)) and chr(c) not in "-._@+"
)
_ASCII_LABEL = "[0-9A-Za-z]+(?:-+[0-9A-Za-z]+)*"
_LABEL = f"{_DOMAIN_CHAR}+(?:-+{_DOMAIN_CHAR}+)*"
# Groups: 1 protocol, 2 the labels before the TLD after a protocol, 3 those of a URL without,
# 4 the TLD, 5 the path.
_FAST_URL = re.compile(
    f"[ \\n]?(?:[^\\x00-\\x7f{BEFORE_EXCLUDED}]*+({_HTTP})((?:{_LABEL}\\.)+)"
    f"|((?:{_ASCII_LABEL}\\.)+))"
    f"([A-Za-z]+|[xX][nN]--[0-9a-zA-Z-]+)(?=[{_TLD_FOLLOWERS}]|$)"
    f"(?::[0-9]+)?(/{_PATH}*)?(?:{_QUERY})?"
)


def _ascii_tlds() -> frozenset[str]:
    """The TLDs an ASCII label can be, in lower case.

    The reference's case-insensitive match takes both cases of an ASCII letter and nothing else
    ASCII for it (CASE_VARIANTS), and no ASCII character for a letter that is not ASCII: so an
    ASCII label is a TLD of the trie exactly when its lower case is one of the ASCII names.
    """
    for name in GENERIC_TLDS + COUNTRY_TLDS:
        for ch in name:
            variants = re.findall(r"\\u([0-9a-f]{4})", CASE_VARIANTS.get(ch, ""))
            ascii_variants = {int(v, 16) for v in variants if int(v, 16) < 0x80}
            expected = {ord(ch), ord(ch.upper())} if ch.isascii() else set()
            if ascii_variants != expected or (ch.isascii() and not ch.islower()):
                raise RuntimeError(f"twitter_text_url_chars: unexpected case variants of {ch!r}")
    return frozenset(name for name in GENERIC_TLDS + COUNTRY_TLDS if name.isascii())


_ASCII_TLDS = _ascii_tlds()


def _fast_first_url(t: str, with_bare: bool) -> tuple[int, list[tuple[int, int, int]]] | None:
    """(where _URL's search goes on, the spans of its first match) when _FAST_URL tells them."""
    fast = _FAST_URL.match(t)
    if fast is None:
        return None
    protocol, labels, bare_labels, tld, path = fast.groups()
    end = fast.end()
    host = (labels or bare_labels) + tld
    if (
        (tld.lower() not in _ASCII_TLDS and tld[:4].lower() != "xn--")
        or end > _MAX_URL_LENGTH // 2 - 8  # else the check below
        or not _host_is_valid(host)
    ):
        return None
    host_start = fast.start(2) if protocol else fast.start(3)
    if protocol is None:
        if not with_bare:
            return end, []
        # The host, of ASCII labels, is its own one ASCII domain. It takes the port, path and
        # query with it only if there is a path, and its text is then the URL itself: the walk
        # resumes at its end.
        url_end = end if path is not None else fast.end(4)
        return end, [(host_start, url_end, url_end)]
    start = fast.start(1)
    if host.lower() == "t.co" and t[fast.end(4) : fast.end(4) + 1] == "/":  # as below
        tco = _TCO.match(t, start, end)
        if tco is not None:
            slug_ok = len(tco.group(1)) <= _MAX_TCO_SLUG
            return end, [(start, tco.end(), tco.end())] if slug_ok else []
    return end, [(start, end, end)]


_MAX_LABEL = 63
# punycode.toASCII (which twitter-text's idna check calls on each label) also splits at these.
_LABEL_SEPARATORS = re.compile("[\u3002\uff0e\uff61]")
_NON_PRINTABLE_ASCII = re.compile("[^\x20-\x7e]")


def _punycode_length(label: str) -> int:
    """Length of `label` after npm punycode's toASCII: "xn--" + RFC 3492 when not plain ASCII.

    No nameprep: no case mapping and nothing refused, unlike Python's "idna" codec, which
    turns down a label mixing scripts of both directions ("مرحباexample") that the reference takes.
    """
    total = 0
    parts = _LABEL_SEPARATORS.split(label)
    for part in parts:
        if _NON_PRINTABLE_ASCII.search(part) is None:
            total += len(part)
        else:
            total += 4 + len(part.encode("punycode"))
    return total + len(parts) - 1


def _low_half(host: str) -> str:
    """`host` with its first (astral) character reduced to that character's low surrogate."""
    return chr(0xDC00 + ((ord(host[0]) - 0x10000) & 0x3FF)) + host[1:]


@functools.lru_cache(maxsize=4096)  # hosts repeat (the same links, post after post)
def _host_is_valid(host: str) -> bool:
    """twitter-text's `idna.toAscii(host)` succeeds: every label 1 to 63 long once encoded.

    A host starting "xn--" must hold an ASCII domain somewhere (its check, case-sensitive on
    the prefix as the reference's `substring(0, 4) === 'xn--'` is).
    """
    if host.startswith("xn--") and _ASCII_DOMAIN.search(host) is None:
        return False
    for label in host.split("."):
        if label.isascii() and _NON_PRINTABLE_ASCII.search(label) is None:
            if not 1 <= len(label) <= _MAX_LABEL:
                return False
        elif len(label) > _SHORT_LABEL and not 1 <= _punycode_length(label) <= _MAX_LABEL:
            return False
    return True


# A label of at most this many code points always encodes within 63 (and to at least 1): each
# non-ASCII code point costs one delta of at most 7 base-36 digits (a delta stays under
# 0x10FFFF * 9, and even at the largest threshold 7 digits hold 36 * 10**6), plus "xn--" and
# "-" per part: 5 + 7 * 8 = 61. Python's punycode codec is slow; most IDN labels are short.
# tests/content/test_count_x.py checks the bound on the worst labels.
_SHORT_LABEL = 8


def _url_spans(t: str, *, with_bare: bool = True) -> list[tuple[int, int, int]]:
    """(start, end, counted_end) of the URLs twitter-text's extractor finds, in text order.

    start and end are the extractor's indices (code points). counted_end is where the weight
    walk resumes: `parseTweet` skips the length of the URL's *text*, and for a URL without
    protocol whose host is only partly ASCII ("foo.baré🙂.рус/x") that text is the ASCII part
    plus the path, shorter than the indices; the characters in between are counted again.
    (A walk landing inside a surrogate pair is given negated, see `_resume`.)

    The text is taken a word at a time (see _Words), each word's URLs worked out once.
    """
    if "." not in t or (not with_bare and ":" not in t):
        return []
    spans: list[tuple[int, int, int]] = []
    for word in _url_words(t):
        start = word.start()
        for s, e, r in _chunk_url_spans(word.group(), with_bare):
            spans.append((start + s, start + e, start + r if r >= 0 else r - start))
    return spans


def _find_chunk_url_spans(t: str, with_bare: bool) -> tuple[tuple[int, int, int], ...]:
    """`_url_spans` of one word (see there), relative to the word."""
    spans: list[tuple[int, int, int]] = []
    pos = 0
    first = _fast_first_url(t, with_bare)
    if first is not None:
        pos, spans = first
        if t.find(".", pos) < 0:  # (every URL holds a '.')
            return tuple(spans)
    if _URL_HINT.search(t, pos) is None:
        return tuple(spans)
    for m in _URL.finditer(t, pos):
        before, url, protocol, host, path = m.group(1, 2, 3, 4, 5)
        start, end = m.start(2), m.end()
        # A split start (see _URL): the reference's host begins with the low surrogate only,
        # which is what its label-length check encodes.
        checked = host if before or t[start] <= "\uffff" else _low_half(host)
        if not _host_is_valid(checked):
            continue
        # isValidUrl: the URL, in UTF-16 units, with the protocol it would get, within 4096.
        if len(url) > _MAX_URL_LENGTH // 2 - 8 and (
            len(protocol or _DEFAULT_PROTOCOL) + _utf16_length(url) > _MAX_URL_LENGTH
        ):
            continue
        if protocol is None:
            if not with_bare or (before and before in "-_./"):
                continue
            host_start = m.start(4)
            found = [
                (host_start + a, host_start + b, host_start + b) for a, b in _ascii_domains(host)
            ]
            if not found:
                continue
            if path:
                # Only the last ASCII host takes the path (and any port or query) with it; its
                # text is the URL with the whole host replaced by that ASCII host.
                last_start, last_end, _ = found[-1]
                found[-1] = (
                    last_start,
                    end,
                    _resume(t, last_start, t[last_start:last_end] + t[m.end(4) : end]),
                )
            spans.extend(found)
        else:
            tco = (
                _TCO.match(url)
                if url[len(protocol) : len(protocol) + 5].lower() == "t.co/"
                else None
            )
            if tco is not None:
                # A t.co link ends after its slug (and query): no more path is allowed.
                if len(tco.group(1)) > _MAX_TCO_SLUG:
                    continue
                end = start + tco.end()
            spans.append((start, end, end))
    return tuple(spans)


# Words recur (the same links, post after post). (_word_units has its own cache.)
_chunk_url_spans = functools.lru_cache(maxsize=8192)(_find_chunk_url_spans)


@functools.lru_cache(maxsize=4096)  # hosts repeat
def _ascii_domains(host: str) -> tuple[tuple[int, int], ...]:
    """(start, end) in `host` of the ASCII domains a URL without protocol reports."""
    found = []
    end = 0
    for a in _ASCII_DOMAIN.finditer(host):
        # extractUrlsWithIndices places each ASCII domain with
        # `domain.indexOf(asciiDomain, asciiEndPosition)`: the first occurrence of its text,
        # which may come before the match ("b.coma。b.com" matches the second "b.com" and
        # reports the first). Odd, but it is where the reference puts the link.
        start = host.find(a.group(), end)
        end = start + len(a.group())
        found.append((start, end))
    return tuple(found)


def _resume(t: str, start: int, url_text: str) -> int:
    """Where parseTweet's walk resumes after a URL at `start` whose text is `url_text`.

    The walk skips `url_text.length` UTF-16 units from `start`. When the text it skips over
    holds astral characters that the URL text does not (a partly non-ASCII host), that may
    land inside a surrogate pair; the walk then weighs the lone low surrogate (2) and goes
    on. A landing inside a pair is returned negated, as -(index after the pair).
    """
    units = _utf16_length(url_text)
    skipped = t[start : start + len(url_text)]
    if skipped.isascii() or _utf16_length(skipped) == units:
        return start + len(url_text)
    i, n = start, 0
    while n < units:
        n += 2 if t[i] > "\uffff" else 1
        i += 1
    return -i if n > units else i


def extract_urls(text: str, *, with_bare: bool = True) -> list[tuple[int, int]]:
    """Code-point (start, end) of every URL twitter-text's extractor finds in `text` as given.

    Bare domains such as `example.com` count, as they do in a post's weighted length; with
    `with_bare=False` only URLs with `http(s)://` do (the extractor's
    `extractUrlsWithoutProtocol: false`, as a server that links only URLs with a scheme does).
    """
    return [(s, e) for s, e, _ in _url_spans(text, with_bare=with_bare)]


# --- words ------------------------------------------------------------------------------------


# No URL and no emoji holds a ' ' or a newline (a URL may follow one, as its character before),
# so a text is taken a word at a time: a run of other characters, with the separator before it
# (what the URL pattern sees before the word; `^` never matters there) or from the start. Only a
# word holding a trigger can weigh other than its code points, and words recur (the same links
# and emoji, post after post), so each such word is worked out once.
class _Words:
    """Finds the words of a text that hold a trigger, in one C-level pass from the first one.

    The word pattern starts with the separator, so `re` skips to each one in C before trying
    it; its possessive runs of ordinary characters are never re-split, and its lazy repeat steps
    over a '.' or hint that is no trigger, so a word is read once. Text before the first trigger
    (found with a quicker search) is not even tried: in a long post that is most of it.
    """

    def __init__(self, trigger: str, specials: str) -> None:
        plain = f"[^ \\n{specials}]*+"
        word = f"{plain}(?:[{specials}]{plain})*?(?:{trigger})[^ \\n]*+"
        self.trigger = re.compile(trigger)
        self.first = re.compile(word)  # the word at the start of the text
        self.after_separator = re.compile(f"[ \\n]{word}")

    def _start(self, t: str) -> int | None:
        """Where the first word with a trigger starts (its separator), -1 at the text's start."""
        found = self.trigger.search(t)
        if found is None:
            return None
        at = found.start()
        return max(t.rfind(" ", 0, at), t.rfind("\n", 0, at))

    def __call__(self, t: str) -> Iterable[re.Match[str]]:
        separator = self._start(t)
        if separator is None:
            return ()
        if separator >= 0:
            return self.after_separator.finditer(t, separator)
        first = self.first.match(t)
        assert first is not None  # it holds the trigger
        return itertools.chain((first,), self.after_separator.finditer(t, first.end()))

    def strings(self, t: str) -> list[str]:
        """The same words as strings (findall makes no match objects)."""
        separator = self._start(t)
        if separator is None:
            return []
        if separator >= 0:
            return self.after_separator.findall(t, separator)
        first = self.first.match(t)
        assert first is not None
        return [first.group(), *self.after_separator.findall(t, first.end())]


# Words that may hold a URL (a '.' before a letter), or also an emoji longer than one code
# point (a hint, see _EMOJI_HINT; each hint is a trigger).
_url_words = _Words(_URL_TRIGGER, ".")
_special_words = _Words(f"{_URL_TRIGGER}|[{_EMOJI_HINTS}]", "." + _EMOJI_HINTS)

Unit = tuple[int, int, int, int]  # start, end, weight, weight code point by code point


def _merged(
    t: str, url_spans: Iterable[tuple[int, int, int]], emojis: list[tuple[int, int, int]]
) -> list[Unit]:
    """The URLs and emoji of `t` that count as one unit each, in text order.

    The reference walks the text and, at each position it lands on, takes a URL starting there,
    else an emoji starting there; entities starting inside one already taken are skipped.
    """
    # A URL whose walk lands inside a surrogate pair (see _resume) also weighs the lone low
    # surrogate the walk then meets: one unit of 23 + 2 ending after the pair.
    urls = [
        (s, e, _URL_WEIGHT, _base_weight(t[s:e]))
        if e >= 0
        else (s, -e, _URL_WEIGHT + 2, _base_weight(t[s:-e]))
        for s, _, e in url_spans
    ]
    if not emojis:
        return urls
    if not urls:
        return [(s, e, _EMOJI_WEIGHT, b) for s, e, b in emojis]
    tagged = sorted(
        [(s, 0, e, w, b) for s, e, w, b in urls]
        + [(s, 1, e, _EMOJI_WEIGHT, b) for s, e, b in emojis]
    )
    units: list[Unit] = []
    pos = 0
    for s, _, e, w, b in tagged:  # a URL sorts before an emoji starting at the same place
        if s >= pos:
            units.append((s, e, w, b))
            pos = e
    return units


def _find_word_units(word: str) -> tuple[Unit, ...]:
    """The units (see _merged) of one word, relative to it."""
    urls = _find_chunk_url_spans(word, True) if "." in word else ()
    return tuple(_merged(word, urls, _emoji_spans(word)))


_word_units = functools.lru_cache(maxsize=8192)(_find_word_units)


@functools.lru_cache(maxsize=8192)
def _word_extra(word: str) -> int:
    """What the URLs and emoji of one word weigh beyond their code points."""
    if word.isascii():
        # No emoji, each code point weighs 1, and a walk resumes where a URL's text ends.
        return sum([_URL_WEIGHT - (e - s) for s, _, e in _find_chunk_url_spans(word, True)])
    if "." not in word:  # emoji only: no need to merge
        return sum([_EMOJI_WEIGHT - b for _, _, b in _emoji_spans(word)])
    return sum([w - b for _, _, w, b in _find_word_units(word)])


def _words(t: str) -> Iterable[re.Match[str]]:
    """The words of `t` that may weigh other than their code points (v3)."""
    # ASCII holds no emoji hint: the simpler pattern does.
    return _url_words(t) if t.isascii() else _special_words(t)


def _extra_weight(t: str) -> int:
    """What the URLs and emoji of `t` weigh beyond their code points (v3)."""
    words = _url_words if t.isascii() else _special_words
    return sum(map(_word_extra, words.strings(t)))


# --- counting ----------------------------------------------------------------------------------


def _units(t: str, emoji: bool) -> list[Unit]:
    """The URLs (and, with `emoji`, the emoji) of `t` that count as one unit, in text order."""
    if not emoji:
        return _merged(t, _url_spans(t), [])
    units: list[Unit] = []
    for m in _words(t):
        start = m.start()
        units += [(start + s, start + e, w, b) for s, e, w, b in _word_units(m.group())]
    return units


def _last_valid_index(t: str, units: list[Unit]) -> int:
    """UTF-16 index, in `t`, of the last unit that is still valid and within the limit.

    A unit is a code point, a URL or an emoji. The reference marks the end of a unit as valid
    while the running weight is <= 280 and no invalid character has been met (invalid
    characters never occur inside a URL or an emoji); it starts at 0 when no unit qualifies.
    """
    bad = _INVALID.search(t)
    stop = bad.start() if bad is not None else len(t)
    running = 0
    last_end = 0  # code-point end of the last qualifying unit; 0: none
    pos = 0
    for s, e, w, _ in [*units, (len(t), len(t), 0, 0)]:
        # Plain code points from pos to s first.
        seg_end = min(s, stop)
        if pos < seg_end:
            seg_weight = _base_weight(t[pos:seg_end])
            if running + seg_weight <= X_LIMIT:
                running += seg_weight
                last_end = seg_end
            else:
                # The longest prefix of the segment still within the limit: weights only grow
                # with length, so a bisection over prefix weights finds it.
                budget = X_LIMIT - running
                # weight(t[pos:lo]) <= budget < weight(t[pos:hi]). A code point weighs 1 or 2,
                # so the answer lies within budget // 2 and budget code points of pos: searching
                # only there keeps the slices short in a long text.
                lo = pos + min(budget // 2, seg_end - pos)
                hi = min(seg_end, pos + budget + 1)
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if _base_weight(t[pos:mid]) <= budget:
                        lo = mid
                    else:
                        hi = mid
                if lo > pos:
                    last_end = lo
                break
        if s >= stop or e == s:
            break
        running += w
        if running > X_LIMIT:
            break
        last_end = e
        pos = e
    if last_end == 0:
        return 0
    return _utf16_length(t[:last_end]) - 1


def _parse(text: str, emoji: bool) -> XCount:
    t = text if text.isascii() else unicodedata.normalize("NFC", text)
    units: list[Unit] | None = None
    # Only a text over the limit (or invalid) needs its units one by one; one of at most 280 code
    # points seldom is, and its weight comes quicker without them. A longer one may well be (its
    # URLs would have to weigh less than they hold): find them at once.
    if emoji and len(t) <= X_LIMIT:
        weight = _base_weight(t) + _extra_weight(t)
    else:
        units = _units(t, emoji)
        weight = _base_weight(t) + sum(w - b for _, _, w, b in units)
    text16 = _utf16_length(text)
    t16 = text16 if t is text else _utf16_length(t)
    has_invalid = not t.isascii() and _INVALID.search(t) is not None
    if weight <= X_LIMIT and not has_invalid:
        last = t16 - 1 if t else 0
    else:
        last = _last_valid_index(t, _units(t, emoji) if units is None else units)
    return XCount(
        weighted_length=weight,
        valid=not has_invalid and 0 < weight <= X_LIMIT,
        # The reference's float arithmetic, so that rounding agrees to the last unit.
        permillage=math.floor(weight / X_LIMIT * 1000),
        valid_range_start=0,
        valid_range_end=last + text16 - t16,  # back in the text as given
        display_range_start=0,
        display_range_end=text16 - 1 if text16 > 0 else 0,
    )


def clear_caches() -> None:
    """Forget the words, emoji runs and hosts seen so far (benchmarks start cold)."""
    _word_extra.cache_clear()
    _word_units.cache_clear()
    _chunk_url_spans.cache_clear()
    _run_emoji.cache_clear()
    _host_is_valid.cache_clear()
    _ascii_domains.cache_clear()


def parse_tweet(text: str) -> XCount:
    """Count `text` as twitter-text's `parseTweet` with configuration v3 (the one in use today)."""
    return _parse(text, emoji=True)


def parse_tweet_v2(text: str) -> XCount:
    """Count `text` with configuration v2: as v3, but each emoji code point weighs on its own."""
    return _parse(text, emoji=False)


def weighted_length(text: str) -> int:
    """`parse_tweet(text).weighted_length`, without computing the ranges."""
    if text.isascii():
        # NFC leaves ASCII alone, ASCII holds no emoji, and a URL needs a '.'.
        if "." not in text:
            return len(text)
        t = text
    else:
        t = unicodedata.normalize("NFC", text)
    return _base_weight(t) + _extra_weight(t)
