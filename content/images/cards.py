"""The three templates: a quote card, a thread cover and a captioned photo, drawn as pixels.

Every measure is a fraction of the canvas's shorter side, so one template serves every
network's size. All ink stays inside the safe area (`Canvas.safe`): a margin of 8% of the
shorter side on every edge, clear of the crops and rounded corners the apps apply. The brand
background with its footer (logo, name, handle) is drawn once per brand and size and reused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from content.images.colour import (
    AA,
    RGB,
    best_text,
    opacity,
    scrim_for,
    worst_contrast,
)
from content.images.errors import ImageError
from content.images.fonts import FontLibrary, Role
from content.images.layout import Layout, fit, join, units
from content.images.photo import cover, load_logo, load_photo
from content.images.quotes import quoted
from content.images.runs import draw_runs

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class Look:
    """What a card needs from the brand, hashable so bases can be cached per brand and size."""

    background: RGB
    background_end: RGB | None
    text: RGB
    accent: RGB
    author: str
    byline: str | None  # the handle on this network, or the author's title
    kicker: str  # the small line over a thread cover's title
    fonts: FontLibrary
    logo: bytes | None = None
    background_image: bytes | None = None


@dataclass(frozen=True)
class Canvas:
    """A drawn image before encoding, with where its text went (for checks and tests)."""

    image: Image.Image
    safe: Box
    text_boxes: tuple[Box, ...]
    text_colour: RGB


@dataclass(frozen=True)
class Grid:
    width: int
    height: int

    @property
    def unit(self) -> int:
        return min(self.width, self.height)

    @property
    def margin(self) -> int:
        return round(0.08 * self.unit)

    @property
    def footer(self) -> int:
        return round(0.10 * self.unit)

    @property
    def gap(self) -> int:
        return round(0.05 * self.unit)

    @property
    def safe(self) -> Box:
        m = self.margin
        return m, m, self.width - m, self.height - m

    def size(self, fraction: float) -> int:
        return max(12, round(fraction * self.unit))


# Quote sizes as fractions of the shorter side: the smallest still reads on a phone held at
# arm's length (about 17 pt on a 1080 px wide post); the largest keeps a short quote a quote,
# not a poster.
QUOTE_MIN, QUOTE_MAX = 0.040, 0.100
TITLE_MIN, TITLE_MAX = 0.045, 0.095
CAPTION_MIN, CAPTION_MAX = 0.032, 0.048


@dataclass(frozen=True)
class _Base:
    image: Image.Image
    text: RGB
    accent: RGB


def quote_card(quote: str, size: tuple[int, int], look: Look, network: str = "this network"
               ) -> Canvas:
    """The quote, as large as the space allows, centred over the brand background."""
    grid = Grid(*size)
    base = _base(look, size)
    left, top, right, bottom = grid.safe
    bar = max(3, round(0.006 * grid.unit))
    box = (left, top + bar + grid.gap, right, bottom - grid.footer - grid.gap)
    chain = look.fonts.chain("quote")
    layout = fit(quote, chain, box[2] - box[0], box[3] - box[1], grid.size(QUOTE_MIN),
                 grid.size(QUOTE_MAX), 1.22)
    if layout is None:
        raise ImageError(_too_long(quote, box, grid, look, size, network))
    image = base.image.copy()
    ink = draw_block(image, layout, box, base.text, "center", "middle")
    # A short accent rule above the quote, centred like it.
    rule_w = round(0.09 * grid.width)
    ImageDraw.Draw(image).rectangle(
        (grid.width // 2 - rule_w // 2, top, grid.width // 2 + rule_w // 2, top + bar - 1),
        fill=look.accent,
    )
    return Canvas(image, grid.safe, (ink, _footer_box(grid)), base.text)


def thread_cover(title: str, size: tuple[int, int], look: Look) -> Canvas:
    """The post's title over the brand background, under a small kicker: a thread's first image."""
    grid = Grid(*size)
    base = _base(look, size)
    image = base.image.copy()
    left, top, right, bottom = grid.safe
    kicker = _single_line(look.kicker, look, "name", right - left, grid.size(0.03))
    kicker_box = draw_block(image, kicker, (left, top, right, top + round(kicker.height)),
                            base.accent, "start", "top")
    bar = max(3, round(0.006 * grid.unit))
    bar_top = kicker_box[3] + grid.gap // 2
    ImageDraw.Draw(image).rectangle(
        (left, bar_top, left + round(0.09 * grid.width), bar_top + bar - 1), fill=look.accent
    )
    box = (left, bar_top + bar + grid.gap, right, bottom - grid.footer - grid.gap)
    layout = fit_or_shorten(title, look.fonts, "title", box, grid.size(TITLE_MIN),
                            grid.size(TITLE_MAX), 1.15)
    ink = draw_block(image, layout, box, base.text, "start", "middle")
    return Canvas(image, grid.safe, (kicker_box, ink, _footer_box(grid)), base.text)


@dataclass(frozen=True)
class Backdrop:
    """A photo with its caption band laid, before the caption is drawn on it."""

    image: Image.Image
    layout: Layout | None
    text_box: Box | None
    text_colour: RGB
    opacity: float


def caption_backdrop(photo: Image.Image, caption: str | None, size: tuple[int, int], look: Look
                     ) -> Backdrop:
    """The photo cover-cropped to the size, and under the caption a band of the brand colour
    just opaque enough for 4.5:1 against every pixel behind the text (at least 45%, so the
    band reads as a band on a dark photo too)."""
    image = cover(photo, size)
    if not caption:
        return Backdrop(image, None, None, look.text, 0.0)
    grid = Grid(*image.size)
    pad = round(0.045 * grid.unit)
    box_w = grid.width - 2 * grid.margin
    layout = fit_or_shorten(caption, look.fonts, "caption",
                            (0, 0, box_w, round(0.3 * grid.height)), grid.size(CAPTION_MIN),
                            grid.size(CAPTION_MAX), 1.2, max_lines=3)
    text_h = round(layout.height)
    bottom = grid.height - max(pad, grid.margin)
    text_box = (grid.margin, bottom - text_h, grid.width - grid.margin, bottom)
    band_top = text_box[1] - pad
    alpha, colour = scrim_for(image.crop(text_box), look.text, look.background, least=0.45)
    fade = round(0.12 * grid.unit)
    mask = Image.new("L", image.size, 0)
    strength = opacity(alpha)
    mask.paste(strength, (0, band_top, grid.width, grid.height))
    if band_top > 0:
        # The band fades in above the text so it does not cut the picture with a hard edge.
        ramp = Image.linear_gradient("L").resize((grid.width, min(fade, band_top)))
        mask.paste(ramp.point(lambda v: v * strength // 255), (0, band_top - ramp.height))
    solid = Image.new("RGB", image.size, look.background)
    return Backdrop(Image.composite(solid, image, mask), layout, text_box, colour, alpha)


def captioned_photo(photo: Image.Image, caption: str | None, size: tuple[int, int], look: Look
                    ) -> Canvas:
    backdrop = caption_backdrop(photo, caption, size, look)
    grid = Grid(*backdrop.image.size)
    image = backdrop.image
    boxes: tuple[Box, ...] = ()
    if backdrop.layout is not None and backdrop.text_box is not None:
        boxes = (draw_block(image, backdrop.layout, backdrop.text_box, backdrop.text_colour,
                            "start", "bottom"),)
    return Canvas(image, grid.safe, boxes, backdrop.text_colour)


def draw_block(image: Image.Image, layout: Layout, box: Box, fill: RGB, align: str,
               valign: str) -> Box:
    """Draw the lines in the box; `start` aligns to the left, or the right for right-to-left
    text. Returns the box the ink can occupy."""
    left, top, right, bottom = box
    if valign == "middle":
        y = top + (bottom - top - layout.height) / 2
    elif valign == "bottom":
        y = bottom - layout.height
    else:
        y = top
    if align == "start":
        align = "right" if layout.rtl else "left"
    ink = [right, bottom, left, top]
    for i, line in enumerate(layout.lines):
        ext = line.extent
        if align == "center":
            x = left + (right - left - (ext.right + ext.left)) / 2
        elif align == "right":
            x = right - ext.right
        else:
            x = left - ext.left
        baseline = y + layout.top + i * layout.line_height
        draw_runs(image, list(line.runs), x, baseline, layout.size, fill, layout.rtl)
        ink = [min(ink[0], int(x + ext.left)), min(ink[1], int(baseline + ext.top)),
               max(ink[2], int(x + ext.right) + 1), max(ink[3], int(baseline + ext.bottom) + 1)]
    return ink[0], ink[1], ink[2], ink[3]


def fit_or_shorten(text: str, fonts: FontLibrary, role: Role, box: Box, smallest: int,
                   largest: int, spacing: float, max_lines: int = 0) -> Layout:
    """The text fitted to the box; if it is too long even at the smallest size, as many of its
    words as fit followed by an ellipsis (titles and captions also travel in the post text)."""
    chain = fonts.chain(role)
    width, height = box[2] - box[0], box[3] - box[1]
    layout = fit(text, chain, width, height, smallest, largest, spacing, max_lines)
    if layout is not None:
        return layout
    words = text.split()
    lo, hi = 1, len(words) - 1
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = fit(" ".join(words[:mid]).rstrip(",;:") + "…", chain, width, height,
                        smallest, largest, spacing, max_lines)
        if candidate is None:
            hi = mid - 1
        else:
            best, lo = candidate, mid + 1
    if best is None:
        raise ImageError(f"cannot set {text[:40]!r} in a {width}x{height} px box")
    return best


def _single_line(text: str, look: Look, role: Role, width: int, size: int) -> Layout:
    return fit_or_shorten(text, look.fonts, role, (0, 0, width, round(size * 1.6)),
                          max(12, round(size * 0.7)), size, 1.2, max_lines=1)


def _too_long(quote: str, box: Box, grid: Grid, look: Look, size: tuple[int, int],
              network: str) -> str:
    chain = look.fonts.chain("quote")
    width, height = box[2] - box[0], box[3] - box[1]
    smallest = grid.size(QUOTE_MIN)

    def fits(text: str) -> bool:
        return fit(text, chain, width, height, smallest, smallest, 1.22) is not None

    suggestion = _shorter(quote, fits)
    hint = f" For example: {suggestion}" if suggestion else ""
    return (
        f"the quote ({len(quote)} characters) is too long to set legibly on the "
        f"{size[0]}x{size[1]} {network} card, even at the smallest legible size ({smallest} px). "
        f"Give a shorter quote: in the post's front matter (about {_capacity(quote, fits)} "
        f"characters fit).{hint}"
    )


def _shorter(quote: str, fits: Callable[[str], bool]) -> str | None:
    """The longest run of whole sentences (else clauses, else words) from the start of the
    quote that fits, in the quote's own quotation marks."""
    inner = quote.strip("“”「」«»\"")
    for pattern, tail in ((r"[.!?…。！？]+[\"”’」』)]*", ""), (r"[,;:—、，]", "…")):
        ends = [m.end() for m in re.finditer(pattern, inner) if m.end() < len(inner.rstrip())]
        for end in reversed(ends):
            candidate = quoted(inner[:end].rstrip(",;:—、， ") + tail)
            if fits(candidate):
                return candidate
    pieces = units(inner)  # words, or characters in Chinese and Japanese
    for count in range(len(pieces) - 1, 2, -1):
        candidate = quoted(join(pieces[:count]).rstrip(",;:、，") + "…")
        if fits(candidate):
            return candidate
    return None


