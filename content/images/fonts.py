"""Fonts for the images: the bundled faces, which characters each covers, and a cache of sizes.

Text is set in a role's own face first (the quote serif, the sans for names); a character that
face lacks falls back, in order, to Arabic, Hebrew, CJK and symbol faces, and emoji go to the
colour emoji face. A character no bundled face has is an ImageError, never an empty box.
"""

from __future__ import annotations

import functools
import struct
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import ImageFont, features

from content.images.errors import ImageError

Role = Literal["quote", "title", "name", "handle", "caption"]

# Without libraqm Pillow can neither shape Arabic nor order right-to-left text; runs.py then
# reorders the characters itself (joining is lost, direction is kept).
RAQM = bool(features.check("raqm"))
LAYOUT = ImageFont.Layout.RAQM if RAQM else ImageFont.Layout.BASIC

# The bundled faces (assets/fonts/README.md says where each comes from and its licence).
SERIF = "NotoSerifDisplay-Regular.ttf"
SERIF_BOLD = "NotoSerifDisplay-SemiBold.ttf"
SANS = "Inter-Regular.otf"
SANS_BOLD = "Inter-SemiBold.otf"
EMOJI = "NotoColorEmoji.ttf"
EMOJI_STRIKE = 109  # Noto Color Emoji is a bitmap font: FreeType loads it at this size only
_SERIF_FALLBACKS = (
    "NotoNaskhArabic-Regular.ttf", "NotoSerifHebrew-Regular.ttf", "NotoSansHebrew-Regular.ttf",
    "wqy-microhei.ttc", "NotoSansSymbols2-Regular.ttf", SANS,
)
_SANS_FALLBACKS = (
    "NotoNaskhArabic-Regular.ttf", "NotoSansHebrew-Regular.ttf",
    "wqy-microhei.ttc", "NotoSansSymbols2-Regular.ttf", SERIF,
)
_ROLE_FACES: Mapping[Role, str] = {
    "quote": SERIF, "title": SERIF_BOLD, "name": SANS_BOLD, "handle": SANS, "caption": SANS_BOLD,
}
_SERIF_ROLES = frozenset({"quote", "title"})


@dataclass(frozen=True)
class Face:
    """One font file. `strike` is set for a colour bitmap face: the only size it can load at."""

    path: Path
    strike: int = 0
    # Faces and chains key every measuring cache; hashing a Path each lookup adds up.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.path, self.strike)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class FontChain:
    """The faces tried in order for one role, and the emoji face tried first for emoji."""

    faces: tuple[Face, ...]
    emoji: Face | None
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.faces, self.emoji)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def primary(self) -> Face:
        return self.faces[0]


class FontLibrary:
    """The fonts one brand uses: the bundled ones, with the brand's own quote or text face first.

    `directory` is the bundled fonts folder (assets/fonts). Brand fonts are a file name in that
    folder or a path. Loaded faces and their coverage are cached for the life of the process.
    """

    def __init__(self, directory: Path, quote_font: str | None = None,
                 text_font: str | None = None) -> None:
        self.directory = directory
        missing = [name for name in (SERIF, SANS, EMOJI) if not (directory / name).is_file()]
        if missing:
            raise ImageError(
                f"the bundled fonts are missing from {directory} ({', '.join(missing)}); "
                "restore assets/fonts from the Crier repository"
            )
        self._quote = self._brand_face(quote_font, "fonts.quote") if quote_font else None
        self._text = self._brand_face(text_font, "fonts.text") if text_font else None
        emoji = Face(directory / EMOJI, strike=EMOJI_STRIKE)
        self._chains = {role: self._chain(role, emoji) for role in _ROLE_FACES}

    def chain(self, role: Role) -> FontChain:
        return self._chains[role]

    def _brand_face(self, name: str, key: str) -> Face:
        for path in (Path(name), self.directory / name):
            if path.is_file():
                try:
                    coverage(path)
                except ImageError as exc:
                    raise ImageError(f"brand.toml {key}: {exc}") from None
                return Face(path)
        raise ImageError(
            f"brand.toml {key}: font {name!r} not found (looked for it as a path and in "
            f"{self.directory}); put the .ttf/.otf file there or fix the name"
        )

    def _chain(self, role: Role, emoji: Face) -> FontChain:
        serif = role in _SERIF_ROLES
        own = self._quote if serif else self._text
        primary = own or Face(self.directory / _ROLE_FACES[role])
        names = _SERIF_FALLBACKS if serif else _SANS_FALLBACKS
        rest = [Face(self.directory / name) for name in names if (self.directory / name).is_file()]
        if own is not None:  # the bundled face of the role still backs up the brand's own
            rest.insert(0, Face(self.directory / _ROLE_FACES[role]))
        return FontChain((primary, *rest), emoji)


