"""The rules underneath an import: which lines are the brand's, what a fetch accepts."""

from __future__ import annotations

import pytest
from blogsite import Blog
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REPO

from scheduler.config import load_brand
from scheduler.importer.brandlines import brand_lines, drop_brand_lines
from scheduler.importer.fetch import Fetcher, FetchError


def test_brand_lines_match_across_case_spaces_and_typographic_quotes() -> None:
    lines = brand_lines(load_brand(REPO / "brand.toml"))
    page = [
        "The post itself.",
        "like, share, follow and subscribe for more original content by Tally Reproductive "
        "Psychiatrist, Jamie Lee Sorenson, MD on Women's   Mental Health and the Bendy Boy "
        "Mom life.",  # a straight apostrophe where the brand has a curly one
        "TAKING NEW PATIENTS in FL, GA, CO, and TN. All patients 12 years and older are "
        "welcome.",
    ]
    kept, dropped, notes = drop_brand_lines(page, lines)
    assert kept == ["The post itself."]
    assert [d.reason for d in dropped] == ["call to action", "call to action"]
    assert notes == []


def test_the_practice_note_alone_is_dropped_through_also_drop() -> None:
    lines = brand_lines(load_brand(REPO / "brand.toml"))
    kept, dropped, _ = drop_brand_lines(
        ["Body.", "Taking new patients in FL, GA, CO, and TN. All patients 12 years and older "
                  "are welcome."], lines)
    assert kept == ["Body."] and [d.reason for d in dropped] == ["brand line"]


def test_a_paragraph_that_contains_the_disclaimer_and_more_is_kept_and_noted() -> None:
    brand = load_brand(REPO / "brand.toml")
    mixed = f"My own closing thought. {brand.disclaimer}"
    kept, dropped, notes = drop_brand_lines([mixed], brand_lines(brand))
    assert kept == [mixed] and dropped == []
    assert len(notes) == 1 and "disclaimer" in notes[0]


def test_a_fetch_refuses_the_wrong_content_type(blog: Blog) -> None:
    with pytest.raises(FetchError, match="is text/html, not an image"):
        Fetcher()(blog.url("/post/sleep-after-birth"), "image")
    with pytest.raises(FetchError, match="is a feed"):
        Fetcher()(blog.url("/feed/"), "page")


def test_a_declared_size_over_the_cap_is_refused_before_reading(blog: Blog) -> None:
    fetch = Fetcher(limits={"page": 1024})
    with pytest.raises(FetchError, match="more than the 1 KB allowed"):
        fetch(blog.url("/post/sleep-after-birth"), "page")


def test_a_conditional_get_comes_back_not_modified(blog: Blog) -> None:
    blog.grow(1)
    fetch = Fetcher()
    first = fetch(blog.url("/grow.xml"), "feed")
    assert first.etag and first.last_modified
    again = fetch(blog.url("/grow.xml"), "feed", etag=first.etag)
    assert again.not_modified and again.body == b""
    blog.grow(1)
    changed = fetch(blog.url("/grow.xml"), "feed", etag=first.etag)
    assert not changed.not_modified and b"grow-2" in changed.body


def test_an_alt_that_is_a_file_name_gives_way_to_the_caption() -> None:
    from scheduler.importer.article import Article
    from scheduler.importer.pages import read_fragment

    article = Article()
    read_fragment('<p>Text.</p><figure><img src="https://blog.test/a.jpg" alt="IMG_2041.JPG">'
                  '<figcaption>The clinic garden in spring.</figcaption></figure>'
                  '<figure><img src="https://blog.test/b.jpg" alt="IMG_2042.jpg"></figure>',
                  "https://blog.test/post", article)
    assert [(f.alt, f.caption) for f in article.figures] == [
        ("The clinic garden in spring.", "The clinic garden in spring."), ("", "")]


def test_a_bad_also_drop_is_reported_with_its_key() -> None:
    from content.brand import parse_brand
    from content.errors import BrandError

    raw = (REPO / "brand.toml").read_text(encoding="utf-8")
    raw = raw.replace('also_drop = ["Taking new patients', 'also_drop = [5, "Taking new patients')
    with pytest.raises(BrandError, match="import.also_drop"):
        parse_brand(raw)


_WORDS = ["mood", "sleep", "baby", "week", "the", "and", "doctor", "calm", "plan", "help"]


@settings(max_examples=60, deadline=None)
@given(body=st.lists(st.lists(st.sampled_from(_WORDS), min_size=3, max_size=30).map(" ".join),
                     min_size=1, max_size=8),
       where=st.lists(st.integers(0, 8), min_size=1, max_size=3),
       shout=st.booleans(), spaces=st.integers(1, 3))
def test_every_brand_line_inserted_is_dropped_and_every_other_paragraph_kept_in_order(
        body: list[str], where: list[int], shout: bool, spaces: int) -> None:
    brand = load_brand(REPO / "brand.toml")
    closing = [brand.disclaimer, brand.call_to_action, *brand.import_also_drop]
    page = list(body)
    inserted = 0
    for n, at in enumerate(where):
        line = closing[n % len(closing)]
        line = (line.upper() if shout else line).replace(" ", " " * spaces).replace("’", "'")
        page.insert(min(at, len(page)), line)
        inserted += 1
    kept, dropped, _ = drop_brand_lines(page, brand_lines(brand))
    assert kept == body
    assert len(dropped) == inserted