def _capacity(quote: str, fits: Callable[[str], bool]) -> int:
    """About how many characters of this quote fit: its longest fitting run of words."""
    pieces = units(quote)
    lo, hi, best = 1, len(pieces), 0
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(join(pieces[:mid])):
            best, lo = len(join(pieces[:mid])), mid + 1
        else:
            hi = mid - 1
    return best


def _footer_box(grid: Grid) -> Box:
    left, _, right, bottom = grid.safe
    return left, bottom - grid.footer, right, bottom


@functools.lru_cache(maxsize=8)  # a full-size image each: one brand's sizes, not more
def _base(look: Look, size: tuple[int, int]) -> _Base:
    """The background with the footer drawn: the same for every card of a brand and size."""
    grid = Grid(*size)
    image = _background(look, size)
    safe = image.crop(grid.safe)
    text = look.text
    if worst_contrast(safe, text) < AA + 0.15:
        white, black = (255, 255, 255), (0, 0, 0)
        text = max((white, black), key=lambda c: worst_contrast(safe, c))
    accent = look.accent if worst_contrast(safe, look.accent) >= AA + 0.15 else text
    _draw_footer(image, grid, look, text, accent)
    return _Base(image, text, accent)


def _background(look: Look, size: tuple[int, int]) -> Image.Image:
    width, height = size
    if look.background_image is not None:
        photo = load_photo(look.background_image, "the brand background image", at_least=size)
        image = cover(photo, size)
        if image.size != size:
            image = image.resize(size, Image.Resampling.LANCZOS)
        # A wash of the brand colour over the whole card, as strong as the text needs.
        alpha, _ = scrim_for(image.crop(Grid(*size).safe), look.text, look.background, 0.3)
        solid = Image.new("RGB", size, look.background)
        return Image.composite(solid, image, Image.new("L", size, opacity(alpha)))
    if look.background_end is None or look.background_end == look.background:
        return Image.new("RGB", size, look.background)
    ramp = Image.linear_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, look.background_end),
                           Image.new("RGB", size, look.background), ramp)


