"""Checks and clean-ups every text gets before it is counted: NFC, line ends, bad code points."""

from __future__ import annotations

import unicodedata

# Non-characters (U+FDD0..U+FDEF and the last two code points of every plane) and the BOM are
# never meant for interchange, and networks reject a post containing them (content/networks/),
# so we refuse them up front, everywhere.
_NONCHARACTERS = frozenset(range(0xFDD0, 0xFDF0)) | frozenset(
    plane + low for plane in range(0, 0x110000, 0x10000) for low in (0xFFFE, 0xFFFF)
)


def find_bad_code_point(text: str) -> tuple[int, str] | None:
    """The first code point that cannot be posted anywhere, as (index, description), or None."""
    for index, char in enumerate(text):
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return index, f"a lone surrogate U+{code:04X}"
        if code in _NONCHARACTERS:
            return index, f"the non-character U+{code:04X}"
        if code == 0xFEFF:
            return index, "a byte order mark U+FEFF inside the text"
    return None


# C0 controls other than tab and line ends, and DEL: invisible, never meant to be posted, and a
# NUL is refused by PostgreSQL outright.
_CONTROLS = frozenset(range(0x00, 0x20)) - {0x09, 0x0A, 0x0D} | {0x7F}


def find_control(text: str) -> tuple[int, str] | None:
    """The first control character in `text`, as (index, description), or None."""
    for index, char in enumerate(text):
        if ord(char) in _CONTROLS:
            name = "a NUL byte" if char == "\0" else "a control character"
            return index, f"{name} (U+{ord(char):04X})"
    return None


def where(text: str, index: int) -> str:
    """'line L, column C' for a code-point index, for error messages."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def normalize(text: str) -> str:
    """NFC (the form counts are defined on), Unix line ends, no trailing spaces, at most one
    blank line in a row."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def clean_text(key: str, value: str, problems: list[tuple[str, str]]) -> str:
    """`value` normalized for a settings file; a code point no network takes is reported as
    (key, what it is), so that every problem of a file is listed at once."""
    bad = find_bad_code_point(value)
    if bad:
        problems.append((key, f"contains {bad[1]}"))
    return normalize(value)
