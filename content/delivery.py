"""What one network receives for one post: its parts, in order, exactly as they will be sent."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from content.networks import Facet

ImageKind = Literal["quote_card", "photo", "thread_cover"]


@dataclass(frozen=True)
class ImageRef:
    """An image a part carries, before rendering: the renderer turns it into bytes."""

    kind: ImageKind
    alt: str
    size: tuple[int, int]
    text: str | None = None  # the quote, caption or title set on the image
    photo: str | None = None  # the author's photo, a path relative to the post file


@dataclass(frozen=True)
class Part:
    """One post on the network (a thread has several). `text` is exactly what is sent."""

    index: int
    text: str
    length: int
    limit: int
    body: str  # the slice of the post's text this part carries, before escaping
    closing: bool  # carries the disclaimer and the call to action
    facets: tuple[Facet, ...] = ()
    images: tuple[ImageRef, ...] = ()
    # Posted by the publisher as a comment under this part once it is live (the link, on a
    # network whose captions do not make it clickable and whose brand section says so).
    first_comment: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["facets"] = [
            {"byteStart": f.byte_start, "byteEnd": f.byte_end, "type": f.kind, "value": f.value}
            for f in self.facets
        ]
        return data


@dataclass(frozen=True)
class Delivery:
    """One post formatted for one network: the unit that is queued, claimed and published."""

    platform: str
    parts: tuple[Part, ...]
    disclaimer_form: Literal["full", "short"] = "full"
    notes: tuple[str, ...] = field(default=())  # decisions the author should see
    shape: str = "whole"  # content/shapes.py
    overridden: tuple[str, ...] = ()  # fields the post's own section for the network set

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "disclaimer_form": self.disclaimer_form,
            "notes": list(self.notes),
            "shape": self.shape,
            "overridden": list(self.overridden),
            "parts": [part.to_json() for part in self.parts],
        }
