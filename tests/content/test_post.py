"""The post file: front matter, Markdown to text, and every kind of bad input."""

from __future__ import annotations

import pytest

from content.errors import PostError
from content.post import markdown_to_text, parse_post
from scheduler.config import PROJECT_ROOT, load_post


def test_sample_post_parses_with_its_front_matter() -> None:
    post = load_post(PROJECT_ROOT / "examples" / "glutamate.md")
    assert post.title is not None and post.title.startswith("What's the deal with Glutamate?")
    assert post.link is not None and post.link.startswith("https://")
    assert "WomensMentalHealth" in post.hashtags
    assert post.body.startswith("If I develop a pharmaceutical agent")
    # The brand carries the disclaimer and call to action: they are not body text.
    assert "Disclaimer" not in post.body
    assert "Like, Share, Follow" not in post.body


def test_all_keys_are_read() -> None:
    post = parse_post(
        "---\n"
        "title: A title\n"
        "link: https://example.com/a\n"
        "hashtags: ['#One', two, one]\n"
        "platforms: [X, bsky]\n"
        "at: 2026-12-01 09:30\n"
        "timezone: Europe/Berlin\n"
        "quote: Said once.\n"
        "images:\n  - {path: a.jpg, alt: A cat}\n  - {path: b.png, alt: ''}\n"
        "thread: false\n"
        "numbering: false\n"
        "---\n"
        "Body.\n"
    )
    assert post.hashtags == ("One", "two")
    assert post.platforms == ("x", "bluesky")
    assert post.at == "2026-12-01 09:30"
    assert post.timezone == "Europe/Berlin"
    assert [(i.path, i.alt) for i in post.images] == [("a.jpg", "A cat"), ("b.png", "")]
    assert post.thread is False and post.numbering is False
    assert post.text == "A title\n\nBody."


def test_markdown_marks_are_removed_but_words_kept() -> None:
    text = markdown_to_text(
        "# Heading\n\nSome **bold** and *soft* words, a [link](https://a.example/x).\r\n\n\n\nEnd  "
    )
    assert text == "Heading\n\nSome bold and soft words, a link (https://a.example/x).\n\nEnd"


def test_snake_case_and_hashtags_survive_markdown() -> None:
    assert markdown_to_text("my_var_name and #tag and 2*3*4") == "my_var_name and #tag and 2*3*4"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "no body"),
        ("---\ntitle: x\n---\n   \n\t\n", "no body"),
        ("---\ntitle: [unclosed\n---\nBody", "not valid YAML at line 2"),
        ("---\ntitle: x\nBody", "never closed"),
        ("---\n- a list\n---\nBody", "'key: value' lines"),
        ("---\ntitel: x\n---\nBody", "unknown front matter key(s) titel"),
        ("---\nplatforms: [x, myspace]\n---\nBody", "unknown network 'myspace'"),
        ("---\nat: tomorrow\n---\nBody", "YYYY-MM-DD HH:MM"),
        ("---\nat: 2026-12-01\n---\nBody", "needs a time too"),
        ("---\nthread: maybe\n---\nBody", "thread must be true or false"),
        ("---\nlink: example.com\n---\nBody", "full http(s) address"),
        ("---\nhashtags: ['two words']\n---\nBody", "not a usable hashtag"),
        ("---\nhashtags: ['2026']\n---\nBody", "not a usable hashtag"),
        ("---\nimages: [{path: a.jpg}]\n---\nBody", "has no alt text"),
        ("---\nimages: [{alt: x}]\n---\nBody", "needs a path"),
        ("Body with \ud800 a lone surrogate", "lone surrogate U+D800 at line 1, column 11"),
        ("Body\nwith \uffff here", "non-character U+FFFF at line 2, column 6"),
        ("Body \ufdd0", "non-character U+FDD0"),
        ("Body \ufeff inside", "byte order mark"),
    ],
)
def test_bad_posts_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(PostError) as caught:
        parse_post(raw, "post.md")
    assert message in str(caught.value)
    assert str(caught.value).startswith("post.md")


def test_a_leading_byte_order_mark_is_ignored() -> None:
    assert parse_post("\ufeffHello").body == "Hello"


def test_unreadable_files(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    with pytest.raises(PostError, match="no such file"):
        load_post(folder / "missing.md")
    latin1 = folder / "latin1.md"
    latin1.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(PostError, match="not UTF-8"):
        load_post(latin1)
