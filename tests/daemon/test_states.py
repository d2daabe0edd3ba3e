"""The state machine, pure: legal moves, backoff with jitter, rate limits and the misfire rule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from scheduler import states
from scheduler.states import IllegalTransition, RetryPolicy, Snapshot, Status

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def snap(**kw: object) -> Snapshot:
    values: dict[str, object] = {"attempts": 0, "due_at": NOW,
                                 "miss_after": NOW + timedelta(hours=2)}
    values.update(kw)
    return Snapshot(**values)  # type: ignore[arg-type]


def test_published_is_final_and_queued_cannot_jump_to_published() -> None:
    assert states.TRANSITIONS[Status.PUBLISHED] == frozenset()
    with pytest.raises(IllegalTransition):
        states.check("published", "queued")
    with pytest.raises(IllegalTransition):
        states.check("queued", "published")  # only through publishing
    states.check("queued", "publishing")
    states.check("publishing", "needs_attention")
    states.check("missed", "queued")


def test_every_move_out_of_publishing_is_listed() -> None:
    for target in ("published", "queued", "failed", "needs_attention", "missed"):
        states.check("publishing", target)
    with pytest.raises(IllegalTransition):
        states.check("publishing", "cancelled")  # in flight: finish first


def test_backoff_grows_exponentially_capped_and_jittered() -> None:
    policy = RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=5))
    rng = random.Random(7)
    waits = [states.backoff(n, rng, policy) for n in range(1, 10)]
    for n, wait in enumerate(waits, 1):
        step = min(timedelta(minutes=5), timedelta(seconds=10) * 2 ** (n - 1))
        assert step / 2 <= wait <= step
    assert max(waits) <= timedelta(minutes=5)
    # Jitter: the same failure count gives different waits, reproducibly for one seed.
    spread = {states.backoff(3, random.Random(seed), policy) for seed in range(20)}
    assert len(spread) > 10
    assert states.backoff(3, random.Random(1), policy) == states.backoff(
        3, random.Random(1), policy)


def test_transient_backs_off_then_fails_when_attempts_are_used_up() -> None:
    policy = RetryPolicy(max_attempts=3)
    first = states.transient(snap(), "connection refused", NOW, random.Random(0), policy)
    assert first.status is Status.QUEUED and first.attempts == 1
    assert first.next_attempt_at is not None and first.next_attempt_at > NOW
    assert not first.reconcile
    last = states.transient(snap(attempts=2), "connection refused", NOW, random.Random(0), policy)
    assert last.status is Status.FAILED and last.attempts == 3
    assert "gave up after 3 attempts" in (last.error or "")


def test_an_unknown_outcome_that_exhausts_retries_needs_attention_not_failed() -> None:
    policy = RetryPolicy(max_attempts=2)
    move = states.transient(snap(attempts=1), "timeout", NOW, random.Random(0), policy,
                            reconcile=True)
    assert move.status is Status.NEEDS_ATTENTION


def test_rate_limit_waits_for_the_reset_and_is_not_a_failure() -> None:
    reset = NOW + timedelta(minutes=15)
    move = states.rate_limited(snap(attempts=2), reset, NOW)
    assert move.status is Status.QUEUED
    assert move.next_attempt_at == reset
    assert move.attempts is None  # unchanged
    # A reset in the past (clock skew) means now, not earlier.
    assert states.rate_limited(snap(), NOW - timedelta(minutes=1), NOW).next_attempt_at == NOW


def test_permanent_fails_at_once_with_the_networks_words() -> None:
    move = states.permanent(snap(), "403 Forbidden: duplicate content")
    assert move.status is Status.FAILED
    assert move.error == "403 Forbidden: duplicate content"


def test_misfire_rule() -> None:
    late = NOW + timedelta(hours=3)
    assert states.is_late(snap(), late)
    assert not states.is_late(snap(), NOW + timedelta(hours=1))  # within max lateness
    # A thread with live parts is finished however late: its last part carries the disclaimer.
    assert not states.is_late(snap(live_parts=2), late)
    # One whose last attempt may have landed is reconciled before it can be called missed.
    assert not states.is_late(snap(reconcile=True), late)
    move = states.missed(snap(), late)
    assert move.status is Status.MISSED and "3.0 h late" in (move.error or "")


def test_lease_expiry_requeues_for_reconcile() -> None:
    move = states.lease_expired(NOW)
    assert move.status is Status.QUEUED and move.reconcile and move.next_attempt_at == NOW


def test_undecided_tells_the_author_what_to_do() -> None:
    move = states.undecided(snap(), "part 2 may have been published")
    assert move.status is Status.NEEDS_ATTENTION
    assert "crier queue retry" in (move.error or "")


def test_pending_comes_back_at_its_time_and_is_neither_a_failure_nor_unknown() -> None:
    later = NOW + timedelta(seconds=30)
    move = states.pending(snap(attempts=2, reconcile=True), later, NOW, "media processing")
    assert move.status is Status.QUEUED and move.outcome == "pending"
    states.check(Status.PUBLISHING, move.status)
    assert move.next_attempt_at == later
    assert move.attempts is None  # a pending step is not a failed attempt
    assert not move.reconcile  # nothing public yet: no lookup before resuming
    assert "media processing" in (move.error or "")
    # A time in the past (clock skew) means now, not earlier.
    assert states.pending(snap(), NOW - timedelta(minutes=1), NOW).next_attempt_at == NOW
