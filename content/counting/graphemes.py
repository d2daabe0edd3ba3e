"""Extended grapheme clusters and UTF-8 sizes: the units several networks count in."""

from __future__ import annotations

import regex

from content.counting.grapheme_stand_ins import STAND_INS

# `\X` is one extended grapheme cluster (UAX #29), which is what a reader sees as one character:
# a ZWJ family, a flag, a letter with its combining marks, a Hangul syllable.
_GRAPHEME = regex.compile(r"\X")

# Below U+0300 no code point extends, joins or prepends (combining marks start at U+0300), so
# every code point there is a cluster of its own. The one exception is CR LF, which UAX #29
# keeps together. Text made only of these, which is most Latin text, needs no segmentation.
_NEEDS_SEGMENTATION = regex.compile(r"[^\x00-\u02ff]")


# Code points this `regex` segments differently from the reference's ICU (a newer Unicode
# assigned them): swapped for a stand-in ICU and `regex` agree on, same length, same offsets.
_STAND_IN_TABLE = {cp: chr(stand_in) for cp, stand_in in STAND_INS.items()}
_NEEDS_STAND_IN = regex.compile("[" + "".join(chr(cp) for cp in sorted(STAND_INS)) + "]")


def _as_reference(text: str) -> str:
    if _NEEDS_STAND_IN.search(text) is None:
        return text
    return text.translate(_STAND_IN_TABLE)


def _is_simple(text: str) -> bool:
    """True when each code point is a cluster of its own, CR LF aside."""
    return text.isascii() or _NEEDS_SEGMENTATION.search(text) is None


def count_graphemes(text: str) -> int:
    """The number of extended grapheme clusters in `text`."""
    if _is_simple(text):
        return len(text) - text.count("\r\n")
    count = 0
    for _ in _GRAPHEME.finditer(_as_reference(text)):
        count += 1
    return count


def utf8_length(text: str) -> int:
    """The size of `text` in UTF-8 bytes."""
    # surrogatepass: a lone surrogate cannot be sent anyway (content.text refuses it), but
    # measuring it must not crash; it would take three bytes.
    return len(text.encode("utf-8", "surrogatepass"))


def grapheme_boundaries(text: str) -> list[int]:
    """Code-point offsets where the text may be cut without splitting a cluster, 0 and len included.

    An empty text has the single boundary 0.
    """
    if _is_simple(text):
        # Every offset is a boundary except the one between CR and LF.
        return [
            i
            for i in range(len(text) + 1)
            if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")
        ]
    bounds = [0]
    for match in _GRAPHEME.finditer(_as_reference(text)):
        end: int = match.end()
        bounds.append(end)
    return bounds
