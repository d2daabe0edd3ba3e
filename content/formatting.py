"""Formatting: one post, made to fit one network, as the parts that network will receive.

A pure function of (post, brand, platform rules). Thread networks get the text split at paragraph,
then sentence, then word boundaries; single-post networks get one post, shortened at a sentence
boundary when it is too long. Every delivery ends with the brand's disclaimer and call to action,
whole and exactly once; lengths are measured the way each network counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from content.brand import Brand
from content.delivery import Delivery, Part
from content.errors import DoesNotFit, TooManyParts
from content.networks import NetworkRules
from content.post import Post

SEP = "\n\n"
ELLIPSIS = " …"
PARAGRAPH, LINE, SENTENCE, WORD = 4, 3, 2, 1
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?…][\"'’”»)\]]*$")
# A cut is taken at a boundary of a level only if the part stays at least this full (as a share
# of the longest part that fits): a paragraph break is worth a half-empty part, a sentence end
# is worth more (a thought cut mid-sentence reads worst), a word boundary is the last resort.
MIN_FILL = {PARAGRAPH: 0.5, LINE: 0.5, SENTENCE: 0.2}


@dataclass(frozen=True)
class Piece:
    """A word of the text, with the kind of boundary that comes before it."""

    start: int
    end: int
    level: int


@dataclass(frozen=True)
class Extras:
    """What a part carries besides its share of the body, already rendered for the network."""

    link: str | None
    hashtags: str | None
    closing: str | None
    numbering: str | None


def ends_sentence(word: str) -> bool:
    """Whether a word ends a sentence (its mark, then any closing quotes or brackets)."""
    return _SENTENCE_END.search(word) is not None


def pieces_of(text: str) -> list[Piece]:
    pieces: list[Piece] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        gap = text[previous_end : match.start()]
        if not pieces or "\n\n" in gap:
            level = PARAGRAPH
        elif "\n" in gap:
            level = LINE
        elif _SENTENCE_END.search(text[pieces[-1].start : pieces[-1].end]):
            level = SENTENCE
        else:
            level = WORD
        pieces.append(Piece(match.start(), match.end(), level))
        previous_end = match.end()
    return pieces


def last_that_fits(candidates: Sequence[int], ok: Callable[[int], bool]) -> int | None:
    """The last of `candidates` for which `ok` holds, when it holds up to some point and not
    after (a longer text never fits where a shorter one did not): gallop out from the start,
    then bisect, so every text measured is at most about twice the answer."""
    best, hi, step = -1, len(candidates) - 1, 1
    while best < hi:
        probe = min(best + step, hi)
        if not ok(candidates[probe]):
            hi = probe - 1
            break
        best, step = probe, step * 2
    lo = best + 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(candidates[mid]):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return candidates[best] if best >= 0 else None


class _Formatter:
    def __init__(self, post: Post, brand: Brand, rules: NetworkRules,
                 read_more: str | None = None) -> None:
        self.post, self.brand, self.rules = post, brand, rules
        # What the link is written as: the link itself, or a shape's words before it.
        self.read_more = read_more if post.link else None
        plain = f"{read_more} {post.link}" if read_more and post.link else post.link
        self.link = self.render(plain) if plain else None
        self.text = post.text
        self.pieces = pieces_of(self.text)

    # -- rendering ---------------------------------------------------------------------------
    def render(self, text: str) -> str:
        return self.rules.escape(text)

    def hashtags(self) -> str | None:
        tags: list[str] = []
        for tag in (*self.post.hashtags, *self.brand.hashtags):
            if tag.casefold() not in (t.casefold() for t in tags):
                tags.append(tag)
        tags = tags[: self.rules.max_hashtags]
        if not tags:
            return None
        return " ".join(self.rules.render_hashtag(tag) for tag in tags)

    def link_block(self) -> str | None:
        """The link as the post shows it: itself, the brand's "link in bio" text in its place,
        or nothing when it goes to a first comment instead."""
        if not self.post.link:
            return None
        placed = self.rules.link_placement(self.brand.options_for(self.rules.name))
        if placed.where == "comment":
            return None
        if placed.where == "replace":
            return self.render(placed.instead)
        return self.link  # the link itself, or a shape's words before it

    def first_comment(self) -> str | None:
        """The link, when the brand puts it in a first comment under the post (never the
        disclaimer: that stays in the post)."""
        placed = self.rules.link_placement(self.brand.options_for(self.rules.name))
        return self.post.link if self.post.link and placed.where == "comment" else None

    def closing(self, short: bool) -> str:
        return self.render(SEP.join(self.brand.closing(self.rules.name, short)))

    def compose(self, body: str, extras: Extras) -> str:
        blocks = [self.render(body)] if body else []
        blocks += [b for b in (extras.link, extras.hashtags, extras.closing, extras.numbering) if b]
        return SEP.join(blocks)

    def body(self, i: int, j: int) -> str:
        return self.text[self.pieces[i].start : self.pieces[j - 1].end] if j > i else ""

    def fits(self, body: str, extras: Extras) -> bool:
        return self.rules.fits(self.compose(body, extras))

    # -- the disclaimer ------------------------------------------------------------------------
    def choose_closing(self, numbering: str | None) -> tuple[str, bool]:
        """The full closing if it fits in one part on this network, else the short one."""
        for short in (False, True):
            closing = self.closing(short)
            if self.fits("", Extras(None, None, closing, numbering)):
                return closing, short
        closing = self.closing(True)
        text = self.compose("", Extras(None, None, closing, numbering))
        over = self.rules.measure(text) - self.rules.limit
        problem = self.rules.problem(text)
        raise DoesNotFit(
            self.rules.name,
            max(over, 0),
            self.rules.unit,
            "the short disclaimer with the call to action"
            + (f" ({problem})" if problem else "")
            + (" and the part number" if numbering else ""),
            f"shorten disclaimer.short or call_to_action.{self.rules.name} in the brand file",
        )

    # -- longest prefix that fits ------------------------------------------------------------
    def longest(self, i: int, candidates: Sequence[int], extras: Extras, tail: str = "") -> int:
        """The largest j in `candidates` (ascending) whose body(i, j) + tail fits, or -1.

        Counts grow with the body, so the answer is found by galloping out from the start and
        then bisecting: every text measured is at most about twice a part, however long the
        rest of the post is.
        """

        found = last_that_fits(
            candidates, lambda j: self.fits(self.body(i, j) + tail, extras))
        return -1 if found is None else found

    def too_long_word(self, i: int, extras: Extras) -> DoesNotFit:
        word = self.text[self.pieces[i].start : self.pieces[i].end]
        shown = word if len(word) <= 40 else word[:37] + "..."
        text = self.compose(word, extras)
        over = self.rules.measure(text) - self.rules.limit
        return DoesNotFit(
            self.rules.name, max(over, 1), self.rules.unit,
            f"the word {shown!r}, alone in a part with what the part must carry,",
            "a word cannot be split: break it up or shorten it",
        )

    # -- threads ---------------------------------------------------------------------------
    def thread(self, numbered: bool) -> tuple[list[tuple[str, Extras]], bool]:
        width = 1
        while True:
            parts, short = self._thread(numbered, width)
            if not numbered or len(str(len(parts))) <= width:
                return parts, short
            width = len(str(len(parts)))

    def _thread(self, numbered: bool, width: int) -> tuple[list[tuple[str, Extras]], bool]:
        number = "9" * width + "/" + "9" * width if numbered else None
        closing, short = self.choose_closing(number)
        link = self.link_block()
        tags = self.hashtags()
        n = len(self.pieces)
        parts: list[tuple[str, Extras]] = []
        i = 0
        while i < n:
            first_tags = tags if not parts else None
            last = Extras(link, first_tags, closing, number)
            rest = self.body(i, n)
            everything = range(i + 1, n + 1)
            if self.longest(i, everything, last) == n:
                parts.append((rest, last))
                return parts, short
            with_link = Extras(link, first_tags, None, number)
            if self.longest(i, everything, with_link) == n:  # the closing gets its own part
                parts += self.closing_apart(rest, first_tags, link, closing, number)
                return parts, short
            middle = Extras(None, first_tags, None, number)
            j = self.cut(i, middle)
            parts.append((self.body(i, j), middle))
            i = j
            if len(parts) >= self.brand.max_parts:  # stop early: a 2 MB post is 11,000 parts
                raise self.too_many(parts, i)
        # Only reached when the body ended exactly at a cut: the link and closing follow alone.
        return parts + self.closing_apart("", None, link, closing, number), short

    def too_many(self, parts: list[tuple[str, Extras]], consumed: int) -> TooManyParts:
        """The refusal, with the thread's length estimated from the share of text used."""
        used = self.pieces[consumed - 1].end - self.pieces[0].start
        estimate = max(len(parts) + 1, round(len(self.text) / max(used, 1) * len(parts)) + 1)
        return TooManyParts(self.rules.display, estimate, self.brand.max_parts)

    def closing_apart(
        self, rest: str, tags: str | None, link: str | None, closing: str, number: str | None,
    ) -> list[tuple[str, Extras]]:
        """The last body part and a closing part of its own. The link goes with the closing
        when it fits there: every post's closing part then differs, and a network may refuse a
        text it has already been sent."""
        with_closing = Extras(link, None, closing, number)
        if link and self.fits("", with_closing):
            last = [(rest, Extras(None, tags, None, number))] if rest else []
            return [*last, ("", with_closing)]
        if self.read_more and self.post.link:
            # The words end the text, the link opens the closing: still no two closing parts
            # the same, where the words and the link together do not fit beside the closing.
            bare = Extras(self.render(self.post.link), None, closing, number)
            if self.fits("", bare):
                words = Extras(self.render(self.read_more), tags, None, number)
                return [(rest, words), ("", bare)]
        last = [(rest, Extras(link, tags, None, number))] if rest or link else []
        return [*last, ("", Extras(None, None, closing, number))]

    def cut(self, i: int, extras: Extras) -> int:
        """Where part starting at piece i ends: the best boundary among the ones that fit."""
        n = len(self.pieces)
        far = self.longest(i, range(i + 1, n + 1), extras)
        if far < 0:
            raise self.too_long_word(i, extras)
        if far == n:
            return far
        full = self.pieces[far - 1].end - self.pieces[i].start
        for level, fill in MIN_FILL.items():
            for j in range(far, i, -1):
                if self.pieces[j].level < level:
                    continue
                if self.pieces[j - 1].end - self.pieces[i].start >= fill * full:
                    return j
                break  # earlier boundaries of this level are emptier still
        return far

    # -- a single post -----------------------------------------------------------------------
    def single(self) -> tuple[str, Extras, bool, bool]:
        """(body, extras, short disclaimer?, shortened?) for a network without threads."""
        closing, short = self.choose_closing(None)
        link = self.link_block()
        extras = Extras(link, self.hashtags(), closing, None)
        n = len(self.pieces)
        if self.fits(self.text, extras):
            return self.text, extras, short, False
        sentences = [j for j in range(1, n) if self.pieces[j].level >= SENTENCE]
        j = self.longest(0, sentences, extras, ELLIPSIS)
        if j < 0:
            j = self.longest(0, range(1, n), extras, ELLIPSIS)
        if j < 0:
            raise self.too_long_word(0, extras)
        return self.body(0, j), extras, short, True


