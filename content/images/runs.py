"""One line of text as runs: each run in one face and one direction, measured and drawn.

A line is cut into runs where the face changes (font fallback) or an emoji starts; runs are put
in visual order with a run-level version of the Unicode bidi algorithm (a right-to-left run
inside left-to-right text, and the reverse), and libraqm shapes and orders the text inside a run.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass

import regex
from PIL import Image, ImageDraw

from content.images.errors import ImageError
from content.images.fonts import RAQM, Face, FontChain, coverage, covers, font, needs_glyph

_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(
    r"\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|[0-9#*]\uFE0F?\u20E3|\p{RI}"
)
# Bidi classes that take their direction from the text around them.
_WEAK = frozenset({"WS", "ON", "CS", "ES", "ET", "EN", "AN", "BN", "NSM", "S", "B", "LRE",
                   "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"})
_RTL = frozenset({"R", "AL"})
EMOJI_SCALE = 0.92  # an emoji a little under one em: it sits with the text instead of over it


@dataclass(frozen=True)
class Run:
    """Text in one face. `rtl` is None for a run with no strong direction of its own."""

    text: str
    face: Face
    rtl: bool | None
    emoji: bool = False


@dataclass(frozen=True)
class Extent:
    """A run's advance and ink box at a size, relative to the pen on the baseline."""

    advance: float
    left: float
    top: float
    right: float
    bottom: float


def is_emoji(cluster: str) -> bool:
    return _EMOJI.match(cluster) is not None


