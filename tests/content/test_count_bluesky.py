"""Graphemes, Bluesky's limits, and facet detection checked against the reference client's rules."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from content.counting.graphemes import count_graphemes, grapheme_boundaries, utf8_length
from content.counting.richtext import (
    POST_BYTES,
    POST_GRAPHEMES,
    TAG_MAX_GRAPHEMES,
    Facet,
    detect_facets,
    fits_post,
    has_known_tld,
    post_length,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 25 bytes
FAMILY_GIRLS = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f467"  # 👨‍👩‍👧‍👧
FLAG_FR = "\U0001f1eb\U0001f1f7"
GRIN = "\U0001f600"  # 😀, 4 bytes
KEYCAP_HASH = "#\ufe0f\u20e3"  # #️⃣


# --- graphemes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [
        ("", 0),
        ("hello", 5),
        ("a\r\nb", 3),  # CR LF is one grapheme
        ("\n\r", 2),  # LF CR is two
        (FAMILY, 1),
        (FAMILY + FAMILY, 2),
        (FLAG_FR, 1),
        (FLAG_FR + "\U0001f1e9\U0001f1ea", 2),  # two flags side by side
        ("\U0001f1eb", 1),  # a lone regional indicator
        ("e\u0301", 1),  # e + combining acute
        ("a\u0308\u0301\u0323", 1),  # several marks on one letter
        ("caf\u00e9", 4),  # precomposed
        ("\U0001f44d\U0001f3fd", 1),  # thumbs up + skin tone
        (KEYCAP_HASH, 1),
        ("日本語のテキスト", 8),
        ("\u1100\u1161\u11a8", 1),  # a Hangul syllable from conjoining jamo
        ("\u0e01\u0e48", 1),  # Thai consonant + tone mark
        ("\u00e9\u00e8 \u00ff", 4),  # Latin-1 only: the fast path
        # Unassigned in Unicode 17 (ICU, which the reference client segments with), a combining
        # mark in the newer Unicode `regex` carries: counted as the reference counts it.
        ("\u15fc\u1aefh", 3),
        ("\U0001f600\u200d\U0001f7da", 1),  # pictographic to ICU: joins the ZWJ sequence
    ],
)
def test_count_graphemes(text: str, graphemes: int) -> None:
    assert count_graphemes(text) == graphemes


@pytest.mark.parametrize(
    ("text", "size"),
    [("", 0), ("abc", 3), ("é", 2), ("日", 3), (GRIN, 4), (FAMILY, 25), (FLAG_FR, 8)],
)
def test_utf8_length(text: str, size: int) -> None:
    assert utf8_length(text) == size


def test_utf8_length_survives_a_lone_surrogate() -> None:
    assert utf8_length("a\ud800") == 4


def test_grapheme_boundaries() -> None:
    assert grapheme_boundaries("") == [0]
    assert grapheme_boundaries("ab") == [0, 1, 2]
    assert grapheme_boundaries("a\r\nb") == [0, 1, 3, 4]
    assert grapheme_boundaries("\r\n") == [0, 2]
    assert grapheme_boundaries("\r") == [0, 1]
    assert grapheme_boundaries("e\u0301x") == [0, 2, 3]
    assert grapheme_boundaries(FAMILY + "!") == [0, len(FAMILY), len(FAMILY) + 1]
    assert grapheme_boundaries(FLAG_FR + FLAG_FR) == [0, 2, 4]


@given(st.text())
def test_graphemes_never_exceed_code_points(text: str) -> None:
    count = count_graphemes(text)
    assert 0 <= count <= len(text)
    assert (count == 0) == (text == "")


@given(st.text())
def test_boundaries_agree_with_the_count(text: str) -> None:
    bounds = grapheme_boundaries(text)
    assert bounds[0] == 0 and bounds[-1] == len(text)
    assert bounds == sorted(set(bounds))
    assert len(bounds) - 1 == count_graphemes(text)
    # Each piece between two boundaries is exactly one grapheme.
    for start, end in zip(bounds, bounds[1:], strict=False):
        assert count_graphemes(text[start:end]) == 1


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF)))
def test_fast_path_matches_segmentation(text: str) -> None:
    clusters = regex.findall(r"\X", text)
    assert count_graphemes(text) == len(clusters)
    ends = [0]
    for cluster in clusters:
        ends.append(ends[-1] + len(cluster))
    assert grapheme_boundaries(text) == ends


@given(st.text())
def test_utf8_length_matches_encode(text: str) -> None:
    assert utf8_length(text) == len(text.encode("utf-8", "surrogatepass"))


# --- limits -------------------------------------------------------------------------------


def test_300_graphemes_fit_and_301_do_not() -> None:
    assert fits_post("a" * POST_GRAPHEMES)
    assert not fits_post("a" * (POST_GRAPHEMES + 1))
    assert fits_post("é" * 300)  # 600 bytes
    assert fits_post(FLAG_FR * 300)  # 2400 bytes, 300 graphemes
    assert not fits_post(FLAG_FR * 301)


def test_grapheme_count_not_code_points_decides() -> None:
    text = "e\u0301" * 300  # 600 code points, 300 graphemes, 900 bytes
    assert post_length(text) == (300, 900)
    assert fits_post(text)


def test_3000_byte_edge_with_4_byte_emoji() -> None:
    text = FAMILY * 100 + GRIN * 125  # 2500 + 500 bytes, 225 graphemes
    assert post_length(text) == (225, POST_BYTES)
    assert fits_post(text)
    assert not fits_post(text + GRIN)  # 3004 bytes, 226 graphemes
    assert not fits_post(text + "a")  # one byte over


def test_few_graphemes_many_bytes() -> None:
    assert post_length(FAMILY * 300) == (300, 7500)
    assert not fits_post(FAMILY * 300)
    assert post_length(GRIN * 750) == (750, 3000)  # at the byte limit, over on graphemes
    assert not fits_post(GRIN * 750)


# --- facets: mentions and links (the reference's segment cases) ----------------------------


def spans(text: str) -> list[tuple[str, str, str]]:
    """(kind, the text the facet covers, value) for each facet."""
    raw = text.encode("utf-8")
    return [
        (f.kind, raw[f.byte_start : f.byte_end].decode("utf-8"), f.value)
        for f in detect_facets(text)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no mention", []),
        ("@handle.com middle end", [("mention", "@handle.com", "handle.com")]),
        ("start @handle.com end", [("mention", "@handle.com", "handle.com")]),
        ("start middle @handle.com", [("mention", "@handle.com", "handle.com")]),
        ("@handle.com @handle.com @handle.com", [("mention", "@handle.com", "handle.com")] * 3),
        ("@full123-chars.test", [("mention", "@full123-chars.test", "full123-chars.test")]),
        ("not@right", []),
        ("@handle.com!@#$chars", [("mention", "@handle.com", "handle.com")]),
        ("@handle.com\n@handle.com", [("mention", "@handle.com", "handle.com")] * 2),
        ("parenthetical (@handle.com)", [("mention", "@handle.com", "handle.com")]),
        (
            "end of sentence @alice.bsky.social.",
            [("mention", "@alice.bsky.social", "alice.bsky.social")],
        ),
        ("@alice", []),  # no domain
        ("@home.sweet", []),  # not a known TLD
        # detectFacets checks no handle syntax, only the TLD (case-sensitively) or ".test".
        ("@-bad.com", [("mention", "@-bad.com", "-bad.com")]),
        ("@bob.COM", []),
        ("@alice.xn--p1ai", []),  # the reference's TLD list has the Unicode form only
        ("email me@handle.com", []),
    ],
)
def test_mentions(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("start https://middle.com end", [("https://middle.com", "https://middle.com")]),
        (
            "start https://middle.com/foo/bar?baz=bux#hash end",
            [
                (
                    "https://middle.com/foo/bar?baz=bux#hash",
                    "https://middle.com/foo/bar?baz=bux#hash",
                )
            ],
        ),
        (
            "https://newline1.com\nhttps://newline2.com",
            [
                ("https://newline1.com", "https://newline1.com"),
                ("https://newline2.com", "https://newline2.com"),
            ],
        ),
        ("start middle.com end", [("middle.com", "https://middle.com")]),
        (
            "start middle.com/foo/bar?baz=bux#hash end",
            [("middle.com/foo/bar?baz=bux#hash", "https://middle.com/foo/bar?baz=bux#hash")],
        ),
        (
            "newline1.com\nnewline2.com",
            [("newline1.com", "https://newline1.com"), ("newline2.com", "https://newline2.com")],
        ),
        (
            "a example.com/index.php php link",
            [("example.com/index.php", "https://example.com/index.php")],
        ),
        ("a trailing bsky.app: colon", [("bsky.app", "https://bsky.app")]),
        # detectFacets compares the TLD and the "http" prefix case-sensitively: neither of
        # these is a link in the Bluesky app, odd as that is.
        ("UPPER Example.COM", []),
        ("HTTPS://EXAMPLE.COM/X", []),
        ("upper Example.com", [("Example.com", "https://Example.com")]),
        # A bare domain starting with "http" keeps its text as the URI and skips the TLD check.
        ("httpbin.org/x", [("httpbin.org/x", "httpbin.org/x")]),
        ("httpfoo.notatld", [("httpfoo.notatld", "httpfoo.notatld")]),
        (
            "punctuation https://foo.com, https://bar.com/whatever; https://baz.com.",
            [
                ("https://foo.com", "https://foo.com"),
                ("https://bar.com/whatever", "https://bar.com/whatever"),
                ("https://baz.com", "https://baz.com"),
            ],
        ),
        ("what? https://foo.com!", [("https://foo.com", "https://foo.com")]),
        # At most one trailing punctuation character is stripped, then one ")".
        ("see https://foo.com...", [("https://foo.com..", "https://foo.com..")]),
        ("see https://foo.com).", [("https://foo.com", "https://foo.com")]),
        ("see https://foo.com.)", [("https://foo.com.", "https://foo.com.")]),
        ("parenthentical (https://foo.com)", [("https://foo.com", "https://foo.com")]),
        ("(see https://foo.com/x).", [("https://foo.com/x", "https://foo.com/x")]),
        (
            "except for https://foo.com/thing_(cool)",
            [("https://foo.com/thing_(cool)", "https://foo.com/thing_(cool)")],
        ),
        # Not links: no known TLD, or the reference's domain grammar does not match.
        ("not.. a..url ..here", []),
        ("e.g.", []),
        ("something-cool.jpg", []),
        ("website.com.jpg", []),
        ("e.g./foo", []),
        ("website.com.jpg/foo", []),
        ("version 1.2.3", []),
        ("https://", []),
        ("https://...", [("https://..", "https://..")]),  # what detectFacets makes of it
        ("nospace:https://foo.com", []),
    ],
)
def test_links(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(covered, value) for kind, covered, value in spans(text) if kind == "link"] == expected
    assert all(kind == "link" for kind, _, _ in spans(text))


def test_facet_offsets_are_utf8_bytes_after_multibyte_text() -> None:
    text = FAMILY_GIRLS + " @handle.com " + FAMILY_GIRLS
    [facet] = detect_facets(text)
    assert (facet.byte_start, facet.byte_end) == (26, 37)  # 25-byte family + a space

    text = "日本語 https://example.com と café #tag"
    link, tag = detect_facets(text)
    assert (link.byte_start, link.byte_end) == (10, 29)
    assert link.value == "https://example.com"
    start = len("日本語 https://example.com と café ".encode())
    assert (tag.byte_start, tag.byte_end) == (start, start + 4)


# --- facets: hashtags ---------------------------------------------------------------------


def tags(text: str) -> list[tuple[str, int, int]]:
    return [(f.value, f.byte_start, f.byte_end) for f in detect_facets(text) if f.kind == "tag"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#a", [("a", 0, 2)]),
        ("#a #b", [("a", 0, 2), ("b", 3, 5)]),
        ("#1", []),
        ("#1a", [("1a", 0, 3)]),
        ("#tag", [("tag", 0, 4)]),
        ("body #tag", [("tag", 5, 9)]),
        ("body #tag body", [("tag", 5, 9)]),
        ("body #1", []),
        ("body #a1", [("a1", 5, 8)]),
        ("#", []),
        ("#?", []),
        ("text # text", []),
        ("no match 1?: #1?", []),
        ("#2024!", []),
        ("its a #double#rainbow", [("double#rainbow", 6, 21)]),
        ("##hashash", [("#hashash", 0, 9)]),
        ("##", []),
        ("some #n0n3s@n5e!", [("n0n3s@n5e", 5, 15)]),
        ("works #with,punctuation", [("with,punctuation", 6, 23)]),
        (
            "strips trailing #punctuation, #like. #this!",
            [("punctuation", 16, 28), ("like", 30, 35), ("this", 37, 42)],
        ),
        ("strips #multi_trailing___...", [("multi_trailing", 7, 22)]),
        ("I like #turtles!!!", [("turtles", 7, 15)]),
        (
            "works with #\U0001f98b emoji, and #butter\U0001f98bfly",
            [("\U0001f98b", 11, 16), ("butter\U0001f98bfly", 28, 42)],
        ),
        ("#\U0001f44d\U0001f3fb", [("\U0001f44d\U0001f3fb", 0, 9)]),  # skin-tone modifier
        (
            "#same #same #but #diff",
            [("same", 0, 5), ("same", 6, 11), ("but", 12, 16), ("diff", 17, 22)],
        ),
        ("this " + KEYCAP_HASH + "tag should not be a tag", []),
        ("this #" + KEYCAP_HASH + "tag should be a tag", [(KEYCAP_HASH + "tag", 5, 16)]),
        ("this #t\nag should be a tag", [("t", 5, 7)]),
        ("zero width #a\u200bb", [("a", 11, 13)]),
        ("zero width #ab\u200b", [("ab", 11, 14)]),
        ("zero width #\u200b", []),
        ("enclosing #\u20e2tag", []),
        ("enclosing #a\u20e2b", [("a", 10, 12)]),
        ("match full width number sign (tag): \uff03tag", [("tag", 36, 42)]),
        ("full width \uff03" + KEYCAP_HASH + "tag", [(KEYCAP_HASH + "tag", 11, 24)]),
        ("glued to a word a#tag", []),
        ("bsky.app/profile#header", []),
        ("(#tag)", []),  # a hashtag needs the start or a space before it; "(" is not enough
        ("café #étiquette", [("étiquette", 6, 17)]),
    ],
)
def test_hashtags(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert tags(text) == expected


def test_hashtag_length_limit_is_64_graphemes() -> None:
    tag64 = "thisisa64characterstring_" + "a" * 39
    assert len(tag64) == TAG_MAX_GRAPHEMES
    assert tags("body #" + tag64) == [(tag64, 5, 70)]
    assert tags("body #" + tag64 + "!") == [(tag64, 5, 70)]  # punctuation is not counted
    assert tags("body #" + tag64 + "b") == []  # 65: not a shorter tag, no tag at all
    # detectFacets measures `tag.length`, UTF-16 code units: 16 flags (64 units) are a tag,
    # 17 are not, although the lexicon counts them as 17 graphemes.
    flags = FLAG_FR * 16
    assert [value for value, _, _ in tags("#" + flags)] == [flags]
    assert tags("#" + flags + FLAG_FR) == []
    assert tags("#" + "\u00e9" * 64) != [] and tags("#" + "\U0001f98b" * 33) == []


# --- facets: cashtags ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy $aapl now", [("$AAPL", 4, 9)]),
        ("$TSLA", [("$TSLA", 0, 5)]),
        ("($TSLA)", [("$TSLA", 1, 6)]),
        ("$a", [("$A", 0, 2)]),
        ("$BRK1 and $X9", [("$BRK1", 0, 5), ("$X9", 10, 13)]),
        (
            "$aapl, $msft. $goog! $amzn? $nflx: $meta;",
            [
                ("$AAPL", 0, 5),
                ("$MSFT", 7, 12),
                ("$GOOG", 14, 19),
                ("$AMZN", 21, 26),
                ("$NFLX", 28, 33),
                ("$META", 35, 40),
            ],
        ),
        ("say $aapl' and $x\u2019", [("$AAPL", 4, 9), ("$X", 15, 17)]),
        ("quoted '$aapl'", []),  # a quote may follow a cashtag, not precede it
        ("$GOOGLE", []),  # six characters
        ("$1abc", []),  # must start with a letter
        ("$100", []),
        ("price$AAPL", []),
        ("$AAPL's", [("$AAPL", 0, 5)]),  # only the character right after is checked
        ("$aapl-b", []),
        ("$", []),
        ("日本 $aapl", [("$AAPL", 7, 12)]),
    ],
)
def test_cashtags(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert tags(text) == expected


# --- facets: together ---------------------------------------------------------------------


def test_mixed_facets_are_sorted_by_byte_start() -> None:
    text = "#first @alice.bsky.social see example.com $aapl (https://x.com/a)"
    assert [(f.kind, f.value) for f in detect_facets(text)] == [
        ("tag", "first"),
        ("mention", "alice.bsky.social"),
        ("link", "https://example.com"),
        ("tag", "$AAPL"),
        ("link", "https://x.com/a"),
    ]


def test_overlapping_facets_are_all_reported_like_the_reference() -> None:
    # Each rule of detectFacets runs over the whole text on its own: a mention inside a link
    # and a tag running into a link are both reported, sorted by where they start.
    text = "https://example.com/(@bob.bsky.social)"
    assert [(f.kind, f.value) for f in detect_facets(text)] == [
        ("link", text),
        ("mention", "bob.bsky.social"),
    ]
    assert [(f.kind, f.value, f.byte_start) for f in detect_facets("#a(https://x.com")] == [
        ("tag", "a(https://x.com", 0),
        ("link", "https://x.com", 3),
    ]


def test_to_record() -> None:
    link, mention, tag = detect_facets("example.com @bob.test #tag")
    assert link.to_record() == {
        "index": {"byteStart": 0, "byteEnd": 11},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}],
    }
    assert mention.to_record(did="did:plc:abc") == {
        "index": {"byteStart": 12, "byteEnd": 21},
        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:abc"}],
    }
    assert tag.to_record() == {
        "index": {"byteStart": 22, "byteEnd": 26},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "tag"}],
    }
    with pytest.raises(ValueError, match="resolveHandle"):
        mention.to_record()


def test_has_known_tld() -> None:
    assert has_known_tld("example.com")
    assert has_known_tld("EXAMPLE.COM")
    assert has_known_tld("bsky.social")
    assert has_known_tld("example.xn--p1ai")
    assert has_known_tld("пример.рф")  # checked in its xn-- form
    assert not has_known_tld("picture.jpg")
    assert not has_known_tld("localhost")
    assert not has_known_tld("")


# --- properties ---------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "@alice.bsky.social",
        "@bob.test",
        "@x",
        "#tag",
        "#1",
        "\uff03タグ",
        "#" + KEYCAP_HASH,
        "$aapl",
        "$GOOGLE",
        "example.com",
        "https://a.com/(x)",
        "http://b.org/p?q=1.",
        "(",
        ")",
        ".",
        ",",
        "!",
        "é",
        "e\u0301",
        FAMILY,
        FLAG_FR,
        GRIN,
        "日本語",
        "\u200b",
    ]
)
_WORDS = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=12)
_SEPARATORS = st.sampled_from([" ", "", "\n", "(", "\u3000"])


@given(_WORDS, st.lists(_SEPARATORS, min_size=12, max_size=12))
def test_facets_decode_back_to_what_they_mark(words: list[str], seps: list[str]) -> None:
    text = "".join(word + sep for word, sep in zip(words, seps, strict=False))
    raw = text.encode("utf-8", "surrogatepass")
    facets = detect_facets(text)
    previous_start = 0
    for facet in facets:
        assert isinstance(facet, Facet)
        assert 0 <= facet.byte_start < facet.byte_end <= len(raw)
        assert facet.byte_start >= previous_start  # sorted (they may overlap, as the reference's)
        previous_start = facet.byte_start
        covered = raw[facet.byte_start : facet.byte_end].decode("utf-8", "surrogatepass")
        if facet.kind == "mention":
            assert covered == "@" + facet.value
        elif facet.kind == "link":
            assert facet.value in (covered, "https://" + covered)
        elif facet.value.startswith("$") and covered.startswith("$"):
            assert covered.upper() == facet.value
        else:
            assert covered[0] in "#\uff03" and covered[1:] == facet.value
            assert count_graphemes(facet.value) <= TAG_MAX_GRAPHEMES


@given(st.text())
def test_detection_never_fails(text: str) -> None:
    facets = detect_facets(text)
    assert facets == sorted(facets, key=lambda f: f.byte_start)
