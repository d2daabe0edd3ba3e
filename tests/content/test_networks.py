"""Each network is one module: its declared rules are complete, the table lists every module,
and the generic code reads the rules instead of asking which network it is."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import replace
from pathlib import Path

import pytest

import content.networks
from content.brand import parse_brand
from content.errors import BrandError, UnknownPlatform
from content.formatting import format_text
from content.images.errors import ImageError
from content.images.plan import image_size
from content.networks import (
    ALIASES,
    NETWORK_NAMES,
    NETWORKS,
    NetworkRules,
    ServerLimits,
    check_platform,
    rules_for,
)
from content.post import Post

ROOT = Path(__file__).resolve().parents[2]
BRAND_TEXT = """
[author]
name = "A. Author"
[disclaimer]
full = "Not medical advice."
[call_to_action]
default = "Follow for more."
"""
BRAND = parse_brand(BRAND_TEXT)
NOT_NETWORKS = {"base"}  # modules of the package that declare no network


def test_the_table_holds_the_seven_networks_in_order() -> None:
    assert NETWORK_NAMES == (
        "x", "bluesky", "mastodon", "threads", "linkedin", "facebook", "instagram")
    assert all(NETWORKS[name].name == name for name in NETWORK_NAMES)


def test_every_network_module_is_in_the_table_under_its_own_name() -> None:
    modules = {info.name for info in pkgutil.iter_modules(content.networks.__path__)}
    assert modules - NOT_NETWORKS == set(NETWORK_NAMES)
    for name in NETWORK_NAMES:
        module = importlib.import_module(f"content.networks.{name}")
        assert module.RULES is NETWORKS[name]


@pytest.mark.parametrize("name", NETWORK_NAMES)
def test_every_network_declares_complete_rules(name: str) -> None:
    rules = NETWORKS[name]
    assert isinstance(rules, NetworkRules)
    assert rules.display and rules.unit and rules.limit > 0 and rules.max_hashtags > 0
    # Every network's count is a real count: plain ASCII words cost one unit per character.
    assert rules.measure("") == 0 and rules.measure("Hello there.") == 12
    images = rules.images
    assert images.size[0] >= 320 and images.size[1] >= 320
    assert images.max_bytes >= 1_000_000 and images.max_images >= 1 and images.alt_limit >= 1000
    assert images.formats and set(images.formats) <= {"PNG", "JPEG"}
    assert images.size_problem(images.size) is None  # its own size is one it takes
    assert rules.fits("Hello there.") and not rules.fits("a" * (rules.limit + 1))


@pytest.mark.parametrize(("written", "name"), [
    ("twitter", "x"), ("Twitter", "x"), ("bsky", "bluesky"), (" FB ", "facebook"),
    ("ig", "instagram"), ("Mastodon", "mastodon"),
])
def test_aliases_and_case_lead_to_the_canonical_name(written: str, name: str) -> None:
    assert check_platform(written) == name
    assert rules_for(written) is NETWORKS[name]
    assert set(ALIASES.values()) <= set(NETWORK_NAMES)


def test_an_unknown_network_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownPlatform, match="myspace.*x, bluesky, mastodon"):
        check_platform("myspace")


@pytest.mark.parametrize("name", NETWORK_NAMES)
def test_every_network_s_hashtags_count_and_form_are_its_own(name: str) -> None:
    rules = NETWORKS[name]
    tags = tuple(f"Tag{n}" for n in range(40))
    first = format_text(Post(body="A short post.", hashtags=tags), BRAND, rules).parts[0]
    rendered = [rules.render_hashtag(tag) for tag in tags]
    assert [tag in first.text for tag in rendered].count(True) == rules.max_hashtags
    assert all(tag in first.text for tag in rendered[: rules.max_hashtags])
    assert first.length == rules.measure(first.text) and first.limit == rules.limit
    assert bool(first.facets) == (rules.facets is not None)  # the tags are facets there


def test_linkedin_escapes_its_little_text_and_writes_hashtags_as_templates() -> None:
    rules = rules_for("linkedin")
    assert rules.escape("a #b *c* (d) @e") == r"a \#b \*c\* \(d\) \@e"
    assert rules.render_hashtag("Tag") == r"{hashtag|\#|Tag}"
    (part,) = format_text(Post(body="Use #this (please)."), BRAND, rules).parts
    assert part.text.startswith(r"Use \#this \(please\).")
    for name in set(NETWORK_NAMES) - {"linkedin"}:
        assert NETWORKS[name].escape("a #b (c)") == "a #b (c)"
        assert NETWORKS[name].render_hashtag("Tag") == "#Tag"


def test_refusals_besides_length_are_each_network_s_own() -> None:
    bluesky, threads, instagram = (rules_for(n) for n in ("bluesky", "threads", "instagram"))
    assert bluesky.byte_limit == 3000
    assert bluesky.problem("😀" * 751) == "3004 UTF-8 bytes, over Bluesky's 3000"
    six = " ".join(f"https://site{n}.com" for n in range(6))
    assert threads.problem(six) == "6 links, over Threads' 5"
    assert threads.problem(six.rsplit(" ", 1)[0]) is None
    tags = " ".join(f"#t{n}" for n in range(31))
    assert instagram.problem(tags) == "31 hashtags, over Instagram's 30"
    assert rules_for("x").problem(six + " " + tags) is None


def test_instagram_refuses_a_shape_it_does_not_take_and_others_do_not_care() -> None:
    check = rules_for("instagram").images.size_problem
    assert check((1080, 1350)) is None and check((1080, 1080)) is None
    for bad in ((1080, 2000), (1440, 700), (200, 200), (1600, 1000)):
        assert check(bad) is not None and "4:5 to 1.91:1" in str(check(bad))
    odd = replace(BRAND, image_sizes={"instagram": (1080, 2000), "x": (1080, 2000)})
    with pytest.raises(ImageError, match=r"images\.sizes\.instagram = \[1080, 2000\]"):
        image_size(odd, rules_for("instagram"))
    assert image_size(odd, rules_for("x")) == (1080, 2000)


def test_a_network_section_of_the_brand_is_read_by_the_network() -> None:
    brand = parse_brand(BRAND_TEXT + """
