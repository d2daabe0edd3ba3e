"""X weighted length: twitter-text's conformance suite, URL extraction, and the bench baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import twitter_text
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from content.counting.twitter_text import (
    X_LIMIT,
    XCount,
    extract_urls,
    parse_tweet,
    parse_tweet_v2,
    weighted_length,
)
from content.counting.twitter_text_tlds import COUNTRY_TLDS, GENERIC_TLDS

VALIDATE_YML = Path(__file__).parent.parent / "conformance" / "twitter-text" / "validate.yml"

# Section of validate.yml -> the configuration it exercises, and a short tag for test ids
# (the v2 and v3 sections share most descriptions).
SECTIONS = {
    "WeightedTweetsCounterTest": parse_tweet_v2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": parse_tweet,
    "UnicodeDirectionalMarkerCounterTest": parse_tweet,
}
_TAGS = {
    "WeightedTweetsCounterTest": "v2",
    "WeightedTweetsWithDiscountedEmojiCounterTest": "v3",
    "UnicodeDirectionalMarkerCounterTest": "directional",
}


def _cases() -> list[Any]:
    tests = yaml.safe_load(VALIDATE_YML.read_text(encoding="utf-8"))["tests"]
    params = []
    for section in SECTIONS:
        for case in tests[section]:
            params.append(
                pytest.param(
                    section,
                    case["text"],
                    case["expected"],
                    id=f"{_TAGS[section]}: {case['description']}",
                )
            )
    return params


CASES = _cases()


def test_the_three_sections_are_all_there() -> None:
    # 20 + 22 + 2 cases at the pinned commit: a truncated copy must not pass quietly.
    assert len(CASES) == 44


@pytest.mark.parametrize(("section", "text", "expected"), CASES)
def test_conformance(section: str, text: str, expected: dict[str, Any]) -> None:
    assert SECTIONS[section](text).as_twitter_text() == expected
    if SECTIONS[section] is parse_tweet:
        assert weighted_length(text) == expected["weightedLength"]


def test_empty_text_is_invalid() -> None:
    assert parse_tweet("") == XCount(0, False, 0, 0, 0, 0, 0)
    assert weighted_length("") == 0


def test_limit_is_inclusive() -> None:
    assert parse_tweet("x" * X_LIMIT).valid
    assert not parse_tweet("x" * (X_LIMIT + 1)).valid
    assert parse_tweet("日" * 140).weighted_length == X_LIMIT


def test_crlf_counts_two_characters_like_twitter_text() -> None:
    # twitter-text (JS and Java) counts "\r\n" as two characters; the Python port rewrites it to
    # "\n" first. We over-count by one per line break rather than under-count.
    assert weighted_length("a\r\nb") == 4
    assert twitter_text.parse_tweet("a\r\nb").weightedLength == 3


# --- extract_urls ------------------------------------------------------------------------------

_KANA = "あいうえおかきくけこ" * 6


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("see https://example.com/path?q=1 now", [(4, 32)]),
        ("bare example.com and www.example.org/x.", [(5, 16), (21, 38)]),
        ("HTTP://EXAMPLE.COM", [(0, 18)]),
        ("a file.txt is no URL, nor is user@example.com", []),
        ("_example.com and /example.com", []),  # no protocol after '_', '-', '.', '/'
        ("http://例え.jp/ and 例え.jp", [(0, 13)]),  # a bare host must be ASCII
        ("https://t.co/abc123/more/path", [(0, 19)]),  # t.co ends after its slug
        ("x" * 63 + ".com " + "y" * 64 + ".com", [(0, 67)]),  # a DNS label is 63 at most
        # A label of 53 kana is 64 characters once punycode-encoded, of 52 exactly 63.
        ("http://" + _KANA[:53] + ".com", []),
        ("http://" + _KANA[:52] + ".com", [(0, 63)]),
        ("(see example.com/wiki/Foo_(bar))", [(5, 31)]),
        ("no dots at all", []),
    ],
)
def test_extract_urls(text: str, spans: list[tuple[int, int]]) -> None:
    assert extract_urls(text) == spans
    assert [tuple(u["indices"]) for u in twitter_text.extract_urls_with_indices(text)] == spans


def test_every_tld_makes_a_bare_domain_a_url() -> None:
    for tld in GENERIC_TLDS + COUNTRY_TLDS:
        text = f"go to foo.{tld} now"
        assert extract_urls(text) == [(6, 10 + len(tld))], tld
    assert extract_urls("foo.comx foo.c0m foo.com-x") == []


def test_url_weighs_23_however_long() -> None:
    assert weighted_length("https://example.com/" + "a" * 500) == 23
    assert weighted_length("例え.jp") == 2 * 2 + 3  # not a URL without protocol


# --- property tests against the bench baseline --------------------------------------------------

# Pieces a post is made of. Deliberately absent, because there the port differs from
# twitter-text itself and we side with twitter-text (see content/counting/twitter_text.py):
# "\r", a bare (C), a U+200D joining emoji the Emoji 12.0 list does not have, emoji newer
# than that, and right-to-left letters (the port's IDNA 2003 check refuses "مرحبا.co.uk";
# twitter-text does not, and neither do we).
# tests/differential compares with twitter-text itself, on far harder texts.
_PIECES = (
    "the", "a", "post", "Scheduler", "x" * 70, " ", " ", "\n", ".", ". ", ",", "!", "?", "-", "_",
    "/", ":", "@", "#", "$", "(", ")", "'", '"', "0", "42", "é", "e\u0301", "ß", "Ærø", "ſ",
    "http://", "https://", "www.", "example", ".com", ".co.uk", ".jp", ".рус", ".xn--p1ai",
    "/path", "?q=1&x=2", ":8080", "t.co/abc123", "пример", "例え", "foo.bar", "a" * 64,
    "日本語", "故人西辞", "あいうえお" * 12, "\u3000", "\u202a", "\u2066",
    "\ufeff", "\ufffe",
    "😷", "🔥", "🤪", "👨\u200d👩\u200d👧\u200d👦", "👩🏽\u200d💻", "🏳\ufe0f\u200d🌈",
    "👋🏽", "🇫🇷", "🇯🇵", "1\ufe0f\u20e3", "#\ufe0f\u20e3", "1\u20e3",
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    "❤\ufe0f", "☺", "®\ufe0f", "™", "\ufe0f",
)  # fmt: skip

_posts = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=40).map("".join)


# The comparison with the port itself is gone: the port is not the reference, and where it
# differs (emoji lists, IDNA 2003, case folding) tests/differential checks every field against
# twitter-text 3.1.0 in Node instead, on 20,000 texts built from far harder pieces.


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(min_size=0, max_size=60) | _posts)
def test_fast_path_equals_parse(text: str) -> None:
    # Any text at all, "\r", stray joiners and unassigned code points included.
    ours = parse_tweet(text)
    assert weighted_length(text) == ours.weighted_length
    has_invalid = any(ch in text for ch in "\ufffe\ufeff\uffff")
    assert ours.valid == (0 < ours.weighted_length <= X_LIMIT and not has_invalid)
    assert ours.display_range_end == max(len(text.encode("utf-16-le")) // 2 - 1, 0)
    assert 0 <= ours.valid_range_end <= ours.display_range_end


# --- twitter-text's own rules, odd ones included (each checked against it in tests/differential)


@pytest.mark.parametrize(
    ("text", "weight", "spans"),
    [
        # twemoji-parser 11.0.2 lists no "phoenix" (Emoji 15.1): counted piece by piece, 2+1+2.
        ("🐦\u200d🔥", 5, []),
        ("👨\u200d👩\u200d👧\u200d👦", 2, []),  # listed: one emoji
        # (C) (R) (TM) bare are no emoji to twemoji-parser: (C) and (R) weigh 1, (TM) 2.
        ("©®™", 4, []),
        ("©\ufe0f", 2, []),
        # punycode.toASCII checks only label lengths, so a bare domain glued to Arabic is a URL.
        ("مرحباexample.com", 5 + 23, [(5, 16)]),
        # No IGNORECASE folding: U+0130 is no "i" to the reference, so it precedes the URL.
        ("İexample.com", 1 + 23, [(1, 12)]),
        # extractUrlsWithIndices runs over UTF-16: a URL can start at an emoji's low surrogate,
        # even right after a letter, and then "-a.com" is its ASCII domain.
        ("a😀-a.com", 1 + 2 + 23, [(2, 8)]),
        # `domain.indexOf(asciiDomain, ...)`: the second "b.com" matches, the first is reported.
        ("b.coma。b.com", 23 + 8, [(0, 5)]),
    ],
)
def test_reference_rules(text: str, weight: int, spans: list[tuple[int, int]]) -> None:
    assert weighted_length(text) == weight
    assert parse_tweet(text).weighted_length == weight
    assert extract_urls(text) == spans


def test_urls_with_protocol_only() -> None:
    text = "see example.com and https://example.org/x."
    assert extract_urls(text) == [(4, 15), (20, 41)]
    assert extract_urls(text, with_bare=False) == [(20, 41)]


def test_every_single_code_point_emoji_weighs_what_its_code_point_weighs() -> None:
    # Why _emoji_spans keeps only matches longer than one code point: a one-code-point match
    # weighs 2 as an emoji, so it must weigh 2 as a code point too.
    from content.counting.twitter_text import _EMOJI, _EMOJI_CHAR, _base_weight

    singles = [
        chr(cp)
        for cp in range(0x110000)
        if not 0xD800 <= cp < 0xE000 and _EMOJI_CHAR.match(chr(cp)) and _EMOJI.fullmatch(chr(cp))
    ]
    assert len(singles) > 1000  # the pattern's single emoji, not an empty set
    assert [ch for ch in singles if _base_weight(ch) != 2] == []


def test_no_tld_of_one_list_shadows_the_other() -> None:
    # Why one trie may hold both lists although the reference tries generic TLDs first: where
    # a name of one list is a prefix of a name of the other, an ASCII letter, digit, "@", "+"
    # or "-" follows it, which the boundary test after a TLD refuses.
    pairs = [(a, b) for a in GENERIC_TLDS for b in COUNTRY_TLDS] + [
        (b, a) for a in GENERIC_TLDS for b in COUNTRY_TLDS
    ]
    nested = [
        (short, long) for short, long in pairs if len(long) > len(short) and long.startswith(short)
    ]
    assert ("co", "com") in nested  # the check sees the pairs it is about
    for short, long in nested:
        follower = long[len(short)]
        assert follower.isascii() and (follower.isalnum() or follower in "@+-"), (short, long)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_PIECES + ("\n", " ", "日本", "🙂")), max_size=40).map("".join))
def test_chunked_url_scan_equals_one_scan_of_the_whole_text(text: str) -> None:
    # _url_spans works a chunk at a time (and caches chunks); one chunk spanning the whole text
    # is a plain finditer over it, the reference's own way.
    from content.counting.twitter_text import _chunk_url_spans, _url_spans, clear_caches

    whole = list(_chunk_url_spans(text, True)) if "." in text else []
    assert _url_spans(text) == whole
    clear_caches()
    assert _url_spans(text) == whole


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.sampled_from(["\U0010fffd", "\U00010000", "\u00e9", "a", "\u3002", "\uff0e", "\u4e00"])
        | st.characters(min_codepoint=0x80),
        min_size=1,
        max_size=8,
    ).map("".join)
)
def test_short_labels_always_fit_once_punycode_encoded(label: str) -> None:
    # Why _host_is_valid skips encoding labels of at most _SHORT_LABEL code points.
    from content.counting.twitter_text import _MAX_LABEL, _SHORT_LABEL, _punycode_length

    assert len(label) <= _SHORT_LABEL
    assert 1 <= _punycode_length(label) <= _MAX_LABEL


def test_long_labels_do_get_measured() -> None:
    from content.counting.twitter_text import _punycode_length, extract_urls

    spread = "".join(chr(0x10000 + 31337 * i) for i in range(30))  # 30 far-apart code points
    assert _punycode_length(spread[:8]) <= 63
    assert _punycode_length(spread) > 63
    assert extract_urls("http://" + spread + ".com") == []
    assert extract_urls("http://" + spread[:8] + ".com") == [(0, 7 + 8 + 4)]


def test_label_classes_are_the_references_alternations() -> None:
    # x.py writes "(?:[_-]|domain char)*" as one class (and "(?:-|domain char)*" likewise):
    # the same characters, every BMP one checked (astral ones are domain characters in all three).
    import re

    from content.counting.twitter_text import _DOMAIN_CHAR, _NAME_CHARS, _SUBDOMAIN_CHARS

    domain, sub, name = (
        re.compile(c).fullmatch for c in (_DOMAIN_CHAR, _SUBDOMAIN_CHARS, _NAME_CHARS)
    )
    for cp in range(0x10000):
        ch = chr(cp)
        assert bool(sub(ch)) == (bool(domain(ch)) or ch in "_-"), hex(cp)
        assert bool(name(ch)) == (bool(domain(ch)) or ch == "-"), hex(cp)
    assert domain("\U0001f600") and sub("\U0001f600") and name("\U0001f600")
