"""The composer's draft: the post file round trip, the preview through the queueing path, and
problems tied to the field that causes them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from support import REPO

from content.post import parse_post
from scheduler.service import Service
from scheduler.service.drafts import (
    Draft,
    DraftImage,
    PhotoError,
    draft_from_text,
    draft_to_text,
    save_photo,
    serialize_post,
)
from scheduler.settings import Settings

SAMPLE = REPO / "examples" / "glutamate.md"
TRICKY = """---
title: "Colons: quotes ' and \\" and #hash"
link: https://example.com/a?b=c
hashtags: [One, Two]
platforms: [x, linkedin]
at: 2027-01-15 09:00
timezone: Europe/Paris
thread: false
numbering: false
images:
  - {path: photo.jpg, alt: ""}
---
# A heading

Some **bold**, a [link](https://example.com) and emoji 🧠 — dashes.

Second paragraph.
"""


@pytest.mark.parametrize("raw", [SAMPLE.read_text(encoding="utf-8"), TRICKY],
                         ids=["sample", "tricky"])
def test_parse_serialize_parse_gives_the_same_post(raw: str) -> None:
    post = parse_post(raw)
    assert parse_post(serialize_post(post)) == post
    # The composer's path too: the body's Markdown is kept as written.
    draft = draft_from_text(raw)
    assert parse_post(draft_to_text(draft)) == post
    assert draft_from_text(draft_to_text(draft)) == draft


def test_a_draft_keeps_keys_the_composer_has_no_field_for() -> None:
    draft = draft_from_text(TRICKY)
    assert parse_post(draft_to_text(draft)).at == "2027-01-15 09:00"
    assert draft.extra["timezone"] == "Europe/Paris" and draft.extra["thread"] is False
    assert "numbering: false" in draft_to_text(draft)


def service(tmp_path: Path) -> Service:
    return Service(Settings.from_env({
        "CRIER_BRAND": str(REPO / "brand.toml"), "CRIER_DATA_DIR": str(tmp_path / "data"),
        "CRIER_DATABASE_URL": f"sqlite:///{tmp_path / 'crier.db'}"}))


def test_the_draft_preview_is_the_cli_preview(tmp_path: Path) -> None:
    svc = service(tmp_path)
    draft = svc.read_draft(SAMPLE)
    draft = Draft(**{**draft.__dict__, "platforms": ("x", "bluesky", "instagram")})
    shown = svc.preview_draft(draft, SAMPLE.parent)
    cli = svc.preview(SAMPLE, ["x", "bluesky", "instagram"]).deliveries
    assert shown.ok, shown.problems
    for net in shown.networks:
        assert net.delivery is not None
        assert [p.text for p in net.delivery.parts] == [p.text for p in cli[net.network].parts]
        assert net.images and net.images[0][0].alt


def test_problems_sit_next_to_their_field(tmp_path: Path) -> None:
    svc = service(tmp_path)
    draft = Draft(body="Hello.", link="not a link", hashtags="ok, bad tag!",
                  images=(DraftImage("missing.jpg", None),), platforms=("x",))
    shown = svc.preview_draft(draft, tmp_path)
    assert "images" in shown.problems and "alt text" in shown.problems["images"][0]
    assert "link" in shown.problems
    assert not shown.ok
    nothing = svc.preview_draft(Draft(body=" ", platforms=()), tmp_path)
    assert set(nothing.problems) >= {"body", "platforms"}


def test_a_post_that_cannot_fit_is_shown_on_the_body_per_network(tmp_path: Path) -> None:
    svc = service(tmp_path)
    shown = svc.preview_draft(Draft(body="x" * 600, platforms=("threads", "linkedin")), tmp_path,
                              with_images=False)
    problem = {n.network: n.problem for n in shown.networks}
    assert problem["threads"] and "over the limit" in problem["threads"]
    assert problem["linkedin"] is None  # one network's problem does not hide the others
    assert any(m.startswith("Threads:") for m in shown.problems["body"])


def test_photos_are_checked_before_they_are_stored(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    path = save_photo(buf.getvalue(), tmp_path / "photos")
    assert path.suffix == ".png" and path.read_bytes() == buf.getvalue()
    with pytest.raises(PhotoError, match="not an image"):
        save_photo(b"<?php echo 1; ?>", tmp_path / "bad")
    with pytest.raises(PhotoError, match="not an image"):
        save_photo(buf.getvalue()[:60], tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
