"""Setting text in a box: the largest size that fits, with balanced line breaks, cached.

Line breaks are balanced like CSS `text-wrap: balance`: the fewest lines the text needs at that
size, with the words spread so the lines are about equally long, and a last line of one word
only when nothing else fits. Chinese and Japanese break between characters, never before a
closing mark. Layouts are cached by (text, fonts, box), so the same card twice costs one layout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import regex

from content.images.fonts import FontChain
from content.images.runs import (
    Extent,
    Run,
    advance,
    direction,
    forget_runs,
    line_extent,
    split_runs,
    visual_order,
)

_GRAPHEME = regex.compile(r"\X")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303F\uFF00-\uFFEF]")
# Kinsoku: marks that may not start a line, and marks that may not end one.
_NO_START = frozenset(
    "、。，．・：；？！ー」』）】〉》〕｝〙〗ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々…‥"
)
_NO_END = frozenset("「『（【〈《〔｛〘〖")
_BREAK_AFTER = frozenset("—–/")


@dataclass(frozen=True)
class Unit:
    """A piece of text that is never broken: a word, or one CJK character with its marks."""

    text: str
    space_before: bool


@dataclass(frozen=True)
class Line:
    text: str
    runs: tuple[Run, ...]  # in visual order, ready to draw left to right
    extent: Extent


@dataclass(frozen=True)
class Layout:
    """Text set at `size`: lines `line_height` apart; ink fits `top`..`bottom` of the block."""

    size: int
    lines: tuple[Line, ...]
    line_height: int
    rtl: bool
    top: float  # first baseline's distance below the block's top edge
    height: float  # from the block's top edge to the lowest ink

    @property
    def width(self) -> float:
        return max(line.extent.right - line.extent.left for line in self.lines)


def units(text: str) -> tuple[Unit, ...]:
    """Break opportunities: spaces, after dashes and slashes, and between CJK characters."""
    out: list[Unit] = []
    buf = ""
    space = False
    open_after = False  # the last grapheme allows a break after it (CJK, dash)

    def flush() -> None:
        nonlocal buf, space
        if buf:
            out.append(Unit(buf, space))
            buf, space = "", False

    for g in _GRAPHEME.findall(text.strip()):
        if g.isspace():
            flush()
            space, open_after = True, False
            continue
        if g[0] in _NO_START and not space:
            if buf:
                buf += g
            elif out:
                out[-1] = Unit(out[-1].text + g, out[-1].space_before)
            else:
                buf = g
            continue
        cjk = _CJK.match(g) is not None
        if (cjk or open_after) and buf and buf[-1] not in _NO_END:
            flush()
        buf += g
        open_after = cjk or g in _BREAK_AFTER
    flush()
    return tuple(out)


def join(pieces: tuple[Unit, ...]) -> str:
    return "".join((" " if u.space_before and i else "") + u.text for i, u in enumerate(pieces))


def _build_line(pieces: tuple[Unit, ...], chain: FontChain, size: int, rtl: bool) -> Line:
    text = join(pieces)
    runs = visual_order(split_runs(text, chain), rtl)
    return Line(text, tuple(runs), line_extent(runs, size, rtl))


_REFERENCE = 200  # px: words are measured once at this size and scaled (glyphs scale linearly)
_SAFETY = 1.01  # scaled widths are off by hinting's rounding: leave 1% to be sure


@functools.lru_cache(maxsize=32768)
def _unit_width(text: str, chain: FontChain, rtl: bool) -> float:
    """A word's advance per pixel of size: cached across sizes, quotes and cards."""
    runs = split_runs(text, chain)
    return sum(advance(r, _REFERENCE, r.rtl if r.rtl is not None else rtl) for r in runs) / (
        _REFERENCE)


def _unit_widths(pieces: tuple[Unit, ...], chain: FontChain, rtl: bool
                 ) -> tuple[list[float], float]:
    """Unit and space advances per pixel of size, from the reference measurements."""
    widths = [_unit_width(u.text, chain, rtl) for u in pieces]
    return widths, _unit_width("a a", chain, rtl) - _unit_width("aa", chain, rtl)


