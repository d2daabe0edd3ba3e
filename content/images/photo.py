"""The author's photo made safe to publish: read defensively, upright, sRGB, with no metadata.

Every way a photo file goes wrong (not an image, truncated, a decompression bomb) is an
ImageError naming the file and what to do. CMYK, 16-bit, palette and transparent images are
converted to 8-bit sRGB RGB; EXIF orientation is applied, then EXIF, GPS, XMP and every other
piece of metadata is left behind: only pixels go into the cards.
"""

from __future__ import annotations

import functools
import io
import warnings

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from content.images.colour import RGB, WHITE
from content.images.errors import ImageError

_ORIENTATION = 0x0112
_SWAPS_SIDES = frozenset({5, 6, 7, 8})  # orientations that turn the picture a quarter
_TRANSPARENT_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def open_image(data: bytes, name: str) -> Image.Image:
    """The image header read and checked; pixels are not decoded yet (see `decode`)."""
    if not data:
        raise ImageError(f"{name} is empty (0 bytes); export the photo again")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(name, None) from None
    except UnidentifiedImageError:
        if _looks_like_svg(data):
            raise ImageError(
                f"{name} is an SVG drawing, which Crier cannot draw with; export it as PNG "
                "(from the drawing program, or `rsvg-convert -w 2000 -o picture.png "
                "picture.svg`) and use the PNG") from None
        raise ImageError(
            f"{name} is not an image Crier can read (the file is damaged or not a picture); "
            "export it again as JPEG or PNG"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{name} cannot be read as an image ({exc}); export it again") from None
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise _bomb(name, image)
    return image


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!doctype svg", b"<!--"))
                                          and b"<svg" in head)


def frame_count(data: bytes) -> int:
    """How many frames the image has (an animated GIF, PNG or WebP has several); 1 when it
    cannot be told. Only the first frame is ever drawn, and the author is told so."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(getattr(image, "n_frames", 1))
    except Exception:  # unreadable: open_image gives the real error when it is rendered
        return 1


def _bomb(name: str, image: Image.Image | None) -> ImageError:
    size = f" ({image.width} x {image.height} pixels)" if image is not None else ""
    limit = Image.MAX_IMAGE_PIXELS or 0
    return ImageError(
        f"{name} is too large to open safely{size}: more than {limit:,} pixels, the limit that "
        "protects against decompression bombs; scale it down (4000 pixels on the long side is "
        "plenty) and try again"
    )


def decode(image: Image.Image, name: str, at_least: tuple[int, int] | None = None) -> Image.Image:
    """Decode the pixels, letting JPEG decode at a reduced scale when `at_least` allows."""
    if at_least is not None and image.format == "JPEG":
        want = at_least
        if _orientation(image) in _SWAPS_SIDES:
            want = (at_least[1], at_least[0])
        image.draft(image.mode if image.mode in ("RGB", "L") else None, want)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(name, image) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"{name} is truncated or corrupt ({exc}); copy or export it again from the original"
        ) from None
    return image


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION, 1))
    except Exception:  # a broken EXIF block: the picture is still usable as stored
        return 1


@functools.lru_cache(maxsize=2)
def load_photo(data: bytes, name: str, at_least: tuple[int, int] | None = None,
               background: RGB = WHITE) -> Image.Image:
    """The photo as upright 8-bit sRGB RGB pixels and nothing else. Transparent areas are
    laid on `background`. Cached (one photo goes to several networks): do not draw on it."""
    image = decode(open_image(data, name), name, at_least)
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block: keep the picture as stored
        upright = image
    rgb = to_srgb(upright, background, name)
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)  # a new image: no EXIF, GPS, XMP, ICC or comments come along
    return clean


def load_logo(data: bytes, name: str) -> Image.Image:
    """A logo as sRGB RGBA, keeping its transparency."""
    image = decode(open_image(data, name), name)
    alpha = image.convert("RGBA").getchannel("A") if _has_alpha(image) else None
    rgb = to_srgb(image, WHITE, name)
    if alpha is not None:
        rgb.putalpha(alpha)
        return rgb
    return rgb.convert("RGBA")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _TRANSPARENT_MODES or "transparency" in image.info


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_srgb(image: Image.Image, background: RGB, name: str) -> Image.Image:
    """8-bit sRGB RGB from any mode: 16-bit scaled, palettes expanded, alpha flattened, CMYK and
    tagged colour spaces converted through their ICC profile."""
    icc = image.info.get("icc_profile")
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        image = _eight_bit(image)
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (*background, 255))
        image = Image.alpha_composite(base, rgba).convert("RGB")
    elif image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    if icc:
        try:
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _srgb(), outputMode="RGB"
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken or mismatched profile: the plain conversion is close enough
    return image if image.mode == "RGB" else image.convert("RGB")


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey scaled down to 8 bits (Pillow's own conversion clips at 255)."""
    sixteen = image.mode.startswith("I;16")
    wide = image.convert("F" if image.mode == "F" else "I")
    extrema = wide.getextrema()
    high = float(extrema[1]) if isinstance(extrema[1], int | float) else 255.0
    if sixteen or 255 < high <= 65535:
        scale = 255 / 65535
    elif high <= 1.0 and image.mode == "F":
        scale = 255.0
    elif high > 255:
        scale = 255 / high
    else:
        scale = 1.0
    return wide.point(lambda v: v * scale).convert("L")


def cover(image: Image.Image, size: tuple[int, int], focus: float = 0.45) -> Image.Image:
    """Crop to the size's aspect ratio and scale down to it; a smaller photo is not scaled up
    (that only adds bytes, not detail): it keeps its pixels, cropped to the ratio."""
    width, height = size
    ratio = width / height
    src_w, src_h = image.size
    if src_w / src_h > ratio:  # too wide: keep the middle
        crop_w, crop_h = src_h * ratio, float(src_h)
        left, top = (src_w - crop_w) / 2, 0.0
    else:  # too tall: keep a little above the middle, where faces and screens usually are
        crop_w, crop_h = float(src_w), src_w / ratio
        left, top = 0.0, (src_h - crop_h) * focus
    box = (left, top, left + crop_w, top + crop_h)
    if crop_w >= width:
        return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    out = (max(1, round(crop_w)), max(1, round(crop_w / ratio)))
    return image.resize(out, Image.Resampling.LANCZOS, box=box)
