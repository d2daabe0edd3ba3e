"""Retry is the author's explicit wish: it keeps a time still ahead, is never undone by the
lateness policy, and sends a delivery waiting for its next attempt now."""

from __future__ import annotations

import random
from datetime import timedelta

from support import Clock, new_post

from scheduler import states
from scheduler.states import Snapshot
from scheduler.store import Store
from scheduler.store import attempts as inflight
from scheduler.store import queue as q
from scheduler.store.claim import claim_due, sweep_missed

LEASE = timedelta(seconds=30)


def _claim(store: Store, clock: Clock) -> list[inflight.Claimed]:
    return claim_due(store, now=clock(), owner="d1", limit=10, lease=LEASE)


def test_retrying_a_cancelled_delivery_keeps_a_time_still_ahead(store: Store, clock: Clock
                                                                ) -> None:
    due = clock.now + timedelta(days=2)
    [row] = q.queue_posts(store, [new_post(due)], clock())
    q.cancel(store, [row.id], clock())
    [again] = q.retry(store, [row.id], clock())
    assert again.status == "queued"
    assert again.next_attempt_at == due and again.due_at == due
    assert _claim(store, clock) == []  # nothing is due now
    clock.now = due
    assert [c.id for c in _claim(store, clock)] == [row.id]


def test_a_retried_missed_delivery_is_not_missed_again(store: Store, clock: Clock) -> None:
    [row] = q.queue_posts(store, [new_post(clock.now, lateness=timedelta(minutes=1))], clock())
    clock.advance(hours=3)
    assert sweep_missed(store, clock()) == [row.id]
    [again] = q.retry(store, [row.id], clock())
    assert again.next_attempt_at == clock.now
    clock.advance(hours=6)  # the daemon comes much later than the one-minute lateness
    assert sweep_missed(store, clock()) == []
    [held] = _claim(store, clock)
    assert held.id == row.id and not states.is_late(
        Snapshot(held.attempts, held.due_at, held.miss_after), clock())


def test_retry_sends_a_delivery_waiting_for_its_next_attempt_now(store: Store, clock: Clock
                                                                 ) -> None:
    [row] = q.queue_posts(store, [new_post(clock.now)], clock())
    [held] = _claim(store, clock)
    move = states.transient(Snapshot(held.attempts, held.due_at, held.miss_after),
                            "503 from the network", clock(), random.Random(1))
    inflight.finish(store, held, move, clock())
    waiting = q.list_deliveries(store, ids=[row.id])[0]
    assert waiting.status == "queued" and waiting.next_attempt_at > clock.now
    [again] = q.retry(store, [row.id], clock())
    assert again.next_attempt_at == clock.now
    assert [c.id for c in _claim(store, clock)] == [row.id]
