"""Bad input to `crier import`: each is a clear error (non-zero exit, the URL and the reason)
and nothing is half-imported: no post file, no photo, no temporary file left behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from blogsite import FIXTURES, STREAM_MB, Blog
from support import Result

from scheduler.importer.feeds import FeedProblem, parse_feed


def _nothing_written(cwd: Path) -> None:
    posts = cwd / "posts"
    assert not posts.exists() or list(posts.iterdir()) == []


@pytest.mark.parametrize(("path", "reason"), [
    ("/bomb.xml", "declares XML entities"),
    ("/no-link.xml", "has no link"),
    ("/post/broken-pictures", "404"),
    ("/to-file", "file:///etc/passwd, which is refused"),
    ("/hop", "file:///etc/passwd, which is refused"),
    ("/missing-page", "404"),
])
def test_bad_sources_are_errors_that_write_nothing(
        crier: Callable[..., Result], cli_env: Path, blog: Blog, path: str, reason: str) -> None:
    result = crier("import", blog.url(path))
    assert result.code == 1, result.out
    assert reason in result.err
    assert "127.0.0.1" in result.err and "nothing was" in result.err
    assert "Traceback" not in result.err
    _nothing_written(cli_env)


def test_an_image_that_404s_leaves_no_photo_either(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    result = crier("import", blog.url("/post/broken-pictures"))
    assert result.code == 1
    assert blog.url("/media/missing.jpg") in result.err
    _nothing_written(cli_env)


def test_a_50_mb_page_is_stopped_at_the_cap(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    result = crier("import", blog.url("/stream"))
    assert result.code == 1
    assert "more than 5 MB; stopped reading" in result.err and blog.url("/stream") in result.err
    # The server could not send it all: the importer hung up at the cap.
    assert blog.hits["/stream:chunks"] < STREAM_MB * 16
    _nothing_written(cli_env)


def test_html_given_as_a_feed_is_refused(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    saved = cli_env / "feed.xml"
    saved.write_bytes(blog.fixture("wix-post.html"))
    result = crier("import", str(saved))
    assert result.code == 1 and "HTML page, not a feed" in result.err
    added = crier("feeds", "add", blog.url("/html-feed"))
    assert added.code == 1 and "HTML page" in added.err and blog.url("/html-feed") in added.err
    assert crier("feeds", "list", "--json").out.strip() == "[]"
    _nothing_written(cli_env)


def test_an_xml_bomb_is_refused_before_any_entity_is_expanded() -> None:
    data = (FIXTURES / "bomb.xml").read_bytes()
    # Expanded, the title alone would be 84 * 20**6 characters (5 GB): refused instead.
    with pytest.raises(FeedProblem, match="declares XML entities"):
        parse_feed(data)


def test_an_external_entity_is_refused() -> None:
    data = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><title>&x;</title></channel></rss>')
    with pytest.raises(FeedProblem, match="declares XML entities"):
        parse_feed(data)


def test_a_local_file_url_is_refused(crier: Callable[..., Result], cli_env: Path) -> None:
    result = crier("import", "file:///etc/passwd")
    assert result.code == 1 and "only http and https" in result.err


def test_an_image_that_is_not_an_image(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    blog.routes["/media/fake.jpg"] = ("image/jpeg", b"<html>not a picture</html>")
    page = blog.fixture("page-images-404.html").replace(b"/media/missing.jpg",
                                                       b"/media/fake.jpg")
    blog.routes["/post/fake"] = ("text/html", page)
    result = crier("import", blog.url("/post/fake"))
    assert result.code == 1 and blog.url("/media/fake.jpg") in result.err
    assert "not an image" in result.err
    _nothing_written(cli_env)


def test_a_post_that_cannot_be_written_leaves_no_photo(
        crier: Callable[..., Result], cli_env: Path, blog: Blog) -> None:
    folder = cli_env / "posts"
    folder.mkdir()
    # The post's own name is taken by a folder: the photos are written, then the post fails.
    (folder / "p.md").mkdir()
    failed = crier("import", blog.url("/post/sleep-after-birth"), "-o", str(folder / "p.md"),
                   "--force")
    assert failed.code == 1 and "cannot write" in failed.err
    assert [p.name for p in folder.iterdir()] == ["p.md"]  # only the folder in the way
    assert not any(p.name.startswith(".crier-") for p in folder.iterdir())