def _draw_footer(image: Image.Image, grid: Grid, look: Look, text: RGB, accent: RGB) -> None:
    left, _, right, bottom = _footer_box(grid)
    side = grid.footer
    top = bottom - side
    logo = _logo(look, side)
    image.paste(logo, (left, top), logo)
    x = left + side + round(0.3 * side)
    avail = right - x
    name = _single_line(look.author, look, "name", avail, round(0.30 * side))
    lines: list[tuple[Layout, RGB]] = [(name, text)]
    if look.byline:
        lines.append((_single_line(look.byline, look, "handle", avail, round(0.25 * side)), accent))
    total = sum(layout.height for layout, _ in lines) + 0.12 * side * (len(lines) - 1)
    y = top + (side - total) / 2
    for layout, colour in lines:
        box = (x, round(y), right, round(y + layout.height))
        draw_block(image, layout, box, colour, "left", "top")
        y += layout.height + 0.12 * side


def _logo(look: Look, side: int) -> Image.Image:
    """The brand's logo fitted in a square, or a monogram of the author's initials."""
    if look.logo is not None:
        logo = load_logo(look.logo, "the brand logo")
        logo.thumbnail((side, side), Image.Resampling.LANCZOS)
        square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        square.paste(logo, ((side - logo.width) // 2, (side - logo.height) // 2))
        return square
    scale = 4  # drawn large and scaled down: a smooth circle edge without an AA primitive
    big = Image.new("RGBA", (side * scale, side * scale), (0, 0, 0, 0))
    ImageDraw.Draw(big).ellipse((0, 0, side * scale - 1, side * scale - 1), fill=look.accent)
    circle = big.resize((side, side), Image.Resampling.LANCZOS)
    initials = _initials(look.author)
    if initials:
        ink = best_text(look.accent, look.background)
        layout = _single_line(initials, look, "title", round(side * 0.8), round(side * 0.42))
        draw_block(circle, layout, (0, 0, side, side), ink, "center", "middle")
    return circle


def _initials(author: str) -> str:
    name = author.split(",")[0]
    words = [w for w in name.split() if w[:1].isalpha()]
    if not words:
        return ""
    picked = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return picked.upper()
