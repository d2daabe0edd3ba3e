"""Importing from the blog over HTTP (a server on 127.0.0.1): a Wix page and its feed,
WordPress and Atom feeds with full content, Substack, and a page no site rule knows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from blogsite import Blog
from support import REPO, Result

from content.brand import Brand
from content.post import Post, parse_post
from scheduler.config import load_brand


def _brand() -> Brand:
    return load_brand(REPO / "brand.toml")


def _imported(crier: Callable[..., Result], cwd: Path, *argv: str) -> tuple[dict[str, Any], Post]:
    result = crier("import", *argv, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    path = cwd / report["path"]
    return report, parse_post(path.read_text(encoding="utf-8"), str(path))


def _no_closing(post: Post, brand: Brand) -> None:
    text = post.body.replace("’", "'")
    assert brand.disclaimer[:40].replace("’", "'") not in text
    assert "Like, Share, Follow" not in text and "Taking new patients" not in text
    for chrome in ("top of page", "bottom of page", "Comments", "Copy link", "views",
                   "Recent Posts", "Write a comment", "All rights reserved", "Book a visit"):
        assert chrome not in post.body, chrome


def test_a_wix_post_page(crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    report, post = _imported(crier, cli_env, blog.url("/post/sleep-after-birth"))
    assert post.title == "Sleep after birth: what actually helps"
    assert post.link == blog.url("/post/sleep-after-birth")
    assert report["published"] == "2026-11-20" and report["site"] == "wix"
    assert Path(report["path"]).name.startswith("2026-11-20-")
    paragraphs = post.body.split("\n\n")
    assert paragraphs[0].startswith("Every new parent is told")
    assert paragraphs[-1].startswith("If low mood, anxiety")
    assert len(paragraphs) == 4
    assert "almost impossible" in post.body and "postpartum sleep (https://example.org/study)" \
        in post.body
    _no_closing(post, _brand())
    # Two figures: the first with its alt, the second (alt="") with its caption as alt.
    assert [i.alt for i in post.images] == [
        "A parent rests on a sofa beside a bassinet in a dim nursery at dawn.",
        "A sleep log kept for one week."]
    assert [i["caption"] for i in report["images"]] == [
        "Short, protected stretches of sleep count more than the total.",
        "A sleep log kept for one week."]
    for image in post.images:
        file = cli_env / Path(report["path"]).parent / image.path
        assert file.read_bytes()[:2] == b"\xff\xd8"  # re-encoded JPEG, metadata left behind
        assert "nursery" not in image.path and "notes" not in image.path
    assert blog.hits["/media/nursery.jpg"] == 1
    reasons = [d["reason"] for d in report["dropped"]]
    assert reasons.count("call to action") == 2 and reasons.count("disclaimer") == 1
    assert "the title" in reasons


def test_the_wix_feed_fetches_each_items_page(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    report, post = _imported(crier, cli_env, blog.url("/blog-feed.xml"))
    assert blog.hits["/post/sleep-after-birth"] == 1  # the feed has only an excerpt
    assert report["guid"] == "6740a1b2c3d4e5f6a7b8c9d0"
    assert post.title == "Sleep after birth: what actually helps"
    assert "sounds simple..." not in post.body and len(post.body.split("\n\n")) == 4


def test_a_wordpress_feed_with_full_content(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    report, post = _imported(crier, cli_env, blog.url("/feed/"))
    assert post.title == "Ketamine, esketamine and what the trials measured"
    assert post.link == blog.url("/2026/11/ketamine-trials/")
    assert report["published"] == "2026-11-24"
    assert blog.hits["/2026/11/ketamine-trials/"] == 0  # the content came in the feed
    assert "different questions" in post.body and "What to ask your doctor" in post.body
    assert "- How will we measure whether it helps?" in post.body
    # The suggested quote is a sentence of the prose, not a heading run into a list.
    assert report["quote"] and report["quote"] in post.body.replace("*", "")
    assert "What to ask" not in report["quote"]
    assert "Share this" not in post.body and "Facebook" not in post.body
    _no_closing(post, _brand())
    assert [i.alt for i in post.images] == [
        "An infusion pump beside a reclining chair in a quiet clinic room."]
    # srcset: the widest candidate was fetched, not the thumbnail.
    assert blog.hits["/wp-content/uploads/2026/11/infusion-1024x683.jpg"] == 1
    assert blog.hits["/wp-content/uploads/2026/11/infusion-300x200.jpg"] == 0


def test_an_atom_feed(crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    report, post = _imported(crier, cli_env, blog.url("/atom/"))
    assert post.title == "Anxiety in pregnancy is common, and treatable"
    assert post.link == blog.url("/anxiety-in-pregnancy/")
    assert post.body.startswith("About one in five") and post.body.endswith(
        "not only the risk of treatment.")
    _no_closing(post, _brand())
    # A relative image address, resolved against the item's link; alt from the caption.
    assert [i.alt for i in post.images] == ["A window seat with a cup of tea and a notebook."]
    assert blog.hits["/content/images/2026/11/window.jpg"] == 1


def test_a_substack_post(crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    report, post = _imported(crier, cli_env, blog.url("/p/the-fourth-trimester"))
    assert report["site"] == "substack"
    assert post.title == "The fourth trimester"
    assert post.body.count("\n\n") == 1 and "Thanks for reading" not in post.body
    assert [i.alt for i in post.images] == ["A newborn's hand holds an adult finger."]


def test_a_page_no_site_rule_knows_goes_through_the_extractor(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    report, post = _imported(crier, cli_env, blog.url("/blog/five-myths"))
    assert report["site"] == "trafilatura"
    assert post.title == "Five myths about postpartum depression"
    assert post.body.startswith("Postpartum depression is one of the most common")
    assert "Myth five: only mothers get it." in post.body
    for chrome in ("Popular posts", "Newsletter", "Thank you for writing", "Copyright",
                   "Theme by", "Shop"):
        assert chrome not in post.body, chrome


def test_a_saved_html_file(crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    saved = cli_env / "saved.html"
    saved.write_bytes(blog.fixture("wix-post.html"))
    report, post = _imported(crier, cli_env, str(saved))
    assert post.title == "Sleep after birth: what actually helps"
    assert len(post.images) == 2 and report["site"] == "wix"


def test_a_page_with_no_article_is_an_error_and_writes_nothing(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    result = crier("import", blog.url("/"))
    assert result.code == 1
    assert blog.url("/") in result.err and "no article" in result.err
    assert not (cli_env / "posts").exists() or not any((cli_env / "posts").iterdir())


def test_importing_again_refuses_to_overwrite_unless_forced(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    first = crier("import", blog.url("/atom/"), "--json")
    assert first.code == 0
    again = crier("import", blog.url("/atom/"))
    assert again.code == 1 and "already exists" in again.err
    forced = crier("import", blog.url("/atom/"), "--force", "--json")
    assert forced.code == 0
    assert json.loads(forced.out)["path"] == json.loads(first.out)["path"]


def test_a_feed_with_all_imports_every_item_and_otherwise_the_newest(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    blog.grow(3)
    newest = crier("import", blog.url("/grow.xml"), "--json")
    assert newest.code == 0, newest.err
    assert json.loads(newest.out)["title"] == "Post number 3"
    every = crier("import", blog.url("/grow.xml"), "--all", "--force", "--json")
    assert every.code == 0, every.err
    reports = json.loads(every.out)
    assert sorted(r["title"] for r in reports) == ["Post number 1", "Post number 2",
                                                   "Post number 3"]
    assert len({r["path"] for r in reports}) == 3
    assert all((cli_env / r["path"]).is_file() for r in reports)


def test_a_page_whose_text_has_no_image_offers_its_cover_for_the_author_to_describe(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    import re

    page = re.sub(rb"<figure.*?</figure>", b"", blog.fixture("wix-post.html"), flags=re.S)
    blog.routes["/post/no-figures"] = ("text/html", page)
    report, post = _imported(crier, cli_env, blog.url("/post/no-figures"))
    assert post.images == ()  # never posted without its alt text unless she says so
    assert blog.hits["/media/cover.jpg"] == 1  # JSON-LD's image
    text = (cli_env / report["path"]).read_text(encoding="utf-8")
    (line,) = [x for x in text.splitlines() if x.startswith("# images: [{path: ")]
    name = line.split("path: ")[1].split(",")[0]
    assert (cli_env / report["path"]).parent.joinpath(name).is_file()
    assert any("cover image" in note for note in report["notes"])
