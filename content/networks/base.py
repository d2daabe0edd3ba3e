"""What a network module declares: `NetworkRules`, its images' `ImageRules`, and their hooks.

Every fact about one network is a named field here, and every way a network differs from the
others is a small function it passes in (its counting, its escaping, its brand options). The
generic code (formatting, images, brand, CLI) reads these and never asks which network it is.
Lives apart from `__init__` because each network module imports it and `__init__` imports
every network module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

# The rich-text span type stays beside Bluesky's detector until counting/ is renamed; the
# generic code takes it from here so that it does not depend on one network's counting.
from content.counting.bluesky import Facet as Facet


@dataclass(frozen=True)
class ServerLimits:
    """What a network's server says about its own limits (None: it did not say).

    Read by the publisher from the server (Mastodon's `/api/v2/instance`); what they change is
    the network's own decision (`NetworkRules.with_server`).
    """

    limit: int | None = None
    url_length: int | None = None  # what every link counts
    max_images: int | None = None
    alt_limit: int | None = None
    image_bytes: int | None = None


def any_size(size: tuple[int, int]) -> str | None:
    return None


@dataclass(frozen=True)
class ImageRules:
    """The images a network takes with a post."""

    size: tuple[int, int]  # what Crier draws, unless the brand sets another
    max_bytes: int
    max_images: int
    alt_limit: int
    formats: tuple[str, ...] = ("PNG", "JPEG")  # the encoder picks the smaller
    required: bool = False  # no text-only posts
    size_problem: Callable[[tuple[int, int]], str | None] = any_size  # a shape it refuses


def accepts(text: str) -> str | None:
    return None


def as_written(text: str) -> str:
    return text


def hash_sign(tag: str) -> str:
    return "#" + tag


def ignores_server(rules: NetworkRules, limits: ServerLimits) -> NetworkRules:
    return rules


@dataclass(frozen=True)
class NetworkRules:
    """What one network accepts, and how it counts. `measure` returns the length as the network
    counts it, in `unit`, on the text as sent (already escaped)."""

    name: str  # the key everywhere: brand sections, post front matter, the store
    display: str
    limit: int
    unit: str
    measure: Callable[[str], int]
    thread: bool  # carries a thread of replies; otherwise one post, shortened if need be
    max_hashtags: int  # kept in the first part, where readers find them
    images: ImageRules
    byte_limit: int | None = None  # a second limit, in UTF-8 bytes of the text
    refuses: Callable[[str], str | None] = accepts  # a reason besides length, or None
    escape: Callable[[str], str] = as_written  # plain text as the network must receive it
    render_hashtag: Callable[[str], str] = hash_sign  # a tag word as written in the post
    facets: Callable[[str], tuple[Facet, ...]] | None = None  # None: the server finds links
    server: Callable[[NetworkRules, ServerLimits], NetworkRules] = ignores_server

    def problem(self, text: str) -> str | None:
        """A reason other than length why the network would refuse `text`, or None."""
        if self.byte_limit is not None:
            size = len(text.encode("utf-8"))
            if size > self.byte_limit:
                return f"{size} UTF-8 bytes, over {self.display}'s {self.byte_limit}"
        return self.refuses(text)

    def fits(self, text: str) -> bool:
        return self.measure(text) <= self.limit and self.problem(text) is None

    def with_limit(self, limit: int) -> NetworkRules:
        return replace(self, limit=limit)

    def with_server(self, limits: ServerLimits) -> NetworkRules:
        """The same network on a server that sets its own limits."""
        return self.server(self, limits)
