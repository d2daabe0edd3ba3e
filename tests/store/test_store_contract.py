"""The store's contract, run on SQLite and on PostgreSQL: queue, claim, fence, reap, sweep, edit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support import Clock

from scheduler import states
from scheduler.publishers.base import Sent
from scheduler.states import IllegalTransition, Snapshot
from scheduler.store import Store
from scheduler.store import attempts as inflight
from scheduler.store import queue as q
from scheduler.store.claim import (
    claim_due,
    explain_claim,
    queue_state,
    reap,
    renew,
    sweep_missed,
)
from scheduler.store.engine import sqlite_url
from scheduler.store.migrations import MIGRATIONS, current_version
from scheduler.store.queue import NewDelivery, NewImage, NewPart, NewPost
from scheduler.store.schema import accounts

LEASE = timedelta(seconds=30)
MakePost = Callable[..., NewPost]


def claim(store: Store, clock: Clock, limit: int = 10, owner: str = "d1") -> list[inflight.Claimed]:
    return claim_due(store, now=clock(), owner=owner, limit=limit, lease=LEASE)


def snapshot(c: inflight.Claimed) -> Snapshot:
    return Snapshot(c.attempts, c.due_at, c.miss_after)


def test_migrations_are_idempotent_and_name_the_store(db_url: str) -> None:
    first = Store.open(db_url)
    second = Store.open(db_url)
    assert current_version(first.engine) == current_version(second.engine) == max(MIGRATIONS)
    assert first.store_id == second.store_id and len(first.store_id) == 32
    first.close()
    second.close()


def test_queue_round_trips_times_as_utc_in_due_order(store: Store, clock: Clock,
                                                     make_post: MakePost) -> None:
    later, sooner = clock.now + timedelta(hours=2), clock.now + timedelta(hours=1)
    rows = q.queue_posts(store, [make_post(later, parts=3), make_post(sooner, platform="bluesky")],
                         clock())
    assert [r.due_at for r in rows] == [sooner, later]
    assert all(r.status == "queued" and r.due_at.tzinfo is not None for r in rows)
    assert rows[1].parts == 3 and rows[1].miss_after == later + timedelta(minutes=120)
    detail = q.show(store, rows[1].id)
    assert [p.text for p in detail.parts] == [f"post.md part {i} of 3" for i in (1, 2, 3)]


def test_bulk_insert_returns_ids_in_order(store: Store, clock: Clock,
                                          make_post: MakePost) -> None:
    posts = [make_post(clock.now + timedelta(minutes=i), source=f"p{i}.md") for i in range(500)]
    ids = store.write(lambda conn: q.insert_posts(conn, posts, clock()))
    assert len(ids) == 500 and ids == sorted(ids)
    assert q.counts(store) == {"queued": 500}
    rows = q.list_deliveries(store, ids=ids[:3])
    assert [r.source for r in rows] == ["p0.md", "p1.md", "p2.md"]


def test_claim_takes_only_due_deliveries_once(store: Store, clock: Clock,
                                              make_post: MakePost) -> None:
    q.queue_posts(store, [make_post(clock.now, platform="x"),
                          make_post(clock.now + timedelta(minutes=5), platform="bluesky")],
                  clock())
    got = claim(store, clock)
    assert [c.platform for c in got] == ["x"]
    assert claim(store, clock, owner="d2") == []  # held
    clock.advance(minutes=5)
    assert [c.platform for c in claim(store, clock, owner="d2")] == ["bluesky"]


def test_one_delivery_in_flight_per_account(store: Store, clock: Clock,
                                            make_post: MakePost) -> None:
    q.queue_posts(store, [make_post(clock.now, source="a.md"), make_post(clock.now, source="b.md"),
                          make_post(clock.now, platform="mastodon")], clock())
    first = claim(store, clock)
    assert sorted(c.platform for c in first) == ["mastodon", "x"]
    assert claim(store, clock) == []  # x's second delivery waits for the first
    x = next(c for c in first if c.platform == "x")
    inflight.finish(store, x, states.published(snapshot(x), clock()), clock())
    second = claim(store, clock)
    assert [c.platform for c in second] == ["x"] and second[0].id != x.id


def test_writes_are_fenced_on_the_attempt_id(store: Store, clock: Clock,
                                             make_post: MakePost) -> None:
    q.queue_posts(store, [make_post(clock.now, parts=2)], clock())
    [held] = claim(store, clock)
    inflight.record_part(store, held, 0, Sent("r0"), clock(), LEASE)
    impostor = inflight.Claimed(**{**held.__dict__, "attempt_id": "not-mine"})
    with pytest.raises(inflight.LostLease):
        inflight.record_part(store, impostor, 1, Sent("r1"), clock(), LEASE)
    with pytest.raises(inflight.LostLease):
        inflight.finish(store, impostor, states.published(snapshot(held), clock()), clock())
    inflight.record_part(store, held, 1, Sent("r1"), clock(), LEASE)
    inflight.finish(store, held, states.published(snapshot(held), clock()), clock())
    detail = q.show(store, held.id)
    assert detail.delivery.status == "published" and detail.delivery.live_parts == 2
    assert [p.remote_id for p in detail.parts] == ["r0", "r1"]
    assert [a.outcome for a in detail.attempts] == ["published"]


def test_reaper_requeues_expired_leases_for_reconcile(store: Store, clock: Clock,
                                                      make_post: MakePost) -> None:
    q.queue_posts(store, [make_post(clock.now, parts=3)], clock())
    [held] = claim(store, clock)
    inflight.record_part(store, held, 0, Sent("r0"), clock(), LEASE)
    clock.advance(seconds=20)
    assert renew(store, [held], clock(), LEASE) == {held.id}
    clock.advance(seconds=29)
    assert reap(store, clock()) == []  # renewed until +50 s: still held
    clock.advance(seconds=2)
    assert reap(store, clock()) == [held.id]  # the daemon died
    row = q.show(store, held.id)
    assert row.delivery.status == "queued" and row.delivery.reconcile
    assert row.delivery.live_parts == 1  # what was live stays live
    assert row.attempts[-1].outcome == "lease_expired"
    with pytest.raises(inflight.LostLease):  # the old holder, if it wakes up, is fenced out
        inflight.record_part(store, held, 1, Sent("r1"), clock(), LEASE)
    [again] = claim(store, clock, owner="d2")
    assert again.id == held.id and again.reconcile and again.attempt_id != held.attempt_id
    free = store.read(lambda c: c.execute(select(accounts.c.busy_attempt)).scalars().all())
    assert free == [again.attempt_id]


def test_sweep_marks_misses_but_never_a_started_or_uncertain_delivery(
    store: Store, clock: Clock, make_post: MakePost,
) -> None:
    lateness = timedelta(minutes=30)
    due = clock.now
    rows = q.queue_posts(store, [
        make_post(due, platform="x", lateness=lateness),  # never started: missed
        make_post(due, platform="bluesky", parts=2, lateness=lateness),  # part 1 live: finish
        make_post(due, platform="mastodon", lateness=lateness),  # may have landed: reconcile
        make_post(due + timedelta(hours=1), platform="threads", lateness=lateness),  # on time
    ], clock())
    held = claim(store, clock)
    by_platform = {c.platform: c for c in held}
    inflight.record_part(store, by_platform["bluesky"], 0, Sent("b0"), clock(), LEASE)
    clock.advance(minutes=1)
    for c in held:  # give x back untouched; the others as the reaper would leave them
        if c.platform == "x":
            inflight.finish(store, c, states.rate_limited(snapshot(c), clock(), clock()), clock())
    clock.advance(minutes=65)
    assert sorted(reap(store, clock())) == sorted(
        [by_platform["bluesky"].id, by_platform["mastodon"].id])
    missed = sweep_missed(store, clock())
    assert missed == [rows[0].id]
    status = {r.platform: r.status for r in q.list_deliveries(store)}
    assert status == {"x": "missed", "bluesky": "queued", "mastodon": "queued",
                      "threads": "queued"}
    assert "max lateness" in (q.show(store, rows[0].id).delivery.last_error or "")


def test_rate_limit_moves_the_next_attempt_without_counting_a_failure(
    store: Store, clock: Clock, make_post: MakePost,
) -> None:
    q.queue_posts(store, [make_post(clock.now)], clock())
    [held] = claim(store, clock)
    reset = clock.now + timedelta(minutes=15)
    inflight.finish(store, held, states.rate_limited(snapshot(held), reset, clock()), clock())
    row = q.list_deliveries(store)[0]
    assert row.status == "queued" and row.next_attempt_at == reset and row.attempts == 0
    assert claim(store, clock) == []
    clock.advance(minutes=15)
    assert [c.id for c in claim(store, clock)] == [held.id]


def test_queue_state_tells_the_daemon_when_to_wake(store: Store, clock: Clock,
                                                   make_post: MakePost) -> None:
    assert queue_state(store, clock()).next_due is None
    later = clock.now + timedelta(minutes=7)
    q.queue_posts(store, [make_post(later), make_post(clock.now, platform="bluesky")], clock())
    state = queue_state(store, clock())
    assert state.next_due == clock.now and state.due_now == 1 and state.in_flight == 0
    claim(store, clock)
    state = queue_state(store, clock())
    assert state.next_due == later and state.due_now == 0 and state.in_flight == 1


def test_cancel_retry_reschedule_all_or_nothing(store: Store, clock: Clock,
                                                make_post: MakePost) -> None:
    rows = q.queue_posts(store, [make_post(clock.now + timedelta(hours=1), platform=p)
                                 for p in ("x", "bluesky")], clock())
    a, b = rows[0].id, rows[1].id
    with pytest.raises(q.NoSuchDelivery):
        q.cancel(store, [a, 999], clock())
    assert q.counts(store) == {"queued": 2}  # nothing changed
    assert [r.status for r in q.cancel(store, [a], clock())] == ["cancelled"]
    with pytest.raises(IllegalTransition):
        q.cancel(store, [b, a], clock())  # a is already cancelled: b is untouched too
    assert q.list_deliveries(store, ids=[b])[0].status == "queued"
    new_due = clock.now + timedelta(days=1)
    moved = q.reschedule(store, [q.Move(a, new_due, "2026-03-03 14:00", "UTC")], clock())
    assert moved[0].status == "queued" and moved[0].due_at == new_due
    assert moved[0].miss_after == new_due + timedelta(minutes=120)
    with pytest.raises(IllegalTransition):
        q.retry(store, [a], clock())  # queued: nothing to retry


def test_retry_resumes_and_reschedule_refuses_a_partly_published_delivery(
    store: Store, clock: Clock, make_post: MakePost,
) -> None:
    q.queue_posts(store, [make_post(clock.now, parts=3)], clock())
    [held] = claim(store, clock)
    inflight.record_part(store, held, 0, Sent("r0"), clock(), LEASE)
    inflight.finish(store, held, states.permanent(snapshot(held), "400 bad media"), clock())
    with pytest.raises(IllegalTransition, match="partly published"):
        q.reschedule(store, [q.Move(held.id, clock.now + timedelta(hours=1))], clock())
    clock.advance(hours=5)  # long past its lateness: retry must not be swept as missed
    [row] = q.retry(store, [held.id], clock())
    assert row.status == "queued" and row.attempts == 0 and row.live_parts == 1
    assert sweep_missed(store, clock()) == []
    [again] = claim(store, clock)
    _, live = inflight.load(store, again)
    assert set(live) == {0}  # resumes after the live part


def test_a_delivery_whose_last_attempt_is_unresolved_keeps_its_time(
    store: Store, clock: Clock, make_post: MakePost,
) -> None:
    # A network may name the post by its scheduled time (Bluesky's record keys): moving it
    # before the lookup would lose the post that may have landed.
    q.queue_posts(store, [make_post(clock.now)], clock())
    [held] = claim(store, clock)
    assert inflight.load(store, held)[0].scheduled_at == clock.now
    clock.advance(minutes=5)  # the lease runs out mid-publish: requeued, to be looked up
    assert reap(store, clock()) == [held.id]
    with pytest.raises(IllegalTransition, match="may already be on the network"):
        q.reschedule(store, [q.Move(held.id, clock.now + timedelta(hours=1))], clock())
    [row] = q.list_deliveries(store, ids=[held.id])
    assert row.reconcile and row.due_at == held.due_at


def test_images_are_stored_once_and_come_back_in_order(store: Store, clock: Clock,
                                                       make_post: MakePost) -> None:
    image = NewImage(b"\x89PNG fake", "PNG", 1600, 900, "A quote card")
    other = NewImage(b"\xff\xd8 fake", "JPEG", 1080, 1350, "A photo")
    base = make_post(clock.now)
    delivery = base.deliveries[0]
    parts = (NewPart(0, "one", {}, (image, other)), NewPart(1, "two", {}, (image,)))
    posts = [NewPost("a.md", (delivery.__class__(**{**delivery.__dict__, "parts": parts}),)),
             NewPost("b.md", (delivery.__class__(**{**delivery.__dict__, "parts": parts,
                                                     "platform": "bluesky",
                                                     "account": "outbox:bluesky"}),))]
    q.queue_posts(store, posts, clock())
    held = claim(store, clock)
    outgoing, _ = inflight.load(store, held[0])
    assert [[i.alt for i in p.images] for p in outgoing.parts] == [
        ["A quote card", "A photo"], ["A quote card"]]
    assert outgoing.parts[0].images[0].data == image.data
    assert outgoing.store_id == store.store_id


def test_concurrent_claims_never_share_a_delivery(db_url: str, clock: Clock,
                                                  make_post: MakePost) -> None:
    setup = Store.open(db_url)
    posts = [make_post(clock.now, account=f"acct{i % 12}", source=f"{i}.md") for i in range(120)]
    setup.write(lambda conn: q.insert_posts(conn, posts, clock()))
    stores = [Store.open(db_url) for _ in range(4)]
    seen: list[int] = []
    lock = threading.Lock()

    def daemon(store: Store, name: str) -> None:
        while True:
            got = claim_due(store, now=clock(), owner=name, limit=3, lease=LEASE)
            if not got and queue_state(store, clock()).due_now == 0:
                return
            for c in got:
                with lock:
                    seen.append(c.id)
                inflight.finish(store, c, states.published(snapshot(c), clock()), clock())

    threads = [threading.Thread(target=daemon, args=(s, f"d{i}")) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 120
    assert q.counts(setup) == {"published": 120}
    for s in [setup, *stores]:
        s.close()


def test_claim_plan_uses_the_index(sqlite_store: Store, clock: Clock) -> None:
    plan = explain_claim(sqlite_store, clock())
    assert "ix_deliveries_claim" in plan


def test_sqlite_bulk_insert_stores_what_sqlalchemy_stores(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite `insert_posts` hands values to the driver itself, bypassing the column types:
    its rows must be, value for value and type for type, those SQLAlchemy's path writes."""
    paris, india = ZoneInfo("Europe/Paris"), timezone(timedelta(hours=5, minutes=30))
    image = NewImage(b"\x89PNG fake", "PNG", 1600, 900, "A quote card")

    def batch(tag: str, *, bare: bool) -> list[NewPost]:
        # `bare`: no title, wall or time note anywhere, as a bench batch; else a mix of all.
        new = []
        for i in range(150):
            due = [clock.now + timedelta(minutes=i, microseconds=i % 3),
                   datetime(2026, 7, 1, 9, i % 60, tzinfo=paris),
                   datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=paris),  # the second 02:30
                   datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=india)][i % 4]
            deliveries = tuple(
                NewDelivery(
                    platform=platform, account=f"outbox:{platform}", publisher="outbox",
                    due_at=due, max_lateness=timedelta(minutes=30 * (n + 1), seconds=i % 2),
                    wall=None if bare or i % 2 else f"2026-03-0{n + 1} 09:00",
                    zone=None if bare else "Europe/Paris",
                    time_note=None if bare or i % 5 else "moved past a DST gap",
                    payload={} if i % 2 else {"note": f"é {i}", "n": i, "ok": True},
                    parts=tuple(NewPart(k, f"{tag} {i}.{k} 'quoted' — ✓", {"k": k} if k else {},
                                        (image,) if i % 7 == 0 and n == 0 else ())
                                for k in range(1 + i % 3)))
                for n, platform in enumerate(["x", "bluesky"][:1 + i % 2]))
            new.append(NewPost(f"{tag}-{i}.md", deliveries,
                               None if bare or i % 3 else f"Title {i} « »"))
        return new

    batches = [batch("a", bare=True), batch("b", bare=False)]

    def stored(name: str) -> dict[str, list[list[tuple[type, object]]]]:
        store = Store.open(sqlite_url(tmp_path / f"{name}.db"))
        for posts in batches:
            store.write(lambda conn, posts=posts: q.insert_posts(
                conn, posts, clock().astimezone(paris)))
        tables = ["posts", "accounts", "deliveries", "delivery_parts", "blobs", "part_images"]
        rows = store.read(lambda conn: {
            t: [[(type(v), v) for v in row]
                for row in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1, 2, 3")]
            for t in tables})
        store.close()
        return rows

    fast = stored("fast")
    monkeypatch.setattr(q, "_insert_rows_sqlite", q._insert_rows)  # SQLAlchemy's own path
    assert stored("sqlalchemy") == fast
    assert len(fast["deliveries"]) == 450 and len(fast["delivery_parts"]) == 900
