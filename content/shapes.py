"""Shapes: how much of a long piece a network gets, chosen per network by the brand and the post.

- `whole`: the piece, as a thread or shortened where there are no threads (`format_text`);
- `teaser`: the title (or a hook), then the opening of the piece up to `max_parts` parts, cut
  at a paragraph or sentence end, then the brand's "read the whole piece" words with the link,
  then the disclaimer and call to action (in a part of their own where they cannot share one);
- `quote`: the quote (card and text), the link, the closing.

Each shape is a post made from the author's (`shaped_post`) handed to the same formatter, so
every delivery keeps the formatter's guarantees: each part within the limit as the network
counts, the disclaimer whole exactly once, the text in order without loss up to the cut. Pure
and deterministic, like the formatter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from content.brand import Brand
from content.delivery import Delivery
from content.errors import CrierError, DoesNotFit
from content.formatting import (
    ELLIPSIS,
    PARAGRAPH,
    ends_sentence,
    format_text,
    last_that_fits,
    pieces_of,
)
from content.images.quotes import choose_quote, quoted
from content.networks import NetworkRules
from content.post import Post


@dataclass(frozen=True)
class Choice:
    """A network's shape for one post, after its override, and where each choice came from."""

    post: Post  # the post with the network's override applied
    shape: str
    max_parts: int
    shape_from: str  # "the post's x: section", "the post", "the brand", "the default"
    overridden: tuple[str, ...]  # the fields the network's override set


def choose(post: Post, brand: Brand, rules: NetworkRules) -> Choice:
    """The override for `rules.name` applied, then the shape: the post's wins over the brand's.
    A teaser's parts: the post's, else the brand's for the network, else 3 where the network
    carries threads and 1 where it does not."""
    override = post.overrides.get(rules.name)
    fields = override.fields if override else ()
    applied = replace(post, **{name: getattr(override, name) for name in fields}) \
        if override else post
    if override and override.shape:
        shape, shape_from = override.shape, f"the post's {rules.name}: section"
    elif post.shape:
        shape, shape_from = post.shape, "the post"
    elif rules.name in brand.shapes:
        shape, shape_from = brand.shapes[rules.name], "the brand"
    else:
        shape, shape_from = "whole", "the default"
    threaded = rules.thread and applied.thread is not False  # the post may turn threads off
    max_parts = applied.max_parts or brand.shape_parts.get(rules.name) or (3 if threaded else 1)
    return Choice(applied, shape, max_parts, shape_from, fields)


def format_post(post: Post, brand: Brand, rules: NetworkRules) -> Delivery:
    """The parts `rules.name` receives for `post` in its shape. Raises DoesNotFit (or
    TooManyParts) when it cannot fit."""
    choice = choose(post, brand, rules)
    shaped, read_more = shaped_post(choice, brand, rules)
    delivery = format_text(shaped, brand, rules, read_more)
    notes: list[str] = []
    if choice.shape != "whole" or choice.shape_from != "the default":
        notes.append(f"shape: {choice.shape} (from {choice.shape_from})")
    if choice.shape == "teaser" and not choice.post.link:
        notes.append("a teaser without a link: readers cannot reach the whole piece; add "
                     "link: to the front matter")
    return replace(delivery, notes=(*notes, *delivery.notes), shape=choice.shape,
                   overridden=choice.overridden)


def shaped_post(choice: Choice, brand: Brand, rules: NetworkRules) -> tuple[Post, str | None]:
    """The post the formatter distributes for this shape, and the words before its link (a
    teaser's). Its `text` is what the parts' bodies are slices of."""
    post = choice.post
    if choice.shape == "quote":
        quote = post.quote or choose_quote(post.body, post.title)
        return replace(post, title=None, body=quoted(quote)), None
    if choice.shape == "teaser":
        return _teaser(choice, brand, rules, brand.read_more), brand.read_more
    return post, None


def opener(post: Post) -> str | None:
    """What a teaser opens with: the title, else the first hook."""
    return post.title or (post.hooks[0] if post.hooks else None)


def _teaser(choice: Choice, brand: Brand, rules: NetworkRules, read_more: str) -> Post:
    """The opening of the piece, cut at the last paragraph or sentence end whose teaser stays
    within `max_parts` parts (a closing part of its own not counted); where no such end is
    within reach, at a word, marked with an ellipsis."""
    post = choice.post
    body = post.body
    pieces = pieces_of(body)
    n = len(pieces)
    title = opener(post)

    def teaser(j: int, tail: str = "") -> Post:
        return replace(post, title=title, body=body[: pieces[j - 1].end] + tail)

    def within(candidate: Post) -> bool:
        try:
            delivery = format_text(candidate, brand, rules, read_more)
        except CrierError:
            return False
        carried = [part for part in delivery.parts if not (part.closing and not part.body)]
        whole = "".join(part.body for part in delivery.parts)
        return len(carried) <= choice.max_parts and \
            _squeezed(whole) == _squeezed(candidate.text)

    ends = [j for j in range(1, n) if pieces[j].level >= PARAGRAPH
            or ends_sentence(body[pieces[j - 1].start : pieces[j - 1].end])] + [n]
    best = last_that_fits(ends, lambda j: within(teaser(j)))
    if best is not None:
        return teaser(best)
    best = last_that_fits(range(1, n), lambda j: within(teaser(j, ELLIPSIS)))
    if best is not None:
        return teaser(best, ELLIPSIS)
    raise DoesNotFit(rules.name, 1, rules.unit,
                     f"a teaser of {choice.max_parts} part(s) with its opening and first word",
                     "shorten the title or hook, or give this network a larger max_parts")


def _squeezed(text: str) -> str:
    return "".join(text.split())


