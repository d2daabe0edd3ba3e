"""The publishing state machine: a delivery's states, the legal moves, and what each outcome means.

Pure: `now` and the random source are passed in, nothing is read from the clock or the network.

    queued ──claim──> publishing ──> published
      │  ^                │   ├────> queued            (retry after backoff, a rate limit, or
      │  │                │   │                         pending: the network needs time)
      │  │                │   ├────> failed            (permanent error, or retries used up)
      │  │                │   ├────> needs_attention   (the outcome is unknown and cannot be
      │  │                │   │                         found out: the author must look)
      │  │                │   └────> missed            (too late, and nothing of it is live)
      │  └─── reaper ─────┘  lease expired: back to queued, flagged to reconcile first
      ├──> missed      (the daemon was down past the delivery's max lateness)
      └──> cancelled
    failed | needs_attention | missed | cancelled ──retry / reschedule──> queued

Every move out of `publishing` is made by the holder of the attempt id only (the store fences
each write on it), so a daemon whose lease was taken over cannot overwrite the new owner.
An outcome that may have reached the network is never retried blindly: the next attempt first
asks the publisher whether the part landed (`reconcile`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from content.errors import CrierError


class Status(StrEnum):
    QUEUED = "queued"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    MISSED = "missed"
    CANCELLED = "cancelled"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.QUEUED: frozenset({S.PUBLISHING, S.MISSED, S.CANCELLED}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.QUEUED, S.FAILED, S.NEEDS_ATTENTION, S.MISSED}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
    # PUBLISHED: the author's word that the uncertain part is live (the desk's way out).
    S.NEEDS_ATTENTION: frozenset({S.QUEUED, S.CANCELLED, S.PUBLISHED}),
    S.MISSED: frozenset({S.QUEUED, S.CANCELLED}),
    S.CANCELLED: frozenset({S.QUEUED}),
    S.PUBLISHED: frozenset(),  # final: a published post is deleted on the network, not here
}
# States the author may send back to the queue (retry, reschedule) or cancel.
RETRYABLE = frozenset({S.FAILED, S.NEEDS_ATTENTION, S.MISSED, S.CANCELLED})
CANCELLABLE = frozenset({S.QUEUED, S.FAILED, S.NEEDS_ATTENTION, S.MISSED})


class IllegalTransition(CrierError):
    """A move the state machine does not allow, such as cancelling a published delivery."""


def check(current: Status | str, target: Status | str) -> None:
    """Raise IllegalTransition unless `current -> target` is a legal move."""
    src, dst = Status(current), Status(target)
    if dst not in TRANSITIONS[src]:
        raise IllegalTransition(f"a {src.value} delivery cannot become {dst.value}")


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff, capped, with jitter."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 8  # failed attempts before the delivery is marked failed


def backoff(failures: int, rng: random.Random, policy: RetryPolicy = RetryPolicy()) -> timedelta:
    """The wait after the `failures`-th failure: half of the exponential step fixed, half random.

    The random half spreads retries of many deliveries that failed together (a network outage)
    so they do not all come back at once; the fixed half keeps a retry from following at once.
    """
    step = min(policy.cap, policy.base * (1 << max(0, min(failures - 1, 40))))
    return step / 2 + step / 2 * rng.random()


@dataclass(frozen=True)
class Snapshot:
    """What the machine needs to know about a claimed delivery."""

    attempts: int  # failed attempts before this one
    due_at: datetime
    miss_after: datetime  # due_at + max lateness
    live_parts: int = 0  # parts known to be on the network
    reconcile: bool = False  # the previous attempt may have reached the network


@dataclass(frozen=True)
class Transition:
    """A move out of `publishing`: the new state and the columns that go with it."""

    status: Status
    outcome: str  # for the attempt log
    attempts: int | None = None  # the new count of failed attempts; None: unchanged
    next_attempt_at: datetime | None = None
    reconcile: bool = False
    error: str | None = None


def is_late(snapshot: Snapshot, now: datetime) -> bool:
    """Past its max lateness with nothing live and nothing possibly sent: it must be missed.

    A delivery with a live part is finished however late, because the closing part carries the
    disclaimer: a thread cut short would be out without it. One whose last attempt may have
    landed is reconciled first, since it may not have been missed at all.
    """
    return now > snapshot.miss_after and snapshot.live_parts == 0 and not snapshot.reconcile


def published(snapshot: Snapshot, now: datetime) -> Transition:
    return Transition(S.PUBLISHED, "published")


def missed(snapshot: Snapshot, now: datetime) -> Transition:
    late = now - snapshot.due_at
    return Transition(
        S.MISSED, "missed",
        error=f"due {snapshot.due_at:%Y-%m-%d %H:%M} UTC, {_minutes(late)} late, beyond the "
              f"max lateness; `crier queue retry` or `reschedule` it to send it",
    )


def rate_limited(snapshot: Snapshot, reset_at: datetime, now: datetime) -> Transition:
    """The network said "not now": wait for its reset. Not a failure, so attempts stay."""
    when = max(reset_at, now)
    return Transition(
        S.QUEUED, "rate_limited", next_attempt_at=when,
        error=f"rate limited until {when:%Y-%m-%d %H:%M:%S} UTC",
    )


def pending(snapshot: Snapshot, retry_at: datetime, now: datetime, detail: str = "") -> Transition:
    """A part was created on the network but is not public yet (media processing, a Meta
    container): come back at `retry_at` with its checkpoint. Nothing failed and nothing is
    unknown, so attempts stay and nothing is reconciled; the worker is freed meanwhile."""
    when = max(retry_at, now)
    return Transition(
        S.QUEUED, "pending", next_attempt_at=when,
        error=f"pending until {when:%Y-%m-%d %H:%M:%S} UTC" + (f": {detail}" if detail else ""),
    )


def transient(
    snapshot: Snapshot, message: str, now: datetime, rng: random.Random,
    policy: RetryPolicy = RetryPolicy(), *, reconcile: bool = False,
) -> Transition:
    """A failure worth retrying: back off, or give up once the attempts are used up.

    `reconcile` is set when the outcome is still unknown (the lookup itself failed): the next
    attempt looks again before sending.
    """
    failures = snapshot.attempts + 1
    if failures >= policy.max_attempts:
        if reconcile:
            return undecided(snapshot, f"{message}; gave up after {failures} attempts")
        return Transition(S.FAILED, "failed", failures,
                          error=f"{message} (gave up after {failures} attempts)")
    return Transition(
        S.QUEUED, "retry", failures, next_attempt_at=now + backoff(failures, rng, policy),
        reconcile=reconcile, error=message,
    )


def permanent(snapshot: Snapshot, message: str) -> Transition:
    """The network refused for good (bad request, bad credentials): fail at once, its words."""
    return Transition(S.FAILED, "failed", snapshot.attempts + 1, error=message)


def reconnect(snapshot: Snapshot, message: str) -> Transition:
    """The account's token stopped working: nothing went out, and it waits for the author."""
    return Transition(
        S.NEEDS_ATTENTION, "needs_attention", snapshot.attempts + 1,
        error=f"{message}; once the account is reconnected, `crier queue retry` it (this part "
              "was not published), or `crier queue cancel` it",
    )


def undecided(snapshot: Snapshot, message: str) -> Transition:
    """It may or may not be on the network and the publisher cannot tell: the author looks."""
    return Transition(
        S.NEEDS_ATTENTION, "needs_attention",
        error=f"{message}; check the network, then `crier queue retry` it if it is not there",
    )


def lease_expired(now: datetime) -> Transition:
    """The daemon holding it stopped mid-publish: requeue now, and reconcile before sending."""
    return Transition(
        S.QUEUED, "lease_expired", next_attempt_at=now, reconcile=True,
        error="the daemon publishing it stopped; it will be checked before any resend",
    )


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"
