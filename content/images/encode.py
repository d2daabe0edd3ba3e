"""Encoding within a network's byte budget: PNG or JPEG, whichever is smaller at good quality.

The search: PNG (lossless) and JPEG at a good quality; the smaller that fits wins. If neither
fits, the highest JPEG quality down to a floor that fits; only if even that is too big is the
image scaled down, as little as the budget needs. Nothing is ever scaled up. Output carries no
metadata at all (no EXIF, no ICC: untagged pixels are read as sRGB, which they are).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from content.images.errors import ImageError

Format = Literal["PNG", "JPEG"]
GOOD_QUALITY = 90
LOWEST_QUALITY = 60  # below this JPEG artefacts show on text: scale down instead
_SMALLEST_SIDE = 160


@dataclass(frozen=True)
class Encoded:
    data: bytes
    format: Format
    width: int
    height: int
    quality: int | None  # JPEG only


def jpeg(image: Image.Image, quality: int, sharp: bool) -> bytes:
    """JPEG bytes. `sharp` keeps full colour resolution (4:4:4): coloured text on a card stays
    crisp; photos take the usual 4:2:0, which the eye does not miss in a picture."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling=0 if sharp else 2)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def encode(image: Image.Image, formats: tuple[str, ...], budget: int, photo: bool) -> Encoded:
    """The image as the smallest allowed format within `budget` bytes (see the module doc).
    Photos skip PNG: a photograph is never smaller lossless."""
    allowed = [f for f in ("PNG", "JPEG") if f in formats]
    if not allowed:
        raise ImageError(f"no image format Crier can write is accepted here ({formats})")
    if image.mode != "RGB":
        image = image.convert("RGB")
    while True:
        smallest = math.inf
        found: list[Encoded] = []
        if "PNG" in allowed and not (photo and "JPEG" in allowed):
            data = png(image)
            smallest = min(smallest, len(data))
            if len(data) <= budget:
                found.append(Encoded(data, "PNG", *image.size, None))
        if "JPEG" in allowed:
            data = jpeg(image, GOOD_QUALITY, not photo)
            smallest = min(smallest, len(data))
            if len(data) <= budget:
                found.append(Encoded(data, "JPEG", *image.size, GOOD_QUALITY))
            else:
                best = _search_quality(image, budget, not photo)
                if best is not None:
                    found.append(best)
                else:
                    smallest = len(jpeg(image, LOWEST_QUALITY, not photo))
        if found:
            return min(found, key=lambda e: len(e.data))
        # Scale down by the square root of the overshoot (bytes follow the pixel count), a
        # little more so the next round usually fits.
        factor = min(0.9, math.sqrt(budget / smallest) * 0.95)
        size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
        if min(size) < _SMALLEST_SIDE:
            raise ImageError(
                f"cannot fit a {image.width}x{image.height} image into {budget:,} bytes"
            )
        image = image.resize(size, Image.Resampling.LANCZOS)


def _search_quality(image: Image.Image, budget: int, sharp: bool) -> Encoded | None:
    """The highest JPEG quality in [LOWEST, GOOD) within budget, by bisection."""
    lo, hi = LOWEST_QUALITY, GOOD_QUALITY - 1
    best: Encoded | None = None
    while lo <= hi:
        quality = (lo + hi) // 2
        data = jpeg(image, quality, sharp)
        if len(data) <= budget:
            best, lo = Encoded(data, "JPEG", *image.size, quality), quality + 1
        else:
            hi = quality - 1
    return best
