"""Pasted text (what a browser copies from the author's blog page) imported into a post file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import REPO, Result

from content.post import parse_post

SAMPLE = REPO.parent / "shared" / "samples" / "blog-post-glutamate.txt"
EXPECTED = REPO / "examples" / "glutamate.md"
PHOTO = REPO / "examples" / "brain-scans.jpg"


def _front_and_body(raw: str) -> tuple[str, str]:
    assert raw.startswith("---\n")
    end = raw.index("\n---\n", 4)
    return raw[4:end], raw[end + 5:]


@pytest.fixture
def sample() -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is not beside the repository")
    return SAMPLE


def test_the_sample_gives_glutamate_md_byte_for_byte(
        crier: Callable[..., Result], cli_env: Path, sample: Path) -> None:
    out = cli_env / "posts" / "glutamate.md"
    result = crier("import", str(sample), "--image", str(PHOTO), "-o", str(out), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["path"] == str(out)
    written = out.read_text(encoding="utf-8")
    expected = EXPECTED.read_text(encoding="utf-8")
    # The body, as the file holds it, byte for byte.
    assert _front_and_body(written)[1] == _front_and_body(expected)[1]
    mine, theirs = parse_post(written, str(out)), parse_post(expected, str(EXPECTED))
    assert mine.title == theirs.title
    assert mine.body == theirs.body
    assert [i.alt for i in mine.images] == [i.alt for i in theirs.images]
    # The photo was copied beside the post under a name made from its content.
    image = out.parent / mine.images[0].path
    assert image.is_file() and len(mine.images[0].path.split(".")[0]) >= 16
    assert report["images"][0]["caption"].startswith("Medical professionals analyze")
    reasons = {d["reason"].split(":")[0] for d in report["dropped"]}
    assert {"page chrome", "call to action", "disclaimer"} <= reasons
    dropped_text = " ".join(d["text"] for d in report["dropped"])
    assert "Taking new patients" in dropped_text and "bottom of page" in dropped_text


def test_without_an_image_the_photo_lines_are_dropped_with_a_note(
        crier: Callable[..., Result], cli_env: Path, sample: Path) -> None:
    result = crier("import", str(sample), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    path = cli_env / report["path"]  # relative to the working folder, as the author gave it
    assert path.parent == cli_env / "posts"
    post = parse_post(path.read_text(encoding="utf-8"), str(path))
    assert post.images == ()
    assert "brain scans" not in post.body
    assert any("--image" in note for note in report["notes"])
    assert any(d["reason"].startswith("photo description") for d in report["dropped"])


def test_a_near_copy_of_the_disclaimer_is_kept_and_reported(
        crier: Callable[..., Result], cli_env: Path) -> None:
    text = ("A title\n\nThe first paragraph of the post, long enough to be a paragraph.\n\n"
            "Disclaimer: Posts are for education only. No medical advice given. This "
            "information is for general knowledge and not meant to diagnose or treat any "
            "conditions.\n\n"
            "DISCLAIMER:  Posts are for education and entertainment only.  No medical advice "
            "given. This information is for general knowledge and not meant to diagnose or "
            "treat any conditions.\n")
    source = cli_env / "pasted.txt"
    source.write_text(text, encoding="utf-8")
    result = crier("import", str(source), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    post = parse_post(Path(report["path"]).read_text(encoding="utf-8"))
    # The exact one (after case and spaces) is dropped; the reworded one is kept and named.
    assert post.body.count("Disclaimer") == 1
    assert "education only" in post.body
    assert any("disclaimer" in n and "kept" in n for n in report["notes"])
    assert [d["reason"] for d in report["dropped"]] == ["disclaimer"]