def direction(text: str) -> bool | None:
    """True for right-to-left, False for left-to-right, None when there is no strong letter."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in _RTL:
            return True
        if kind == "L":
            return False
    return None


@functools.lru_cache(maxsize=8192)
def split_runs(text: str, chain: FontChain) -> tuple[Run, ...]:
    """The text cut into runs in logical order. Raises ImageError for a character no face has."""
    primary = coverage(chain.primary.path)
    if _EMOJI.search(text) is None and all(ord(ch) in primary or not needs_glyph(ord(ch))
                                           for ch in text):
        # Every character in the role's own face, the usual case: one run, which is what the
        # cluster walk below finds, without its cost per character.
        return (Run(text, chain.primary, direction(text)),) if text else ()
    clusters: list[tuple[str, Face, bool]] = []
    missing: list[str] = []
    for cluster in _GRAPHEME.findall(text):
        if chain.emoji is not None and is_emoji(cluster) and covers(chain.emoji, cluster):
            clusters.append((cluster, chain.emoji, True))
            continue
        previous = clusters[-1][1] if clusters and not clusters[-1][2] else None
        weak = _weak(cluster)
        # Spaces, digits and punctuation stay in the face around them, so an Arabic sentence
        # with its spaces is one run that libraqm shapes and orders as a whole.
        if weak and previous is not None and covers(previous, cluster):
            clusters.append((cluster, previous, False))
            continue
        face = next((f for f in chain.faces if covers(f, cluster)), None)
        if face is None:
            if not any(needs_glyph(ord(ch)) for ch in cluster):
                clusters.append((cluster, chain.primary, False))
                continue
            missing.append(cluster)
            continue
        clusters.append((cluster, face, False))
    if missing:
        raise ImageError(_no_glyph(missing))
    # Marks and digits before the first letter go with that letter's face ("«" before Arabic is
    # set in the Arabic face, and ordered with it), when that face has them.
    lead = 0
    while lead < len(clusters) and not clusters[lead][2] and _weak(clusters[lead][0]):
        lead += 1
    if 0 < lead < len(clusters) and not clusters[lead][2]:
        face = clusters[lead][1]
        if all(covers(face, c) for c, _, _ in clusters[:lead]):
            clusters[:lead] = [(c, face, False) for c, _, _ in clusters[:lead]]
    runs: list[Run] = []
    start = 0
    for i in range(1, len(clusters) + 1):
        if i == len(clusters) or clusters[i][1:] != clusters[start][1:]:
            piece = "".join(c for c, _, _ in clusters[start:i])
            face, emoji = clusters[start][1], clusters[start][2]
            runs.append(Run(piece, face, None if emoji else direction(piece), emoji))
            start = i
    return tuple(runs)


def _weak(cluster: str) -> bool:
    return all(unicodedata.bidirectional(ch) in _WEAK for ch in cluster)


def _no_glyph(clusters: list[str]) -> str:
    unique = list(dict.fromkeys(clusters))
    names = ", ".join(
        f"{c!r} (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})"
        for c in unique[:6] for ch in c[:1]
    )
    more = f" and {len(unique) - 6} more" if len(unique) > 6 else ""
    return (
        f"no bundled font can draw {names}{more}; remove these characters from the text on "
        "the image, or set a font that has them as fonts.quote / fonts.text in brand.toml"
    )


def visual_order(runs: tuple[Run, ...], rtl_paragraph: bool) -> list[Run]:
    """Runs in the order they are drawn from left to right (bidi rules W/N/L at run level)."""
    resolved: list[bool] = []
    for i, run in enumerate(runs):
        if run.rtl is not None:
            resolved.append(run.rtl)
            continue
        before = next((r.rtl for r in reversed(runs[:i]) if r.rtl is not None), rtl_paragraph)
        after = next((r.rtl for r in runs[i + 1 :] if r.rtl is not None), rtl_paragraph)
        resolved.append(before if before == after else rtl_paragraph)
    order = list(range(len(runs)))
    if rtl_paragraph:
        order.reverse()
    # Reverse every stretch that runs against the paragraph (L2 with two levels).
    out: list[int] = []
    stretch: list[int] = []
    for index in order:
        if resolved[index] != rtl_paragraph:
            stretch.append(index)
            continue
        out.extend(reversed(stretch))
        stretch = []
        out.append(index)
    out.extend(reversed(stretch))
    return [runs[i] for i in out]


def _shaped(run: Run, rtl: bool) -> tuple[str, str | None]:
    """The text to hand to Pillow and the direction to ask for."""
    if RAQM:
        return run.text, "rtl" if rtl else "ltr"
    # Basic layout draws left to right in logical order: reverse right-to-left text ourselves.
    return ("".join(reversed(_GRAPHEME.findall(run.text))) if rtl else run.text), None


@functools.lru_cache(maxsize=16384)
def measure(run: Run, size: int, rtl: bool) -> Extent:
    """Advance and ink box of a run at a pixel size (emoji scaled from their bitmap strike)."""
    text, way = _shaped(run, rtl)
    face_font = font(run.face, size)
    scale = size * EMOJI_SCALE / run.face.strike if run.emoji else 1.0
    advance = face_font.getlength(text, direction=way)
    left, top, right, bottom = face_font.getbbox(text, anchor="ls", direction=way)
    return Extent(advance * scale, left * scale, top * scale, right * scale, bottom * scale)


@functools.lru_cache(maxsize=16384)
def advance(run: Run, size: int, rtl: bool) -> float:
    """Only the advance of a run: what line breaking needs, without the ink box's cost."""
    text, way = _shaped(run, rtl)
    scale = size * EMOJI_SCALE / run.face.strike if run.emoji else 1.0
    return font(run.face, size).getlength(text, direction=way) * scale


def line_extent(runs: list[Run], size: int, rtl: bool) -> Extent:
    """The line's advance and ink box, the runs set one after the other in visual order."""
    if _one_text_run(runs):
        return _line_mask((runs[0],), size, rtl).extent
    return _joined([measure(run, size, _rtl(run, rtl)) for run in runs])


def _joined(extents: list[Extent]) -> Extent:
    pen = 0.0
    left, top, right, bottom = 0.0, 0.0, 0.0, 0.0
    for ext in extents:
        left, right = min(left, pen + ext.left), max(right, pen + ext.right)
        top, bottom = min(top, ext.top), max(bottom, ext.bottom)
        pen += ext.advance
    return Extent(pen, left, top, max(right, pen), bottom)


def _one_text_run(runs: list[Run] | tuple[Run, ...]) -> bool:
    return len(runs) == 1 and not runs[0].emoji


