"""Per-network overrides in a post's front matter: `x: {body: "...", shape: teaser}`.

An override replaces the named fields for that one network; everything it leaves out comes from
the post. The disclaimer and call to action are never part of an override: the formatter still
appends them, and counts them, on every network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from content.errors import PostError
from content.text import find_bad_code_point

# How a long piece goes out on a network: all of it (a thread, or shortened where there are no
# threads), its opening with a link to the rest, or a quote card with the quote and the link.
SHAPES = ("whole", "teaser", "quote")

# The fields an override may replace, in the order the preview lists them.
FIELDS = ("title", "body", "hashtags", "quote", "shape", "max_parts")


@dataclass(frozen=True)
class Override:
    """What the post says for one network instead; None (or ()) for a field: the post's."""

    title: str | None = None
    body: str | None = None
    hashtags: tuple[str, ...] | None = None
    quote: str | None = None
    shape: str | None = None
    max_parts: int | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields this override sets, for the preview to say where each came from."""
        return tuple(name for name in FIELDS if getattr(self, name) is not None)


@dataclass(frozen=True)
class Readers:
    """How post.py reads each kind of value, passed in so this module does not import it."""

    text: Callable[[Mapping[str, Any], str, str], str | None]
    body: Callable[[str], str]
    hashtags: Callable[[Any, str], tuple[str, ...]]


def check_shape(value: object, where: str) -> str | None:
    """A shape's name as written (None: not set), or PostError listing the shapes."""
    if value is None:
        return None
    name = str(value).strip().lower()
    if name not in SHAPES:
        raise PostError(f"{where} unknown shape {value!r}; the shapes are {', '.join(SHAPES)}")
    return name


def check_max_parts(value: object, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PostError(f"{where} max_parts must be a whole number of parts, 1 or more; "
                        f"got {value!r}")
    return value


def parse_override(network: str, value: Any, source: str, read: Readers) -> Override:
    """One network's section of the front matter; PostError names the bad key and the fix."""
    where = f"{source}: {network}:"
    if not isinstance(value, dict):
        raise PostError(f"{where} must be a table of fields, e.g. "
                        f"{network}: {{body: \"...\", shape: teaser}}")
    unknown = sorted(set(map(str, value)) - set(FIELDS))
    if unknown:
        raise PostError(f"{where} unknown field(s) {', '.join(unknown)}; an override may set "
                        f"{', '.join(FIELDS)}")
    body = value.get("body")
    if body is not None and not isinstance(body, str):
        raise PostError(f"{where} body must be text")
    for key, field_value in value.items():
        bad = find_bad_code_point(field_value) if isinstance(field_value, str) else None
        if bad:
            raise PostError(f"{where} {key} contains {bad[1]}; remove it (it is usually left "
                            "over from a copy and paste)")
    text = read.body(body) if isinstance(body, str) else None
    if body is not None and not text:
        raise PostError(f"{where} body is empty; write the text, or leave body out to use "
                        "the post's")
    return Override(
        title=read.text(value, "title", where),
        body=text,
        hashtags=(read.hashtags(value["hashtags"], f"{source} ({network}:)")
                  if "hashtags" in value else None),
        quote=read.text(value, "quote", where),
        shape=check_shape(value.get("shape"), where),
        max_parts=check_max_parts(value.get("max_parts"), where),
    )
