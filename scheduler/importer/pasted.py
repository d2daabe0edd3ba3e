"""Pasted text: a blog page as a browser copies it (select all, copy), made an Article.

How such a copy is laid out (the sample in shared/samples): page chrome lines ("top of page",
"Comments", "bottom of page"), the title on a line of its own, then each paragraph on one line
with blank lines between them; an image comes out as the lines that describe it (its alt text,
then its caption) with no blank line between them, which no paragraph of the post has. At the
end come the author's own closing lines, which Crier appends itself.
"""

from __future__ import annotations

import re

from scheduler.importer.article import Article, Dropped, Figure
from scheduler.importer.chrome import is_chrome

TITLE_LONGEST = 200  # characters: a longer first line is a paragraph, not a title
FIGURE_LINE_LONGEST = 300


def read_pasted(text: str) -> Article:
    """The title, paragraphs and photo descriptions of a copied page; chrome dropped."""
    article = Article(site="text")
    blocks = _blocks(text)
    rest: list[list[str]] = []
    for block in blocks:
        lines = [line for line in block if not _chrome(line, article)]
        if lines:
            rest.append(lines)
    if rest and len(rest[0]) == 1 and len(rest[0][0]) <= TITLE_LONGEST:
        article.title = rest.pop(0)[0]
    for block in rest:
        if _is_figure(block):
            article.figures.append(Figure(None, alt=block[0], caption=" ".join(block[1:])))
        else:
            article.paragraphs.append(" ".join(block))
    return article


def _chrome(line: str, article: Article) -> bool:
    if is_chrome(line):
        article.dropped.append(Dropped(line, "page chrome"))
        return True
    return False


def _blocks(text: str) -> list[list[str]]:
    """Runs of non-blank lines, each line stripped of surrounding white space."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = []
    for chunk in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [line.strip(" \t\u00a0") for line in chunk.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            blocks.append(lines)
    return blocks


def _is_figure(block: list[str]) -> bool:
    """Two or three short sentence lines together: an image's alt text and caption. (A
    paragraph is one line in such a copy; a list would be short lines without end marks.)"""
    return 2 <= len(block) <= 3 and all(
        len(line) <= FIGURE_LINE_LONGEST and line[-1] in ".!?…" and len(line.split()) >= 4
        for line in block)