def _rtl(run: Run, paragraph: bool) -> bool:
    return run.rtl if run.rtl is not None else paragraph


def draw_runs(image: Image.Image, runs: list[Run], x: float, baseline: float, size: int,
              fill: tuple[int, int, int], rtl: bool) -> None:
    """Draw runs (already in visual order) with the pen starting at x on the baseline."""
    ink = _line_mask(tuple(runs), size, rtl)
    if ink.mask.width and ink.mask.height:
        image.paste(fill, (round(x) + ink.left, round(baseline) + ink.top), ink.mask)
    for text, face, pen in ink.emoji:
        _paste_emoji(image, text, face, size, x + pen, baseline)


@dataclass(frozen=True)
class _Ink:
    """A line rasterised as a coverage mask, its offset from the pen on the baseline, the emoji
    to paste over it, and the line's extent."""

    mask: Image.Image
    left: int
    top: int
    emoji: tuple[tuple[str, Face, float], ...]
    extent: Extent


@functools.lru_cache(maxsize=128)
def _line_mask(runs: tuple[Run, ...], size: int, rtl: bool) -> _Ink:
    """A line's text rasterised once (FreeType has no glyph cache in Pillow: rasterising is most
    of a card's cost). A line in one face, the usual case, is rasterised before it is measured:
    FreeType works out the ink box to size the mask anyway, so one pass gives both the box
    set_text needs and the pixels to draw (measuring with getbbox as well would load and hint
    every glyph once more)."""
    if _one_text_run(runs):
        run = runs[0]
        text, way = _shaped(run, _rtl(run, rtl))
        face_font = font(run.face, size)
        # What ImageDraw.text does with the pen on whole pixels: the same glyphs, unpadded.
        core, (left, top) = face_font.getmask2(text, "L", way, anchor="ls")
        mask = Image.Image()._new(core)  # Pillow's own wrapping of a rendered text mask
        ink = Extent(face_font.getlength(text, direction=way), float(left), float(top),
                     float(left + mask.width), float(top + mask.height))
        return _Ink(mask, left, top, (), _joined([ink]))
    ext = line_extent(list(runs), size, rtl)
    left, top = math.floor(ext.left) - 2, math.floor(ext.top) - 2
    width = math.ceil(ext.right) - left + 4
    height = math.ceil(ext.bottom) - top + 4
    mask = Image.new("L", (max(1, width), max(1, height)), 0)
    draw = ImageDraw.Draw(mask)
    pen = 0.0
    emoji: list[tuple[str, Face, float]] = []
    for run in runs:
        run_rtl = _rtl(run, rtl)
        text, way = _shaped(run, run_rtl)
        if run.emoji:
            emoji.append((text, run.face, pen))
        else:
            draw.text((pen - left, -top), text, font=font(run.face, size), fill=255,
                      anchor="ls", direction=way)
        pen += measure(run, size, run_rtl).advance
    return _Ink(mask, left, top, tuple(emoji), ext)


def forget_runs() -> None:
    """Drop the cached runs, measurements and line masks (see layout.forget_text)."""
    for cache in (split_runs, measure, advance, _line_mask):
        cache.cache_clear()


@functools.lru_cache(maxsize=512)
def _emoji_bitmap(text: str, face: Face, size: int) -> tuple[Image.Image, int]:
    """The emoji drawn at the face's strike and scaled to `size`, with its ascent in pixels."""
    strike = font(face, 0)
    ascent, descent = strike.getmetrics()
    width = max(1, int(strike.getlength(text)) + 2)
    big = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
    ImageDraw.Draw(big).text((0, ascent), text, font=strike, anchor="ls", embedded_color=True)
    scale = size * EMOJI_SCALE / face.strike
    small = big.resize((max(1, round(width * scale)), max(1, round((ascent + descent) * scale))),
                       Image.Resampling.LANCZOS)
    return small, round(ascent * scale)


def _paste_emoji(image: Image.Image, text: str, face: Face, size: int, x: float,
                 baseline: float) -> None:
    bitmap, ascent = _emoji_bitmap(text, face, size)
    image.paste(bitmap, (round(x), round(baseline) - ascent), bitmap)
