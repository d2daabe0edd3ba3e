"""LinkedIn's little-text escaping and length, and Threads' length and link count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.networks.linkedin import (
    LINKEDIN_LIMIT,
    escape_little_text,
    hashtag,
    linkedin_length,
    unescape_little_text,
)
from content.networks.threads import (
    THREADS_LIMIT,
    THREADS_MAX_LINKS,
    count_links,
    threads_length,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 25 UTF-8 bytes
FLAG_FR = "\U0001f1eb\U0001f1f7"  # 8 bytes
GRIN = "\U0001f600"  # 4 bytes
RESERVED = "\\|{}@[]()<>#*_~"

# --- LinkedIn -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("", ""),
        ("plain words, no markup.", "plain words, no markup."),
        ("(see below)", "\\(see below\\)"),
        ("me@example.com", "me\\@example.com"),
        ("#tag", "\\#tag"),
        ("a_b*c~d", "a\\_b\\*c\\~d"),
        ("{x|y}", "\\{x\\|y\\}"),
        ("[a](b)", "\\[a\\]\\(b\\)"),
        ("<html>", "\\<html\\>"),
        ("back\\slash", "back\\\\slash"),
        ("100% sure! $5 & ok?", "100% sure! $5 & ok?"),
        ("日本 (テスト) " + GRIN, "日本 \\(テスト\\) " + GRIN),
    ],
)
def test_escape_little_text(text: str, escaped: str) -> None:
    assert escape_little_text(text) == escaped


def test_every_reserved_character_is_escaped() -> None:
    assert escape_little_text(RESERVED) == "".join("\\" + char for char in RESERVED)


def test_hashtag_template() -> None:
    assert hashtag("python") == "{hashtag|\\#|python}"
    assert hashtag("#python") == "{hashtag|\\#|python}"
    assert hashtag("open_source") == "{hashtag|\\#|open\\_source}"
    assert hashtag("日本") == "{hashtag|\\#|日本}"


@pytest.mark.parametrize("word", ["", "#", "two words", "a|b", "x(y)", "@me", "a#b", "tab\t"])
def test_hashtag_refuses_what_cannot_be_one_word(word: str) -> None:
    with pytest.raises(ValueError, match="LinkedIn hashtag"):
        hashtag(word)


def test_linkedin_length_counts_the_escaped_text() -> None:
    assert LINKEDIN_LIMIT == 3000
    assert linkedin_length("hello") == 5
    assert linkedin_length("(hi)") == 6  # two backslashes count
    assert linkedin_length(GRIN) == 2  # UTF-16 code units
    assert linkedin_length("a" * 3000) == 3000
    assert linkedin_length("a" * 2999 + "#") == 3001


@given(st.text())
def test_escaping_then_unescaping_is_identity(text: str) -> None:
    assert unescape_little_text(escape_little_text(text)) == text


@given(st.text())
def test_escaped_text_has_no_bare_reserved_character(text: str) -> None:
    escaped = escape_little_text(text)
    index = 0
    while index < len(escaped):
        if escaped[index] == "\\":
            assert escaped[index + 1] in RESERVED
            index += 2
            continue
        assert escaped[index] not in RESERVED
        index += 1


@given(st.text())
def test_linkedin_length_never_below_code_points(text: str) -> None:
    assert linkedin_length(text) >= len(text)


# --- Threads: length ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("", 0),
        ("hello", 5),
        ("a\r\nb", 4),
        ("café", 4),
        ("e\u0301", 2),  # two UTF-16 units
        ("日本語のテキスト", 8),  # CJK is one each
        ("\U0001d401old", 5),  # a mathematical bold B is two UTF-16 units
        (GRIN, 4),  # emoji: UTF-8 bytes, as Meta documents
        (FAMILY, 25),
        (FLAG_FR, 8),
        ("\U0001f44d\U0001f3fd", 8),  # thumbs up + skin tone
        ("1\ufe0f\u20e3", 7),  # keycap 1️⃣: 1 + 3 + 3 bytes
        ("\u2764\ufe0f", 6),  # ❤️
        ("\u00a9", 2),  # © is pictographic: 2 bytes
        ("hi " + GRIN + "!", 3 + 4 + 1),
    ],
)
def test_threads_length(text: str, length: int) -> None:
    assert threads_length(text) == length


def test_the_500_edge() -> None:
    assert THREADS_LIMIT == 500
    assert threads_length("a" * 496 + GRIN) == 500
    assert threads_length("a" * 497 + GRIN) == 501
    assert threads_length(GRIN * 125) == 500
    assert threads_length(FAMILY * 20) == 500


@given(st.text())
def test_threads_length_never_below_code_points(text: str) -> None:
    assert threads_length(text) >= len(text)


# --- Threads: links -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("", 0),
        ("no links here. e.g. this", 0),
        ("https://example.com", 1),
        ("www.facebook.com", 1),  # Meta's own example: a bare domain is a link
        ("see example.com/page.", 1),
        ("https://a.com and https://a.com again", 1),  # distinct links
        ("https://a.com https://b.com/x a.org b.net/y c.io", 5),
        ("example.com and https://example.com", 2),  # as written: counted twice, to be safe
        ("mail me@example.com", 0),  # an address
        ("report.pdf and file.txt", 0),  # no such TLDs
        ("version 2.0.1", 0),
        ("(https://example.com/a_(b))", 1),
        ("日本語 https://example.jp/記事 です", 1),
        ("https://", 0),
    ],
)
def test_count_links(text: str, links: int) -> None:
    assert count_links(text) == links


def test_six_links_are_over_the_limit() -> None:
    text = " ".join(f"https://site{n}.com" for n in range(6))
    assert THREADS_MAX_LINKS == 5
    assert count_links(text) == 6 > THREADS_MAX_LINKS


@given(st.lists(st.sampled_from(["a.com", "https://b.org/x", "c.io/p?q=1"]), max_size=8))
def test_repeating_a_link_does_not_count_again(links: list[str]) -> None:
    assert count_links(" ".join(links)) == len(set(links))
