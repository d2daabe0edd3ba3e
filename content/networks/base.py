"""What a network module declares: `NetworkRules`, its images' `ImageRules`, and their hooks.

Every fact about one network is a named field here, and every way a network differs from the
others is a small function it passes in (its counting, its escaping, its brand options). The
generic code (formatting, images, brand, CLI) reads these and never asks which network it is.
Lives apart from `__init__` because each network module imports it and `__init__` imports
every network module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

# The rich-text span type lives beside its detector (AT Protocol rich text); the generic code
# takes it from here.
from content.counting.richtext import Facet as Facet

Options = Mapping[str, Any]  # a network's own section of the brand file, as its parser read it
Problems = list[tuple[str, str]]  # (key within the section, what is wrong with it)


@dataclass(frozen=True)
class ServerLimits:
    """What a network's server says about its own limits (None: it did not say).

    Read by the publisher from a server that sets its own (an instance's configuration); what
    they change is
    the network's own decision (`NetworkRules.with_server`).
    """

    limit: int | None = None
    url_length: int | None = None  # what every link counts
    max_images: int | None = None
    alt_limit: int | None = None
    image_bytes: int | None = None


@dataclass(frozen=True)
class Reservation:
    """Room every part must leave free for something the network counts with the text."""

    what: str  # as the author reads it in a note: "the content warning"
    length: int  # in the network's unit


@dataclass(frozen=True)
class BrandSection:
    """A network's own `[name]` section of the brand file: its keys and how to read them.

    `parse` gets the section's table and appends (key, why) for each bad value; it returns only
    what the author set, and the network's hooks supply the defaults.
    """

    keys: frozenset[str]
    parse: Callable[[Mapping[str, Any], Problems], Options]


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
    # The network fetches each image from a public address rather than taking an upload: a
    # post with images needs a media host (scheduler/media), checked when it is queued.
    fetched_from_address: bool = False


@dataclass(frozen=True)
class LinkPlacement:
    """Where a post's link goes on a network whose captions do not make links clickable.

    "post": in the text, as everywhere else; "comment": out of the text, into a first comment
    the publisher adds under the post (the part's `first_comment`); "replace": out of the text,
    with `instead` (the brand's "Link in bio") in its place. The disclaimer never moves.
    """

    where: str = "post"
    instead: str = ""


def link_in_post(options: Options) -> LinkPlacement:
    return LinkPlacement()


def code_points(text: str) -> int:
    """A length in Unicode code points: what a network counts when it says "characters" and
    nothing more."""
    return len(text)


def accepts(text: str) -> str | None:
    return None


def as_written(text: str) -> str:
    return text


def hash_sign(tag: str) -> str:
    return "#" + tag


def nothing_reserved(rules: NetworkRules, options: Options) -> Reservation | None:
    return None


def text_only(options: Options) -> dict[str, Any]:
    return {}


def ignores_server(rules: NetworkRules, limits: ServerLimits) -> NetworkRules:
    return rules


def as_published(rules: NetworkRules, options: Options) -> NetworkRules:
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
    brand_section: BrandSection | None = None
    reserve: Callable[[NetworkRules, Options], Reservation | None] = nothing_reserved
    part_payload: Callable[[Options], dict[str, Any]] = text_only
    server: Callable[[NetworkRules, ServerLimits], NetworkRules] = ignores_server
    # How the brand's own section changes the rules for her account (X's longer posts).
    account: Callable[[NetworkRules, Options], NetworkRules] = as_published
    # Where the post's link goes, from the brand's options (content/links.py reads
    # the keys for a network that offers the choice).
    link: Callable[[Options], LinkPlacement] = link_in_post
    # It refuses a text it has already been sent: an evergreen repeat must differ in every part.
    refuses_duplicates: bool = False

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

    def reserved(self, options: Options) -> Reservation | None:
        """What each part must leave free, given the brand's options for this network."""
        return self.reserve(self, options)

    def payload(self, options: Options) -> dict[str, Any]:
        """What travels with each part besides its text (the brand's choices for the network)."""
        return self.part_payload(options)

    def link_placement(self, options: Options) -> LinkPlacement:
        return self.link(options)

    def with_server(self, limits: ServerLimits) -> NetworkRules:
        """The same network on a server that sets its own limits."""
        return self.server(self, limits)

    def for_account(self, options: Options) -> NetworkRules:
        """The rules for the author's account, given the brand's options for this network."""
        return self.account(self, options)