@functools.lru_cache(maxsize=256)
def font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    """The face at a pixel size, loaded once per process (loading parses the whole file)."""
    try:
        return ImageFont.truetype(str(face.path), face.strike or size, layout_engine=LAYOUT)
    except OSError as exc:
        raise ImageError(f"cannot load font {face.path}: {exc}") from None


@functools.lru_cache(maxsize=64)
def coverage(path: Path) -> frozenset[int]:
    """The code points the font maps to a glyph, read from its cmap table."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read font {path}: {exc.strerror}") from None
    try:
        return frozenset(_cmap_code_points(data))
    except (struct.error, IndexError, ValueError):
        raise ImageError(f"{path} is not a TrueType/OpenType font Crier can read") from None


# Characters that never need a glyph of their own: joiners, variation selectors, bidi marks.
_IGNORABLE = frozenset({0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x20E3}) | frozenset(
    range(0xFE00, 0xFE10)
) | frozenset(range(0xE0020, 0xE0080))


def needs_glyph(code: int) -> bool:
    return code not in _IGNORABLE and unicodedata.category(chr(code)) not in ("Cc", "Cf")


def covers(face: Face, cluster: str) -> bool:
    """Whether the face has a glyph for every visible character of a grapheme cluster."""
    have = coverage(face.path)
    return all(ord(ch) in have for ch in cluster if needs_glyph(ord(ch)))


def _cmap_code_points(data: bytes) -> set[int]:
    offset = 0
    if data[:4] == b"ttcf":  # a collection: the first font's tables
        offset = struct.unpack_from(">I", data, 12)[0]
    num_tables = struct.unpack_from(">H", data, offset + 4)[0]
    cmap = None
    for i in range(num_tables):
        tag, _, table_offset, _ = struct.unpack_from(">4sIII", data, offset + 12 + 16 * i)
        if tag == b"cmap":
            cmap = table_offset
    if cmap is None:
        raise ValueError("no cmap table")
    count = struct.unpack_from(">H", data, cmap + 2)[0]
    subtables: dict[tuple[int, int], int] = {}
    for i in range(count):
        platform, encoding, sub = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        subtables[(platform, encoding)] = cmap + sub
    # Full Unicode tables first (format 12), then the BMP ones (format 4), then symbol fonts.
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0), (3, 0)):
        if key in subtables:
            start = subtables[key]
            fmt = struct.unpack_from(">H", data, start)[0]
            if fmt == 12:
                return _format12(data, start)
            if fmt == 4:
                return _format4(data, start)
    raise ValueError("no Unicode cmap subtable")


def _format4(data: bytes, start: int) -> set[int]:
    seg_count = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends = start + 14
    starts = ends + 2 * seg_count + 2
    deltas = starts + 2 * seg_count
    range_offsets = deltas + 2 * seg_count
    points: set[int] = set()
    for seg in range(seg_count):
        end = struct.unpack_from(">H", data, ends + 2 * seg)[0]
        first = struct.unpack_from(">H", data, starts + 2 * seg)[0]
        delta = struct.unpack_from(">h", data, deltas + 2 * seg)[0]
        where = range_offsets + 2 * seg
        range_offset = struct.unpack_from(">H", data, where)[0]
        for code in range(first, min(end, 0xFFFE) + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                glyph = struct.unpack_from(">H", data, where + range_offset + 2 * (code - first))[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                points.add(code)
    return points


def _format12(data: bytes, start: int) -> set[int]:
    groups = struct.unpack_from(">I", data, start + 12)[0]
    points: set[int] = set()
    for i in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * i)
        points.update(range(first + (glyph == 0), min(last, 0x10FFFF) + 1))
    return points