[mastodon]
visibility = "unlisted"
content_warning = "Mental health  "
""")
    assert brand.options_for("mastodon") == {
        "visibility": "unlisted", "content_warning": "Mental health"}
    assert brand.options_for("x") == {}
    assert parse_brand(BRAND_TEXT).network_options == {}


def test_a_network_section_s_unknown_or_bad_options_are_reported_with_their_keys() -> None:
    with pytest.raises(BrandError) as caught:
        parse_brand(BRAND_TEXT + """
[mastodon]
visibility = "loud"
content_warning = 3
loudness = 11
""")
    problems = dict(caught.value.problems)
    assert problems["mastodon.loudness"] == "unknown key"
    assert problems["mastodon.visibility"].startswith("must be one of public, unlisted")
    assert problems["mastodon.content_warning"] == "must be text"
    with pytest.raises(BrandError, match=r"\bx\.visibility: unknown key"):
        parse_brand(BRAND_TEXT + '\n[x]\nvisibility = "public"\n')  # X's section has no such key
    with pytest.raises(BrandError, match=r"\bmyspace: unknown section"):
        parse_brand(BRAND_TEXT + '\n[myspace]\nvisibility = "public"\n')  # no such network


def test_the_content_warning_takes_its_counted_length_from_every_part() -> None:
    # A link in the warning counts 23 whatever its length: the reservation is Mastodon's count.
    warning = "CW https://example.com/a/rather/long/path/to/somewhere"
    brand = replace(BRAND, network_options={"mastodon": {"content_warning": warning}})
    mastodon = rules_for("mastodon")
    taken = mastodon.measure(warning)
    assert taken == 3 + 23 != len(warning)
    post = Post(body="word " * 300 + "end.")
    warned = format_text(post, brand, mastodon)
    assert all(part.limit == 500 - taken for part in warned.parts)
    assert all(part.length <= part.limit for part in warned.parts)
    assert f"the content warning takes {taken} characters of each part's limit" in warned.notes
    plain = format_text(post, BRAND, mastodon)
    assert max(part.limit for part in plain.parts) == 500
    for name in set(NETWORK_NAMES) - {"mastodon"}:  # no other network reads the option
        assert format_text(post, brand, NETWORKS[name]) == format_text(post, BRAND, NETWORKS[name])


def test_what_travels_with_each_part_is_the_network_s_choice() -> None:
    mastodon = rules_for("mastodon")
    assert mastodon.payload({}) == {"visibility": "public"}
    assert mastodon.payload({"visibility": "direct", "content_warning": "CW"}) == {
        "visibility": "direct", "content_warning": "CW"}
    assert all(NETWORKS[n].payload({"visibility": "direct"}) == {}
               for n in set(NETWORK_NAMES) - {"mastodon"})


def test_a_server_s_limits_change_only_what_the_network_lets_them() -> None:
    mastodon = rules_for("mastodon")
    assert mastodon.with_server(ServerLimits()) == mastodon
    served = mastodon.with_server(ServerLimits(limit=1000, url_length=30, max_images=6,
                                               alt_limit=900, image_bytes=2_000_000))
    assert served.limit == 1000 and served.measure("go https://example.com") == 3 + 30
    assert (served.images.max_images, served.images.alt_limit, served.images.max_bytes) == (
        6, 900, 2_000_000)
    reservation = served.reserved({"content_warning": "https://a.example.com"})
    assert reservation is not None and reservation.length == 30  # the server's URL length
    x = rules_for("x")
    assert x.with_server(ServerLimits(limit=1000)) is x  # X's limits are X's own


# -- the guard: the generic code names no network -------------------------------------------

# Case matters for "X" and "Threads": a lone x is a coordinate and "threads" a thread's plural.
_NAMES = re.compile(
    # twitter-text and AT Protocol lexicon ids (app.bsky.*) are the references' names.
    r"(?i:(?<!app\.)\b(?:bluesky|bsky|mastodon|linkedin|facebook|instagram|twitter)\b"
    r"(?![-_]text|, inc))"
    r"|\bThreads\b|[\"']threads[\"']"
    r"|(?<!\\)\bX\b(?!-)|[\"'][xX][\"']"
    r"|[\"'](?:fb|ig)[\"']"
)
# A network's name belongs in its rules module (content/networks/), its publisher module or
# package (scheduler/publishers/<name>), and the one table (content/networks/__init__.py).
# The generated data tables of content/counting/ are the references' data, not code.
_PUBLISHERS = tuple(f"scheduler/publishers/{name}" for name in NETWORK_NAMES)
_ALLOWED = ("content/networks/", *_PUBLISHERS, "content/counting/twitter_text_url_chars.py")
_GENERIC = [*sorted((ROOT / "content").rglob("*.py")),
            *sorted((ROOT / "scheduler").rglob("*.py"))]


def test_the_guard_finds_a_network_name_where_one_is_written() -> None:
    for line in ('if rules.name == "linkedin":', "# Threads counts emoji", 'name == "x"',
                 "X refuses duplicates", "for Bluesky"):
        assert _NAMES.search(line), line
    for line in ("x = left + 1", r'regex.compile(r"\X")', "a thread of threads", "1600x900",
                 "npm twitter-text 3.1.0", '"app.bsky.feed.post"', "(c) Twitter, Inc."):
        assert not _NAMES.search(line), line


def test_generic_code_names_no_network() -> None:
    found = []
    for path in _GENERIC:
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(_ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _NAMES.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "network names in generic code (move the fact to its network's module):\n" \
        + "\n".join(found)
