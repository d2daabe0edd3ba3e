"""The brand's own lines on an imported page: the disclaimer, the calls to action, the lines of
`[import] also_drop`. Crier appends its closing to every post, so a paragraph of the page that
is one of them must not be imported, or it would go out twice.

A paragraph is left out only when it is one of those lines, or several consecutive paragraphs
together are, after normalising case, white space and typographic quotes. One that is only
close (reworded, or the line with more text around it) is kept and reported: a guess that
drops a sentence of the author's own is worse than a line she deletes by hand.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from content.brand import Brand
from scheduler.importer.article import Dropped

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"',
                         "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'})
NEAR = 0.8  # similarity above which a paragraph is reported as a near copy
LONGEST_RUN = 4  # a closing split over more paragraphs than this is not one line any more


def normalise(text: str) -> str:
    """Case, white space and typographic quotes ironed out: what "the same line" means."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # "disclaimer", "call to action", "brand line"


def brand_lines(brand: Brand) -> list[Line]:
    lines = [Line(brand.disclaimer, "disclaimer"), Line(brand.disclaimer_short, "disclaimer"),
             Line(brand.call_to_action, "call to action")]
    lines += [Line(cta, "call to action") for cta in brand.call_to_action_per_platform.values()]
    lines += [Line(text, "brand line") for text in brand.import_also_drop]
    return lines


def drop_brand_lines(paragraphs: Sequence[str], lines: Sequence[Line]
                     ) -> tuple[list[str], list[Dropped], list[str]]:
    """(paragraphs kept, paragraphs dropped with the reason, notes on near copies)."""
    known: dict[str, Line] = {}
    for line in lines:
        known.setdefault(normalise(line.text), line)
    plain = [normalise(_unmark(p)) for p in paragraphs]
    kept: list[str] = []
    dropped: list[Dropped] = []
    notes: list[str] = []
    i = 0
    while i < len(paragraphs):
        run = _longest_run(plain, i, known)
        if run:
            kind = known[" ".join(plain[i:i + run])].kind
            dropped += [Dropped(p, kind) for p in paragraphs[i:i + run]]
            i += run
            continue
        near = _near(plain[i], known)
        if near is not None:
            notes.append(f"kept a paragraph close to your {near.kind} but not the same "
                         f"(\"{_short(paragraphs[i])}\"); delete it from the post if it is "
                         "one: Crier appends its own")
        kept.append(paragraphs[i])
        i += 1
    return kept, dropped, notes


def _longest_run(plain: Sequence[str], start: int, known: dict[str, Line]) -> int:
    for length in range(min(LONGEST_RUN, len(plain) - start), 0, -1):
        if " ".join(plain[start:start + length]) in known:
            return length
    return 0


def _near(text: str, known: dict[str, Line]) -> Line | None:
    if not text:
        return None
    words = text.split()
    for norm, line in known.items():
        if len(norm) >= 30 and norm in text:
            return line  # the line with more of the author's text around it
        theirs = norm.split()
        # Compared word by word (a reworded line is a few words changed): the ratio is at most
        # 2 * shorter / (both lengths), so most paragraphs are ruled out by length alone, and
        # the cheap upper bounds come before the quadratic ratio.
        if 2 * min(len(words), len(theirs)) / (len(words) + len(theirs)) < NEAR:
            continue
        matcher = difflib.SequenceMatcher(None, words, theirs, autojunk=False)
        if matcher.real_quick_ratio() >= NEAR and matcher.quick_ratio() >= NEAR and \
                matcher.ratio() >= NEAR:
            return line
    return None


def _unmark(markdown: str) -> str:
    """Markdown emphasis and links reduced to their text, for comparing only."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", text)


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"
