"""Quote text for the cards: typographic quotation marks, and a sentence chosen from the body."""

from __future__ import annotations

import re

import regex

# Enclosing marks the author may already have typed: they are replaced, not doubled.
_ENCLOSING = (('"', '"'), ("“", "”"), ("„", "“"), ("«", "»"), ("「", "」"), ("『", "』"),
              ("'", "'"), ("‘", "’"))
_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]+[\"”’)]*")
# Sentences that lean on the one before them read badly alone on a card.
_LEANING = re.compile(
    r"^(however|moreover|consequently|therefore|thus|this|these|that|those|it|they|such|"
    r"also|and|but|or|so|then|in addition|as a result|furthermore)\b",
    re.IGNORECASE,
)
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_ARABIC = regex.compile(r"\p{Arabic}")
_HAN_OR_KANA = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")


def typographic(text: str) -> str:
    """Straight quotes and apostrophes made curly, three dots made an ellipsis."""
    text = text.replace("...", "…")
    text = re.sub(r"(?<![\w.,;:!?…)\]])\"(?=\S)", "“", text)
    text = text.replace('"', "”")
    text = re.sub(r"(?<=\w)'", "’", text)  # don't, patients'
    text = re.sub(r"(?<![\w.,;:!?…)\]])'(?=\S)", "‘", text)
    return text.replace("'", "’")


def quoted(text: str) -> str:
    """The text in the quotation marks its script uses, inner double quotes made single."""
    text = text.strip()
    for opening, closing in _ENCLOSING:
        if len(text) > 2 and text.startswith(opening) and text.endswith(closing):
            text = text[len(opening) : -len(closing)].strip()
            break
    text = typographic(text)
    # The marks of the script the quote starts in (its first letter).
    first = next((ch for ch in text if ch.isalpha()), "")
    if _HAN_OR_KANA.match(first) and _KANA.search(text):
        return f"「{text}」"
    if _ARABIC.match(first):
        return f"«{text}»"
    return "“" + text.replace("“", "‘").replace("”", "’") + "”"


def choose_quote(body: str, title: str | None = None, longest: int = 160) -> str:
    """A sentence from the body that stands on its own on a card: a question or a claim of
    card length that does not start by pointing back at the sentence before it."""
    best: tuple[float, str] | None = None
    for position, match in enumerate(_SENTENCE.finditer(body.replace("\n", " "))):
        sentence = " ".join(match.group().split())
        words = len(sentence.split())
        if words < 6 or len(sentence) > longest:
            continue
        score = abs(len(sentence) - 95) / 10 + position * 0.2
        if sentence.endswith("?"):
            score -= 4
        if _LEANING.match(sentence):
            score += 12
        if re.match(r"^(what|why|how|do|does|can|is|are)\b", sentence, re.IGNORECASE):
            score -= 1
        if best is None or score < best[0]:
            best = (score, sentence)
    if best is not None:
        return best[1]
    if title:
        return title
    first = " ".join(body.split())
    if len(first) <= longest:
        return first
    return first[: first.rfind(" ", 0, longest - 1)].rstrip(",;:") + "…"
