"""What a delivery sends, as the store keeps it and the publishers send it.

The store writes and reads these; the publishers receive them and answer `Sent`. They live
here, below both, so the store never imports a publisher's module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OutgoingImage:
    """A rendered image, exactly as previewed: bytes, format, size and alt text."""

    data: bytes
    format: str
    width: int
    height: int
    alt: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class OutgoingPart:
    """One post on the network. `text` is exactly what is sent; `payload` the composed part.

    `checkpoint` is what an earlier attempt left for this part when it ended `Pending` (e.g.
    the media ids still processing on the network, a Meta container id); None otherwise.
    """

    index: int
    text: str
    images: tuple[OutgoingImage, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict, compare=False)
    checkpoint: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def text_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OutgoingDelivery:
    """A delivery as the publisher sees it. `(store_id, id)` names it uniquely for reconcile."""

    id: int
    platform: str
    account: str
    parts: tuple[OutgoingPart, ...]
    store_id: str
    attempt_id: str
    # When the author wants it out (the store's due time; it moves only by a reschedule, which
    # a delivery with anything live cannot have). A network may derive stable names from it,
    # such as record keys. None only in a delivery built by hand without one.
    scheduled_at: datetime | None = None


@dataclass(frozen=True)
class Sent:
    """A part the network accepted: its id there (to reply to, to find again) and its address."""

    remote_id: str
    url: str | None = None
