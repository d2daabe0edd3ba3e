"""The publisher interface: what every network's publisher does, and the errors it may raise.

A publisher sends one part of a delivery at a time. The daemon, not the publisher, keeps the
state: after each part it commits the part's remote id before asking for the next, so a retry
resumes after the last part known to be live and never sends part 1 again. When the daemon does
not know whether a part landed (a crash, a timeout, an UnknownOutcome), it asks `lookup` before
sending anything: a publisher must be able to find its own earlier attempt on the network.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from scheduler.outgoing import OutgoingDelivery, OutgoingImage, OutgoingPart, Sent
from scheduler.settings import Settings


@dataclass(frozen=True)
class Pending:
    """Created on the network, not yet published: come back at `retry_at` with `checkpoint`.

    The daemon commits `checkpoint` on the part before anything else can happen, requeues the
    delivery for `retry_at` (freeing the worker; not a failed attempt), and on the next claim
    hands it back as `part.checkpoint` to `publish_part` and `lookup`. A checkpoint is JSON.
    """

    checkpoint: Mapping[str, Any]
    retry_at: datetime
    detail: str = ""


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
    """The answer of `check_account`; `detail` never contains a secret.

    `expires_at`: when the account's token stops working, where the network says (None: it
    does not expire, or the network does not tell). The daemon warns ahead of it.
    """

    ok: bool
    detail: str
    expires_at: datetime | None = None


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


class Reconnect(Permanent):
    """The account's token expired or was revoked. Nothing was sent, and nothing will be until
    the author reconnects: the delivery waits for her (needs attention), it has not failed."""


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
    ) -> Sent | Pending:
        """Send `part` (a reply to `previous`, the part before it, when there is one).

        Returns where it landed, or `Pending` when the network needs time first (then nothing
        is public yet, and `part.checkpoint` says where to resume when it is called again).
        Raises RateLimited, Transient, Permanent or UnknownOutcome; any other exception is
        treated as an UnknownOutcome. Must not be called again for a part that may have
        landed until `lookup` has said Found.NO.
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

    def refresh_token(self, now: datetime) -> datetime | None:
        """Renew the account's token when the network allows it and it is due (the daemon asks
        daily). Returns the new expiry when a token was renewed, None when nothing was done.
        A renewed token is kept in a private file (mode 0600), never in the database or a log.
        """
        return None


PublisherFactory = Callable[[Settings], Publisher]
ServerLimits = Callable[[Settings], Mapping[str, int]]


@dataclass(frozen=True)
class PublisherSpec:
    """What a publisher module declares about itself (its `PUBLISHER`): the registry, the routing
    rule and `crier accounts check` are built from these, and name no network themselves.

    Importing a module's declaration must stay cheap: heavy imports belong in `factory`.
    """

    network: str  # the registry key: "outbox", or the network's name in content's table
    variables: tuple[str, ...]  # every one must be set to publish for real (.env.example)
    account_variable: str | None  # not a secret: names the account in the per-account lock
    secrets: tuple[str, ...]  # the variables whose values must never be shown
    factory: PublisherFactory
    optional: tuple[str, ...] = ()  # read when set (a test server's address), never required
    # The limits the account's own server sets, for the formatter (e.g. {"limit": 1000,
    # "url_length": 23}); None: the network's published rules hold everywhere.
    server_limits: ServerLimits | None = field(default=None, compare=False)

    def missing(self, settings: Settings) -> list[str]:
        return settings.missing(self.variables)

    def account(self, settings: Settings) -> str:
        """The per-account lock's key for the configured account."""
        if self.account_variable is None:
            return self.network
        return f"{self.network}:{settings.require(self.account_variable)}"


__all__ = [
    "AccountStatus", "Found", "Lookup", "OutgoingDelivery", "OutgoingImage", "OutgoingPart",
    "Pending", "Permanent", "PublishError", "Publisher", "PublisherFactory", "PublisherSpec",
    "RateLimited", "Reconnect", "Sent", "ServerLimits", "Transient", "UnknownOutcome",
]
