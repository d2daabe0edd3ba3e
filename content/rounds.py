"""The rounds of an evergreen post: each one varied so a network that refuses a text it was
already sent takes it.

Round k opens with the k-th of the title and the post's `hooks:`, carries the k-th of its
`quote:` and `quotes:`, and, on a network that refuses duplicates, links with a tag naming the
round (the link is what a closing part of its own carries, and a tag changes nothing else the
reader sees). Whether that is enough is for the caller to check with `repeated_texts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from content.networks import NetworkRules
from content.post import Post

ROUND_TAG = "utm_content"


def openers(post: Post) -> tuple[str, ...]:
    """What a round may open with: the title, then each hook (empty: nothing to rotate)."""
    return tuple(dict.fromkeys(t for t in (post.title, *post.hooks) if t))


def quotes(post: Post) -> tuple[str, ...]:
    return tuple(dict.fromkeys(q for q in (post.quote, *post.quotes) if q))


def round_post(post: Post, number: int, rules: NetworkRules) -> Post:
    """The post as round `number` (0: the first publication) sends it on this network."""
    if number == 0:
        return post
    opening, quoted = openers(post), quotes(post)
    varied = replace(
        post,
        title=opening[number % len(opening)] if opening else post.title,
        quote=quoted[number % len(quoted)] if quoted else post.quote,
    )
    if rules.refuses_duplicates and post.link:
        varied = replace(varied, link=tagged(post.link, number))
    return varied


def tagged(link: str, number: int) -> str:
    """`link` with the round named in its query, after whatever query it already has."""
    parts = urlsplit(link)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}{ROUND_TAG}=repeat-{number}"))


def repeated_texts(rounds: Sequence[Sequence[str]]) -> tuple[int, int, int, str] | None:
    """The first part text sent twice across rounds, as (earlier round, round, part index,
    text), or None when every part of every round is new."""
    seen: dict[str, int] = {}
    for number, texts in enumerate(rounds):
        for index, text in enumerate(texts):
            if text in seen and seen[text] != number:
                return seen[text], number, index, text
            seen.setdefault(text, number)
    return None