def _scaled(per_px: list[float], space: float, size: int) -> tuple[list[float], float]:
    scale = size * _SAFETY
    return [w * scale for w in per_px], space * scale


def _widths(pieces: tuple[Unit, ...], chain: FontChain, size: int, rtl: bool
            ) -> tuple[list[float], float]:
    """Estimated unit and space widths at `size`, from the reference measurements."""
    return _scaled(*_unit_widths(pieces, chain, rtl), size)


def _spans(pieces: tuple[Unit, ...], widths: list[float], space: float
           ) -> Callable[[int, int], float]:
    """The width of units i..j-1 set on one line, with the spaces between them."""
    sums, gaps = [0.0], [0]
    for w, u in zip(widths, pieces, strict=True):
        sums.append(sums[-1] + w)
        gaps.append(gaps[-1] + u.space_before)

    def span(i: int, j: int) -> float:
        return sums[j] - sums[i] + space * (gaps[j] - gaps[i + 1])

    return span


def _fewest(n: int, span: Callable[[int, int], float], width: float) -> int:
    """How many lines n units need at least: greedy filling is optimal for that."""
    lines, i = 0, 0
    while i < n:
        j = i + 1
        while j < n and span(i, j + 1) <= width:
            j += 1
        lines, i = lines + 1, j
    return lines


def break_lines(pieces: tuple[Unit, ...], widths: list[float], space: float, width: float,
                orphans: bool = True) -> list[tuple[int, int]] | None:
    """Balanced breaks as (start, end) unit ranges, or None when they cannot fit `width`.

    The fewest lines first, then the most even lines in that count. With `orphans` False a
    last line of a single word is not allowed: one more line is tried instead.
    """
    n = len(pieces)
    if n == 0:
        return []
    if max(widths) > width:
        return None
    span = _spans(pieces, widths, space)
    lines = _fewest(n, span, width)
    if lines == 1:
        return [(0, n)]
    for count in (lines,) if orphans else (lines, lines + 1):
        found = _balanced(n, count, width, span, orphans)
        if found is not None:
            return found
    return None


