"""What leaves the machine: sizes, formats and byte budgets per network, the image plan, alt
text, and `crier preview --images`."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from test_images_support import (
    METADATA_MARKERS,
    SAMPLE_POST,
    brand,
    busy,
    encoded,
    fonts,
)

from content.brand import parse_brand
from content.compose import compose_all
from content.delivery import ImageRef
from content.images.encode import GOOD_QUALITY, encode, jpeg, png
from content.images.errors import ImageError
from content.images.plan import plan_images
from content.images.render import Media, render_image
from content.networks import NETWORK_NAMES, NETWORKS, rules_for
from content.post import Image as PostImage
from scheduler.cli import main
from scheduler.config import PROJECT_ROOT, load_post

EXPECTED_SIZES = {
    "x": (1600, 900), "bluesky": (1600, 900), "mastodon": (1600, 900), "threads": (1080, 1350),
    "linkedin": (1200, 627), "facebook": (1200, 630), "instagram": (1080, 1350),
}
BUDGETS = {"bluesky": 1_000_000, "x": 5_000_000, "instagram": 8_000_000}


def sample(photos: bool = True):  # type: ignore[no-untyped-def]
    post = load_post(SAMPLE_POST)
    return post if photos else replace(post, images=())


@pytest.mark.parametrize("network", NETWORK_NAMES)
def test_every_network_gets_its_size_format_and_budget(network: str) -> None:
    rules = rules_for(network)
    assert rules.images.size == EXPECTED_SIZES[network]
    if network in BUDGETS:
        assert rules.images.max_bytes == BUDGETS[network]
    media = Media(fonts(), {"brain-scans.jpg": (SAMPLE_POST.parent / "brain-scans.jpg")
                            .read_bytes()})
    for post in (sample(True), sample(False)):
        for ref in plan_images(post, brand(), rules):
            image = render_image(ref, rules, brand(), media)
            assert (image.width, image.height) == rules.images.size
            assert len(image.data) <= rules.images.max_bytes
            assert image.format in rules.images.formats
            decoded = Image.open(io.BytesIO(image.data))
            assert decoded.size == rules.images.size and decoded.format == image.format
            assert decoded.mode == "RGB"
            if network == "instagram":
                assert image.format == "JPEG"


def test_a_busy_photo_meets_bluesky_s_budget_by_quality_alone() -> None:
    photo = busy(1600, 900)
    assert len(jpeg(photo, GOOD_QUALITY, False)) > 1_000_000
    result = encode(photo, ("PNG", "JPEG"), 1_000_000, photo=True)
    assert result.format == "JPEG" and len(result.data) <= 1_000_000
    assert (result.width, result.height) == (1600, 900)
    assert result.quality is not None and result.quality < GOOD_QUALITY


def test_downscaling_only_when_quality_alone_cannot_meet_the_budget() -> None:
    photo = busy(1600, 900)
    result = encode(photo, ("JPEG",), 120_000, photo=True)
    assert len(result.data) <= 120_000
    assert result.width < 1600 and result.width / result.height == pytest.approx(16 / 9, 0.01)


def test_png_or_jpeg_whichever_is_smaller() -> None:
    flat = Image.new("RGB", (1600, 900), (31, 58, 95))
    assert encode(flat, ("PNG", "JPEG"), 5_000_000, photo=False).format == (
        "PNG" if len(png(flat)) < len(jpeg(flat, GOOD_QUALITY, True)) else "JPEG")
    noisy = busy(1600, 900)
    chosen = encode(noisy, ("PNG", "JPEG"), 50_000_000, photo=False)
    assert len(chosen.data) == min(len(png(noisy)), len(jpeg(noisy, GOOD_QUALITY, True)))
    assert encode(flat, ("JPEG",), 5_000_000, photo=False).format == "JPEG"


def test_the_image_plan_per_network() -> None:
    with_photo, without = sample(True), sample(False)
    for network in NETWORK_NAMES:
        rules = rules_for(network)
        (photo,) = plan_images(with_photo, brand(), rules)
        assert photo.kind == "photo" and photo.photo == "brain-scans.jpg"
        assert photo.text == with_photo.title
        assert photo.alt == with_photo.images[0].alt
        (card,) = plan_images(without, brand(), rules)
        expected = "thread_cover" if rules.thread else "quote_card"
        assert card.kind == expected, network
    untitled = replace(without, title=None)
    assert plan_images(untitled, brand(), rules_for("x"))[0].kind == "quote_card"
    no_quote = replace(untitled, quote=None)
    (chosen,) = plan_images(no_quote, brand(), rules_for("instagram"))
    assert chosen.kind == "quote_card" and chosen.text and chosen.text in no_quote.body


def test_instagram_always_gets_an_image() -> None:
    bare = replace(sample(False), title=None, quote=None)
    assert NETWORKS["instagram"].images.required
    assert len(plan_images(bare, brand(), rules_for("instagram"))) == 1


def test_alt_text_carries_the_quote_and_who_said_it_within_the_limit() -> None:
    post = sample(False)
    (card,) = plan_images(post, brand(), rules_for("linkedin"))
    assert post.quote is not None and post.quote in card.alt
    assert brand().author in card.alt
    (cover,) = plan_images(post, brand(), rules_for("x"))
    assert "Glutamate" in cover.alt and brand().author in cover.alt
    long_quote = replace(post, quote="word " * 400)
    linkedin = rules_for("linkedin")
    tight = replace(linkedin, images=replace(linkedin.images, alt_limit=120))
    (short,) = plan_images(long_quote, brand(), tight)
    assert len(short.alt) <= 120 and brand().author in short.alt and "…" in short.alt


def test_the_author_s_alt_text_is_kept_and_an_empty_one_only_on_purpose() -> None:
    post = sample(True)
    empty = replace(post, images=(PostImage("brain-scans.jpg", ""),))
    assert plan_images(empty, brand(), rules_for("x"))[0].alt == ""
    too_long = replace(post, images=(PostImage("brain-scans.jpg", "a" * 1001),))
    with pytest.raises(ImageError, match="1001 characters; X takes at most 1000"):
        plan_images(too_long, brand(), rules_for("x"))


def test_brand_size_overrides_are_used() -> None:
    raw = (PROJECT_ROOT / "brand.toml").read_text() + (
        "\n[images]\nsizes = { instagram = [1080, 1080], x = [1200, 1200] }\n")
    custom = parse_brand(raw)
    deliveries = compose_all(sample(False), custom, ["instagram", "x"])
    refs = {name: d.parts[0].images[0] for name, d in deliveries.items()}
    assert refs["instagram"].size == (1080, 1080) and refs["x"].size == (1200, 1200)
    image = render_image(refs["x"], rules_for("x"), custom, Media(fonts()))
    assert (image.width, image.height) == (1200, 1200)


def test_preview_writes_every_image_with_its_alt_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRIER_BRAND", str(PROJECT_ROOT / "brand.toml"))
    out = tmp_path / "images"
    assert main(["preview", str(SAMPLE_POST), "--images", str(out), "--json"]) == 0
    deliveries = json.loads(capsys.readouterr().out)
    listed = [image for d in deliveries for image in d["images"]]
    assert {image["network"] for image in listed} == set(NETWORK_NAMES)
    for image in listed:
        path = Path(image["path"])
        assert path.name == f"{image['network']}-1-1.jpg"
        data = path.read_bytes()
        assert len(data) == image["bytes"]
        assert Image.open(io.BytesIO(data)).size == (image["width"], image["height"])
        assert image["format"] == "JPEG"
        assert Path(f"{path}.alt.txt").read_text().strip() == image["alt"]
        assert image["alt"].startswith("A doctor analyzes brain scans")
        assert not any(marker in data for marker in METADATA_MARKERS)


def test_preview_of_a_post_without_photos_writes_cards(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    monkeypatch.setenv("CRIER_BRAND", str(PROJECT_ROOT / "brand.toml"))
    text = SAMPLE_POST.read_text()
    post = tmp_path / "post.md"
    post.write_text("\n".join(line for line in text.splitlines()
                              if not line.startswith("images:")) + "\n")
    out = tmp_path / "cards"
    assert main(["preview", str(post), "--images", str(out),
                 "--platform", "x", "--platform", "instagram"]) == 0
    printed = capsys.readouterr().out
    assert "x-1-1.png" in printed or "x-1-1.jpg" in printed
    assert (out / "instagram-1-1.jpg").exists()
    assert "Quote card: “Do patients have to endure" in (
        out / "instagram-1-1.jpg.alt.txt").read_text()


def test_a_preview_with_a_missing_photo_fails_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRIER_BRAND", str(PROJECT_ROOT / "brand.toml"))
    post = tmp_path / "post.md"
    post.write_text(SAMPLE_POST.read_text())  # brain-scans.jpg is not beside this copy
    assert main(["preview", str(post), "--images", str(tmp_path / "out")]) == 1
    assert "brain-scans.jpg not found" in capsys.readouterr().err


def test_a_render_ref_without_its_photo_loaded_is_an_error() -> None:
    ref = ImageRef("photo", "alt", (1600, 900), photo="elsewhere.jpg")
    with pytest.raises(ImageError, match="was not loaded"):
        render_image(ref, rules_for("x"), brand(), Media(fonts(), {"x.jpg": encoded(busy())}))


def test_a_missing_brand_logo_is_named(tmp_path: Path) -> None:
    from scheduler.images import render_delivery_images

    with_logo = replace(brand(), logo="no-such-logo.png")
    deliveries = compose_all(sample(False), with_logo, ["linkedin"])
    with pytest.raises(ImageError, match=r"brand logo .*no-such-logo\.png not found.*\[logo\]"):
        render_delivery_images(deliveries["linkedin"], SAMPLE_POST, with_logo)


def test_a_brand_logo_file_is_used(tmp_path: Path) -> None:
    from scheduler.images import render_delivery_images

    logo = tmp_path / "logo.png"
    logo.write_bytes(encoded(Image.new("RGB", (200, 200), (0, 200, 0))))
    with_logo = replace(brand(), logo=str(logo))
    deliveries = compose_all(sample(False), with_logo, ["linkedin"])
    [[image]] = render_delivery_images(deliveries["linkedin"], SAMPLE_POST, with_logo)
    decoded = Image.open(io.BytesIO(image.data)).convert("RGB")
    assert any(g > 150 and r < 80 for _, (r, g, b) in decoded.getcolors(1 << 22) or [])
