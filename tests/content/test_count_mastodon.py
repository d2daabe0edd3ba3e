"""Mastodon's status length: graphemes, URLs at a fixed price, remote mentions without domain."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.counting.graphemes import count_graphemes
from content.networks.mastodon import MASTODON_DEFAULT_LIMIT, mastodon_length

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG_FR = "\U0001f1eb\U0001f1f7"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("", 0),
        ("hello", 5),
        (FAMILY, 1),
        (FLAG_FR * 3, 3),
        ("e\u0301", 1),
        ("日本語", 3),
        # Every http(s) URL is 23, long or short.
        ("https://example.com/a/very/long/path/that/goes/on/and/on/and/on", 23),
        ("https://a.co", 23),
        ("http://example.org", 23),
        ("HTTPS://EXAMPLE.COM", 23),
        ("see https://example.com.", 4 + 23 + 1),  # the full stop is the sentence's
        ("see https://example.com/page?q=1&r=2, then", 4 + 23 + 6),
        ("(https://en.wikipedia.org/wiki/Go_(game))", 1 + 23 + 1),
        ("https://example.com:8080/x", 23),
        ("a https://example.com b https://example.org c", 2 + 23 + 3 + 23 + 2),
        (FAMILY + " https://example.com/" + FLAG_FR, 1 + 1 + 23 + 1),
        # Not URLs to Mastodon: no scheme, or no known TLD, or glued to a word.
        ("example.com", 11),
        ("www.example.com/path", 20),
        ("https://localhost:3000", 22),
        ("xhttps://example.com", 20),
        # A remote mention counts as its local part.
        ("@alice@example.social", 6),
        ("hi @alice@mastodon.example.org!", 3 + 6 + 1),
        ("@alice@example.com.", 7),
        ("@alice", 6),
        ("@alice_b@sub-domain.example.com @bob@x.org", 8 + 1 + 4),
        ("mail alice@example.com", 22),  # an address, not a mention
        ("@bob@example.com@", 17),  # followed by "@": not a mention
        ("https://example.com/@bob@example.org", 23),  # a path, not a mention
    ],
)
def test_mastodon_length(text: str, length: int) -> None:
    assert mastodon_length(text) == length


def test_url_length_is_the_servers() -> None:
    assert mastodon_length("go https://example.com", url_length=30) == 3 + 30
    assert mastodon_length("go https://example.com", url_length=0) == 3


def test_negative_url_length_is_refused() -> None:
    with pytest.raises(ValueError, match="url_length"):
        mastodon_length("x", url_length=-1)


def test_content_warning_counts_too() -> None:
    assert mastodon_length("body", spoiler_text="CW: spoilers") == 12 + 4


def test_the_500_edge() -> None:
    assert MASTODON_DEFAULT_LIMIT == 500
    text = "a" * 476 + " https://example.com/" + "x" * 200  # 476 + 1 + 23
    assert mastodon_length(text) == 500
    assert mastodon_length(text + "!") == 501
    assert mastodon_length(FAMILY * 500) == 500


_PLAIN = st.text(alphabet=st.characters(blacklist_characters="@:/"))


@given(_PLAIN)
def test_text_without_urls_or_mentions_counts_graphemes(text: str) -> None:
    assert mastodon_length(text) == count_graphemes(text)


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/=", max_size=200),
    st.text(alphabet="abc ", max_size=20),
)
def test_any_url_costs_the_same(path: str, after: str) -> None:
    url = "https://example.com/" + path
    assert mastodon_length("see " + url + " " + after) == 4 + 23 + 1 + len(after)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=30))
def test_remote_mentions_cost_their_local_part(user: str) -> None:
    assert mastodon_length(f"@{user}@example.social hi") == 1 + len(user) + 3


@given(st.text(), st.integers(min_value=0, max_value=60))
def test_never_fails_and_never_negative(text: str, url_length: int) -> None:
    assert mastodon_length(text, url_length=url_length) >= 0