def _balanced(n: int, lines: int, width: float, span: Callable[[int, int], float],
              orphans: bool) -> list[tuple[int, int]] | None:
    """Least sum of squared line widths (so the most even lines) in exactly `lines` lines, by
    dynamic programming over (units set, lines used)."""
    if n < lines:
        return None
    inf = float("inf")
    cost = [[inf] * (lines + 1) for _ in range(n + 1)]
    back = [[0] * (lines + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            w = span(i, j)
            if w > width:
                break
            extra = 0.0
            if j == n and j - i == 1:
                if not orphans:
                    continue
                extra = 4 * width * width  # an orphan word: only when nothing else fits
            for k in range(1, lines + 1):
                if cost[i][k - 1] == inf:
                    continue
                c = cost[i][k - 1] + (width - w) ** 2 + extra
                if c < cost[j][k]:
                    cost[j][k], back[j][k] = c, i
    if cost[n][lines] == inf:
        return None
    out: list[tuple[int, int]] = []
    j = n
    for k in range(lines, 0, -1):
        i = back[j][k]
        out.append((i, j))
        j = i
    return out[::-1]


def _estimated_height(lines: int, size: int, spacing: float) -> float:
    return size * 0.95 + (lines - 1) * round(size * spacing) + size * 0.3


@functools.lru_cache(maxsize=4096)
def set_text(text: str, chain: FontChain, size: int, width: int, spacing: float = 1.25,
             orphans: bool = True) -> Layout | None:
    """The text set at one size in lines at most `width` wide, measured exactly, or None if it
    cannot be (a word wider than `width`)."""
    pieces = units(text)
    if not pieces:
        return None
    widths, space = _widths(pieces, chain, size, bool(direction(text)))
    ranges = break_lines(pieces, widths, space, width, orphans)
    return None if ranges is None else _lay_out(text, chain, size, width, spacing, pieces, ranges)


def _lay_out(text: str, chain: FontChain, size: int, width: int, spacing: float,
             pieces: tuple[Unit, ...], ranges: list[tuple[int, int]]) -> Layout | None:
    """The lines as broken, measured exactly (see set_text)."""
    rtl = bool(direction(text))
    lines = tuple(_build_line(pieces[i:j], chain, size, rtl) for i, j in ranges)
    if any(line.extent.right - line.extent.left > width for line in lines):
        return None  # shaping across words made a line wider than the sum of its words
    line_height = round(size * spacing)
    # The block's top is one line's worth of ascent above the first baseline, or the ink if
    # a fallback face (Arabic, CJK) reaches higher.
    top = max(size * 0.95, -min(line.extent.top for line in lines[:1]))
    bottom = max(size * 0.3, lines[-1].extent.bottom)
    height = top + (len(lines) - 1) * line_height + bottom
    return Layout(size, lines, line_height, rtl, top, height)


@functools.lru_cache(maxsize=2048)
def fit(text: str, chain: FontChain, width: int, height: int, min_size: int, max_size: int,
        spacing: float = 1.25, max_lines: int = 0) -> Layout | None:
    """The largest size in [min_size, max_size] whose layout fits width x height, or None.

    A layout ending in a one-word line gives way to one without, if that one is at most 25%
    smaller. The search runs on estimated widths (words measured once, scaled); only the
    chosen size is measured exactly, and stepped down in the rare case it does not hold.
    """
    pieces = units(text)
    if not pieces:
        return None
    # Measured once here: every size the search tries is the same widths scaled.
    per_px, space_px = _unit_widths(pieces, chain, bool(direction(text)))

    def holds(lines: int, size: int) -> bool:
        # The estimated height is a floor on the exact one (set_text's top and bottom are at
        # least these), so a size that fails it never needs measuring.
        return (not (max_lines and lines > max_lines)
                and _estimated_height(lines, size, spacing) <= height)

    @functools.cache
    def estimate(size: int, orphans: bool) -> list[tuple[int, int]] | None:
        ranges = break_lines(pieces, *_scaled(per_px, space_px, size), width, orphans)
        return ranges if ranges is not None and holds(len(ranges), size) else None

    def fits(size: int, orphans: bool) -> bool:
        if not orphans:
            return estimate(size, orphans) is not None
        # Balanced lines are as many as the fewest, so the count alone decides: no balancing.
        widths, space = _scaled(per_px, space_px, size)
        return (max(widths) <= width
                and holds(_fewest(len(pieces), _spans(pieces, widths, space), width), size))

    def largest(lo: int, hi: int, orphans: bool) -> int | None:
        best = None
        while lo <= hi:  # fitting is monotone in the size: smaller type, more words per line
            mid = (lo + hi) // 2
            if fits(mid, orphans):
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        return best

    def exact(size: int, orphans: bool) -> Layout | None:
        for candidate in range(size, max(min_size, size - 12) - 1, -1):
            # The breaks set_text would make at this size; too wide or too tall already, they
            # need no measuring.
            ranges = estimate(candidate, orphans)
            if ranges is None:
                continue
            layout = _lay_out(text, chain, candidate, width, spacing, pieces, ranges)
            if (layout is not None and layout.height <= height
                    and not (max_lines and len(layout.lines) > max_lines)):
                return layout
        return None

    best = largest(min_size, max_size, True)
    if best is None:
        return exact(min_size, True)
    ranges = estimate(best, True)
    if ranges is not None and len(ranges) > 1 and ranges[-1][1] - ranges[-1][0] == 1:
        clean = largest(max(min_size, int(best * 0.75)), best, False)
        if clean is not None:
            layout = exact(clean, False)
            if layout is not None:
                return layout
    return exact(best, True)


def forget_text() -> None:
    """Drop every cached layout, line and word measurement; fonts stay open. The next text is
    set as if never seen before: what the benchmark's first-sight figure times."""
    for cache in (fit, set_text, _unit_width):
        cache.cache_clear()
    forget_runs()
