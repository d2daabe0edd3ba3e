"""The image edge: read the photos, logo and fonts a delivery needs, render, write previews.

`content.images` turns an ImageRef into bytes without touching files; this module does the
reading (photos relative to the post file, brand assets from assets/ or a path) and, for
`crier preview --images DIR`, the writing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from content.brand import Brand
from content.delivery import Delivery
from content.images.errors import ImageError
from content.images.fonts import FontLibrary
from content.images.photo import frame_count
from content.images.render import Media, RenderedImage, render_image
from content.networks import rules_for
from scheduler.config import ASSETS

FONTS = ASSETS / "fonts"


@functools.lru_cache(maxsize=8)
def font_library(quote_font: str | None, text_font: str | None) -> FontLibrary:
    """One library per brand font choice, kept for the process: faces load once."""
    return FontLibrary(FONTS, quote_font, text_font)


def _read(path: Path, what: str, fix: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{what} {path} not found; {fix}") from None
    except IsADirectoryError:
        raise ImageError(f"{what} {path} is a folder, not an image file; {fix}") from None
    except OSError as exc:
        raise ImageError(f"cannot read {what} {path}: {exc.strerror}") from None


def _asset(name: str) -> Path:
    """A brand asset: a path as written, else a file in assets/."""
    path = Path(name)
    return path if path.is_absolute() or path.exists() else ASSETS / name


def photo_path(post_path: Path, photo: str) -> Path:
    """Where a post's photo is: relative to the post file, and inside the post's folder or
    Crier's assets/ (a symlink is followed first). A post file copied from elsewhere must not
    make Crier read, and publish, a file from anywhere on the machine."""
    path = Path(photo)
    if not path.is_absolute():
        path = post_path.parent / path
    real = path.resolve()
    allowed = (post_path.parent.resolve(), ASSETS.resolve())
    if not any(real.is_relative_to(folder) for folder in allowed):
        raise ImageError(
            f"{post_path}: image {photo} is outside the post's folder ({allowed[0]}); keep a "
            "post's images in its folder (or in Crier's assets/) and write the path relative "
            "to the post file")
    return path


def photo_notes(deliveries: Iterable[Delivery], post_path: Path) -> list[str]:
    """What the author should know about the photos the deliveries send, each said once
    however many networks carry it (an animation of which only the first frame is sent)."""
    photos = dict.fromkeys(ref.photo for delivery in deliveries for part in delivery.parts
                           for ref in part.images if ref.photo is not None)
    notes = []
    for photo in photos:
        data = _read(photo_path(post_path, photo), f"{post_path}: image", _PHOTO_FIX)
        frames = frame_count(data)
        if frames > 1:
            notes.append(f"{photo} is animated ({frames} frames); only its first frame is "
                         "sent, as a still picture")
    return notes


_PHOTO_FIX = "paths in images: are relative to the post file; fix the path or add the file"


def _media(delivery: Delivery, post_path: Path, brand: Brand) -> Media:
    photos: dict[str, bytes] = {}
    for part in delivery.parts:
        for ref in part.images:
            if ref.photo is not None and ref.photo not in photos:
                photos[ref.photo] = _read(photo_path(post_path, ref.photo),
                                          f"{post_path}: image", _PHOTO_FIX)
    logo = background = None
    if brand.logo:
        logo = _read(_asset(brand.logo), "brand logo",
                     "put it in assets/ or fix [logo] path in brand.toml")
    if brand.background_image:
        background = _read(_asset(brand.background_image), "brand background image",
                           "put it in assets/ or fix [images] background in brand.toml")
    return Media(font_library(brand.quote_font, brand.text_font), photos, logo, background)


def render_delivery_images(delivery: Delivery, post_path: Path, brand: Brand
                           ) -> list[list[RenderedImage]]:
    """Every image of every part of the delivery, rendered; one list per part, in order."""
    needs = any(part.images for part in delivery.parts)
    if not needs:
        return [[] for _ in delivery.parts]
    media = _media(delivery, post_path, brand)
    rules = rules_for(delivery.platform)
    return [[render_image(ref, rules, brand, media) for ref in part.images]
            for part in delivery.parts]


def write_preview_images(deliveries: dict[str, Delivery], post_path: Path, brand: Brand,
                         out_dir: Path) -> list[dict[str, object]]:
    """Render every image and write OUT/<network>-<part>-<n>.<png|jpg> with its alt text in the
    same name + ".alt.txt"; part and n count from 1, as the preview shows parts."""
    rendered = {name: render_delivery_images(d, post_path, brand)
                for name, d in deliveries.items()}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(f"cannot create {out_dir}: {exc.strerror}") from None
    listing: list[dict[str, object]] = []
    for name, parts in rendered.items():
        for part_number, images in enumerate(parts, 1):
            for number, image in enumerate(images, 1):
                path = out_dir / f"{name}-{part_number}-{number}.{image.extension}"
                path.write_bytes(image.data)
                Path(f"{path}.alt.txt").write_text(image.alt + "\n", encoding="utf-8")
                listing.append({
                    "path": str(path), "network": name, "part": part_number,
                    "width": image.width, "height": image.height, "bytes": len(image.data),
                    "format": image.format, "alt": image.alt,
                })
    return listing
