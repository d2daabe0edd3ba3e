"""Colours and contrast: WCAG relative luminance and contrast ratios, measured on real pixels.

Text is legible when the contrast between its colour and *every* pixel behind it is at least
4.5:1 (WCAG 2 AA for body text). Where a photo or background image does not give that, a scrim
of the brand colour is laid under the text, just opaque enough.
"""

from __future__ import annotations

import functools
import math

from PIL import Image, ImageMath

RGB = tuple[int, int, int]
AA = 4.5
_SAFETY = 0.15  # a little above 4.5 so JPEG's small errors cannot take the result under AA
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


def parse_hex(value: str) -> RGB:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: RGB) -> float:
    r, g, b = (_linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: float, b: float) -> float:
    """The WCAG contrast ratio of two relative luminances."""
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


@functools.cache
def _luts() -> tuple[list[float], list[float], list[float]]:
    lin = [_linear(v) for v in range(256)]
    return ([0.2126 * v for v in lin], [0.7152 * v for v in lin], [0.0722 * v for v in lin])


def luminance_range(region: Image.Image) -> tuple[float, float]:
    """The lowest and highest relative luminance of any pixel in an RGB region (exact)."""
    r, g, b = region.convert("RGB").split()
    lr, lg, lb = _luts()
    total = ImageMath.lambda_eval(
        lambda a: a["r"] + a["g"] + a["b"],
        r=r.point(lr, "F"), g=g.point(lg, "F"), b=b.point(lb, "F"),
    )
    low, high = total.getextrema()
    return float(low), float(high)


def worst_contrast(region: Image.Image, text: RGB) -> float:
    """The lowest contrast between the text colour and any pixel of the region."""
    low, high = luminance_range(region)
    y = luminance(text)
    return min(contrast(y, low), contrast(y, high))


def best_text(background: RGB, preferred: RGB) -> RGB:
    """The preferred text colour if it is legible on `background`, else white or black."""
    y = luminance(background)
    if contrast(y, luminance(preferred)) >= AA + _SAFETY:
        return preferred
    return WHITE if contrast(y, 1.0) >= contrast(y, 0.0) else BLACK


def opacity(alpha: float) -> int:
    """An opacity in 0..1 as the 8-bit mask value that lays it (rounded up: never less)."""
    return min(255, max(0, math.ceil(alpha * 255 - 1e-9)))


def scrim_for(region: Image.Image, text: RGB, scrim: RGB, least: float = 0.0
              ) -> tuple[float, RGB]:
    """The least opacity (at least `least`) of a `scrim` layer over the region that makes the
    text legible on every pixel, and the text colour (switched to white or black only when even
    a solid scrim is not enough for the one asked for)."""
    if contrast(luminance(scrim), luminance(text)) < AA + _SAFETY:
        text = best_text(scrim, text)
    solid = Image.new("RGB", region.size, scrim)
    region = region.convert("RGB")

    def legible(alpha: float) -> bool:
        # The same operation the card uses to lay the scrim, so what is measured is what shows.
        blended = Image.composite(solid, region, Image.new("L", region.size, opacity(alpha)))
        return worst_contrast(blended, text) >= AA + _SAFETY

    if legible(least):
        return least, text
    lo, hi = least, 1.0
    for _ in range(7):  # about 1/128 of opacity: finer makes no visible difference
        mid = (lo + hi) / 2
        if legible(mid):
            hi = mid
        else:
            lo = mid
    return hi, text