def format_text(post: Post, brand: Brand, rules: NetworkRules,
                read_more: str | None = None) -> Delivery:
    """The parts `rules.name` receives for `post`. Raises DoesNotFit when it cannot fit.
    `read_more`: words the link comes after, when a shape says more than the link (a teaser)."""
    notes: list[str] = []
    reserved = rules.reserved(brand.options_for(rules.name))
    if reserved:  # counted by the network with every part's text
        rules = rules.with_limit(rules.limit - reserved.length)
        notes.append(f"{reserved.what} takes {reserved.length} {rules.unit} of each part's limit")
    fmt = _Formatter(post, brand, rules, read_more)
    threaded = rules.thread and post.thread is not False
    if threaded:
        numbered = post.numbering is not False
        planned, short = fmt.thread(numbered)
        count = len(planned)
        texts = []
        for index, (body, extras) in enumerate(planned):
            # The reserved "9/9" becomes the real number; a thread of one is not numbered.
            number = f"{index + 1}/{count}" if extras.numbering and count > 1 else None
            extras = replace(extras, numbering=number)
            texts.append((body, fmt.compose(body, extras), extras.closing is not None))
        if len(texts) > 1:
            notes.append(f"a thread of {len(texts)} parts")
    else:
        body, extras, short, shortened = fmt.single()
        tail = ELLIPSIS if shortened else ""
        texts = [(body, fmt.compose(body + tail, extras), True)]
        if shortened:
            notes.append("shortened at a sentence boundary to fit one post")
    if short:
        notes.append("the short disclaimer is used: the full one does not fit in one part")
    if post.link:
        placed = rules.link_placement(brand.options_for(rules.name))
        if placed.where == "comment":
            notes.append("the link goes in a first comment under the post")
        elif placed.where == "replace":
            notes.append(f'the link is replaced by "{placed.instead}"')
    parts = tuple(
        Part(
            index=index,
            text=text,
            length=rules.measure(text),
            limit=rules.limit,
            body=body,
            closing=closing,
            facets=rules.facets(text) if rules.facets else (),
            first_comment=fmt.first_comment() if index == 0 else None,
        )
        for index, (body, text, closing) in enumerate(texts)
    )
    for part in parts:  # an internal invariant, checked because a wrong count costs a post
        if not rules.fits(part.text):
            raise AssertionError(f"{rules.name} part {part.index} does not fit: {part.length}")
    return Delivery(rules.name, parts, "short" if short else "full", tuple(notes))
