"""The publisher interface: what every network's publisher does, and the errors it may raise.

A publisher sends one part of a delivery at a time. The daemon, not the publisher, keeps the
state: after each part it commits the part's remote id before asking for the next, so a retry
resumes after the last part known to be live and never sends part 1 again. When the daemon does
not know whether a part landed (a crash, a timeout, an UnknownOutcome), it asks `lookup` before
sending anything: a publisher must be able to find its own earlier attempt on the network.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
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
    """One post on the network. `text` is exactly what is sent; `payload` the composed part."""

    index: int
    text: str
    images: tuple[OutgoingImage, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict, compare=False)

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


@dataclass(frozen=True)
class Sent:
    """A part the network accepted: its id there (to reply to, to find again) and its address."""

    remote_id: str
    url: str | None = None


class Found(StrEnum):
    YES = "yes"  # it is on the network: `Lookup.sent` says where
    NO = "no"  # it is certainly not: sending it is safe
    UNKNOWN = "unknown"  # the publisher cannot tell: the author must look


@dataclass(frozen=True)
class Lookup:
    found: Found
    sent: Sent | None = None
    detail: str = ""


@dataclass(frozen=True)
class AccountStatus:
    """The answer of `check_account`; `detail` never contains a secret."""

    ok: bool
    detail: str


class PublishError(Exception):
    """Base of what a publisher raises; the message is the network's own words, secrets removed."""


class RateLimited(PublishError):
    """The network refused for now and names when to come back; not counted as a failure."""

    def __init__(self, reset_at: datetime, message: str = "rate limited") -> None:
        super().__init__(message)
        self.reset_at = reset_at


class Transient(PublishError):
    """A failure worth retrying. `sent=False`: the request certainly did not reach the network
    (refused connection, DNS): back off and send again. `sent=True`: it may have (a timeout or
    5xx after the request went out): the daemon treats it as an UnknownOutcome."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class Permanent(PublishError):
    """The network refused for good (bad request, invalid credentials, too long)."""


class UnknownOutcome(PublishError):
    """The part may or may not be on the network; the daemon will `lookup` before any resend."""


class Publisher(ABC):
    """One network's publisher. Instances are shared by the daemon's workers: thread-safe.

    The daemon runs at most one delivery per account at a time, and a delivery's parts in order.
    """

    name: str  # the registry key: "outbox", or the network's name for a real publisher

    @abstractmethod
    def publish_part(
        self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> Sent:
        """Send `part` (a reply to `previous`, the part before it, when there is one).

        Returns where it landed. Raises RateLimited, Transient, Permanent or UnknownOutcome;
        any other exception is treated as an UnknownOutcome. Must not be called again for a
        part that may have landed until `lookup` has said Found.NO.
        """

    @abstractmethod
    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        """Whether an earlier attempt put `part` of `delivery` on the network (reconcile).

        Found.NO only when the publisher is sure: the daemon then sends the part again.
        May raise Transient when the network cannot be asked right now.
        """

    @abstractmethod
    def check_account(self) -> AccountStatus:
        """Whether the configured account works (credentials, permissions). Never sends a post."""
