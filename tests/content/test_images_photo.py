"""The author's photos: metadata gone, orientation applied, bad files refused clearly, and the
awkward kinds (CMYK, 16-bit, palette, transparent) drawn right."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from test_images_support import (
    GPS_IFD,
    METADATA_MARKERS,
    SAMPLE_POST,
    brand,
    encoded,
    jpeg_with_metadata,
    lab_scene,
    png_header_only,
)

from content.delivery import Delivery, ImageRef, Part
from content.images.errors import ImageError
from content.images.photo import load_photo
from scheduler.images import render_delivery_images

BACKGROUND = (31, 58, 95)  # the sample brand's background colour


def delivery_with_photo(photo: str, network: str = "x", size: tuple[int, int] = (1600, 900)
                        ) -> Delivery:
    ref = ImageRef("photo", "A test photo.", size, text="A caption", photo=photo)
    part = Part(0, "text", 4, 280, "text", True, images=(ref,))
    return Delivery(network, (part,))


def render_file(tmp_path: Path, data: bytes, name: str = "photo.jpg", network: str = "x"
                ) -> bytes:
    (tmp_path / name).write_bytes(data)
    post = tmp_path / "post.md"
    [[image]] = render_delivery_images(delivery_with_photo(name, network), post, brand())
    return image.data


def test_exif_gps_and_xmp_are_gone_from_the_published_image(tmp_path: Path) -> None:
    original = jpeg_with_metadata(lab_scene(1200, 800), orientation=6)
    for marker in (b"Exif", b"xmpmeta", b"Tallahassee"):
        assert marker in original  # the input really carries them
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    out = render_file(tmp_path, original)
    for marker in METADATA_MARKERS:
        assert marker not in out, marker
    published = Image.open(io.BytesIO(out))
    assert not published.getexif()
    assert not published.getexif().get_ifd(GPS_IFD)
    assert "xmp" not in published.info and "exif" not in published.info
    assert "icc_profile" not in published.info


def test_the_sample_photo_carries_gps_and_a_turn_and_the_output_does_not(tmp_path: Path) -> None:
    sample = (SAMPLE_POST.parent / "brain-scans.jpg").read_bytes()
    exif = Image.open(io.BytesIO(sample)).getexif()
    assert exif.get(0x0112) == 6 and exif.get_ifd(GPS_IFD)
    out = render_file(tmp_path, sample, network="instagram")
    assert not any(marker in out for marker in METADATA_MARKERS)


def test_exif_orientation_is_applied() -> None:
    upright = Image.new("RGB", (600, 400), (255, 255, 255))
    upright.paste((255, 0, 0), (0, 0, 300, 400))  # red on the left half
    for orientation in (1, 3, 6, 8):
        photo = load_photo(jpeg_with_metadata(upright, orientation), f"o{orientation}.jpg")
        assert photo.size == (600, 400), orientation
        r, g, _ = photo.getpixel((50, 200))  # type: ignore[misc]
        assert r > 200 and g < 60, orientation


def test_a_missing_photo_names_the_path_it_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"image .*nope\.jpg not found; paths in images: are "
                                         r"relative to the post file"):
        render_delivery_images(delivery_with_photo("nope.jpg"), tmp_path / "post.md", brand())


def test_a_truncated_photo_is_refused_clearly(tmp_path: Path) -> None:
    whole = encoded(lab_scene(800, 600), "JPEG", quality=90)
    with pytest.raises(ImageError, match="photo.jpg is truncated or corrupt.*export it again"):
        render_file(tmp_path, whole[: len(whole) // 2])


def test_a_corrupt_or_non_image_file_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is not an image Crier can read"):
        render_file(tmp_path, b"this is not a picture at all" * 20)
    with pytest.raises(ImageError, match="is empty"):
        render_file(tmp_path, b"")


@pytest.mark.parametrize("side", [10_000, 30_000])  # above Pillow's limit, and above twice it
def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path, side: int) -> None:
    with pytest.raises(ImageError, match=r"too large to open safely.*decompression bombs"):
        render_file(tmp_path, png_header_only(side, side), "bomb.png")


def test_nothing_else_breaks_after_a_bad_photo(tmp_path: Path) -> None:
    with pytest.raises(ImageError):
        render_file(tmp_path, b"garbage")
    good = render_file(tmp_path, encoded(lab_scene(1600, 1000), "JPEG"), "good.jpg")
    assert Image.open(io.BytesIO(good)).size == (1600, 900)


def test_cmyk_renders_in_the_right_colours() -> None:
    cmyk = Image.new("CMYK", (400, 300), (0, 255, 255, 0))  # full magenta + yellow: red
    photo = load_photo(encoded(cmyk, "JPEG", quality=95), "cmyk.jpg")
    r, g, b = photo.getpixel((200, 150))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    grey = Image.new("I;16", (256, 10))
    for x in range(256):
        for y in range(10):
            grey.putpixel((x, y), x * 257)
    photo = load_photo(encoded(grey), "grey16.png")
    assert photo.mode == "RGB"
    assert photo.getpixel((0, 5)) == (0, 0, 0)
    assert photo.getpixel((255, 5)) == (255, 255, 255)
    middle = photo.getpixel((128, 5))
    assert isinstance(middle, tuple) and 120 <= middle[0] <= 136  # clipping would give 255


def test_16_bit_colour_keeps_its_colours() -> None:
    row = b"\x00" + struct.pack(">6H", 65535, 0, 0, 0, 32768, 65535)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data)))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 16, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(row)) + chunk(b"IEND", b""))
    photo = load_photo(png, "rgb16.png")
    assert photo.getpixel((0, 0)) == (255, 0, 0)
    assert photo.getpixel((1, 0)) == (0, 128, 255)


def test_palette_images_keep_their_colours() -> None:
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 255, 0, 255, 0] + [0] * 762)
    image.paste(1, (50, 0, 100, 100))
    photo = load_photo(encoded(image), "palette.png")
    assert photo.getpixel((10, 10)) == (0, 0, 255)
    assert photo.getpixel((90, 10)) == (0, 255, 0)


@pytest.mark.parametrize("kind", ["RGBA", "P", "LA"])
def test_transparent_areas_are_laid_on_the_background(kind: str) -> None:
    rgba = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    rgba.paste((230, 20, 20, 255), (0, 0, 50, 100))
    if kind == "P":
        image = rgba.convert("P")
        image.info["transparency"] = image.getpixel((99, 99))
        data = encoded(image, transparency=image.getpixel((99, 99)))
    elif kind == "LA":
        data = encoded(rgba.convert("LA"))
    else:
        data = encoded(rgba)
    photo = load_photo(data, f"{kind}.png", background=BACKGROUND)
    assert photo.getpixel((90, 50)) == BACKGROUND  # transparent: the background, not black
    left = photo.getpixel((10, 50))
    assert isinstance(left, tuple) and left != BACKGROUND and left != (0, 0, 0)


def test_awkward_modes_render_end_to_end(tmp_path: Path) -> None:
    cases = {
        "cmyk.jpg": encoded(Image.new("CMYK", (1800, 1000), (0, 255, 255, 0)), "JPEG"),
        "grey16.png": encoded(Image.new("I;16", (1800, 1000), 40000)),
        "palette.png": encoded(Image.new("P", (1800, 1000), 3)),
        "alpha.png": encoded(Image.new("RGBA", (1800, 1000), (255, 0, 0, 128))),
    }
    for name, data in cases.items():
        out = Image.open(io.BytesIO(render_file(tmp_path, data, name)))
        assert out.size == (1600, 900) and out.mode == "RGB", name


def test_a_small_photo_is_never_scaled_up(tmp_path: Path) -> None:
    out = Image.open(io.BytesIO(render_file(tmp_path, encoded(lab_scene(800, 600), "JPEG"))))
    assert out.size == (800, 450)  # cropped to 16:9 at its own resolution


def test_instagram_refuses_a_brand_size_outside_its_shapes() -> None:
    from content.images.plan import image_size
    from content.networks import rules_for

    odd = replace(brand(), image_sizes={"instagram": (1080, 2000)})
    with pytest.raises(ImageError, match="4:5 to 1.91:1"):
        image_size(odd, rules_for("instagram"))
