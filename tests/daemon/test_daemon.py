"""The daemon in-process: publishing through the outbox, every publisher outcome, reconcile after
a crash, misses after an outage, and a graceful stop. The clock is passed in where it matters."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import Clock

from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publishers import DECLARATIONS, Registry
from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingPart,
    Pending,
    Permanent,
    Publisher,
    PublisherSpec,
    RateLimited,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.outbox import OutboxPublisher, read_sent_log
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.claim import reap
from scheduler.store.queue import NewPost

MakePost = Callable[..., NewPost]


class Scripted(Publisher):
    """Does what the script says, part by part; records what it was asked."""

    name = "scripted"

    def __init__(self, script: list[BaseException | None] | None = None,
                 lookups: list[Lookup] | None = None) -> None:
        self.script = list(script or [])
        self.lookups = list(lookups or [])
        self.sent: list[tuple[int, int]] = []
        self.looked: list[tuple[int, int]] = []

    def publish_part(self, delivery: OutgoingDelivery, part: OutgoingPart,
                     previous: Sent | None) -> Sent:
        action = self.script.pop(0) if self.script else None
        if action is not None:
            raise action
        self.sent.append((delivery.id, part.index))
        return Sent(f"r{delivery.id}-{part.index}")

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        self.looked.append((delivery.id, part.index))
        return self.lookups.pop(0)

    def check_account(self) -> AccountStatus:
        return AccountStatus(True, "scripted")


def step(daemon: Daemon, now: datetime) -> list[str]:
    """One claim, and wait for the workers: the daemon's loop without APScheduler."""
    return [f.result(timeout=30) for f in daemon.claim(now)]


def scripted_daemon(store: Store, publisher: Scripted, clock: Callable[[], datetime]) -> Daemon:
    return Daemon(store, Registry(Settings(), overrides={"scripted": publisher}),
                  DaemonConfig(workers=2, owner="test"), clock=clock, rng=random.Random(3))


def test_until_idle_publishes_everything_once_through_the_outbox(
    sqlite_store: Store, tmp_path: Path, make_post: MakePost,
) -> None:
    now = datetime.now(UTC)
    posts = [make_post(now - timedelta(seconds=1), platform=p, parts=n, source=f"{p}{i}.md")
             for i in range(3) for p, n in (("x", 3), ("bluesky", 2), ("linkedin", 1))]
    q.queue_posts(sqlite_store, posts, now)
    outbox = OutboxPublisher(tmp_path / "outbox")
    daemon = Daemon(sqlite_store, Registry(Settings(), overrides={"outbox": outbox}),
                    DaemonConfig(workers=3, poll=0.05, until_idle=True))
    summary = daemon.run(install_signals=False)
    assert summary.count("published") == 9
    assert q.counts(sqlite_store) == {"published": 9}
    for platform, parts in (("x", 3), ("bluesky", 2), ("linkedin", 1)):
        log = read_sent_log(outbox.sent_log(platform))
        keys = [(e["delivery_id"], e["part"]) for e in log]
        assert len(keys) == len(set(keys)) == 3 * parts
        assert {e["parts"] for e in log} == {parts}
        for e in log:  # each part replies to the one before it
            expected = None if e["part"] == 0 else \
                f"outbox:{sqlite_store.store_id[:12]}:{e['delivery_id']}:{e['part'] - 1}"
            assert e["in_reply_to"] == expected
    row = q.list_deliveries(sqlite_store, status=["published"])[0]
    folder = outbox.folder(row.platform, row.id)
    payload = json.loads((folder / "part-0.json").read_text())
    assert payload["text"] == (folder / "part-0.txt").read_text()


def test_rate_limit_then_transient_then_success(sqlite_store: Store, clock: Clock,
                                                make_post: MakePost) -> None:
    reset = clock.now + timedelta(minutes=15)
    publisher = Scripted([RateLimited(reset), Transient("connection refused", sent=False)])
    q.queue_posts(sqlite_store, [make_post(clock(), parts=2, publisher="scripted")], clock())
    daemon = scripted_daemon(sqlite_store, publisher, clock)
    assert step(daemon, clock()) == ["rate_limited"]
    row = q.list_deliveries(sqlite_store)[0]
    assert row.next_attempt_at == reset and row.attempts == 0
    assert step(daemon, clock()) == []  # not before the reset
    clock.advance(minutes=15)
    assert step(daemon, clock()) == ["retry"]
    row = q.list_deliveries(sqlite_store)[0]
    assert row.attempts == 1 and row.next_attempt_at > clock()
    clock.advance(hours=1)
    assert step(daemon, clock()) == ["published"]
    assert publisher.sent == [(row.id, 0), (row.id, 1)]


def test_permanent_error_fails_with_the_networks_words(
    sqlite_store: Store, clock: Clock, make_post: MakePost,
) -> None:
    publisher = Scripted([None, Permanent("422: text too long")])
    q.queue_posts(sqlite_store, [make_post(clock(), parts=3, publisher="scripted")], clock())
    assert step(scripted_daemon(sqlite_store, publisher, clock), clock()) == ["failed"]
    row = q.list_deliveries(sqlite_store)[0]
    assert row.status == "failed" and row.last_error == "422: text too long"
    assert row.live_parts == 1


def test_a_publisher_that_cannot_start_fails_the_delivery_at_once(
    sqlite_store: Store, clock: Clock, make_post: MakePost, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(settings: Settings) -> Publisher:
        raise Permanent("MASTODON_BASE_URL must start with https://, got m.example")

    q.queue_posts(sqlite_store, [make_post(clock(), parts=2, publisher="broken")], clock())
    monkeypatch.setitem(DECLARATIONS, "broken", PublisherSpec("broken", (), None, (), broken))
    daemon = Daemon(sqlite_store, Registry(Settings()), DaemonConfig(workers=1, owner="test"),
                    clock=clock, rng=random.Random(3))
    assert step(daemon, clock()) == ["failed"]
    row = q.list_deliveries(sqlite_store)[0]
    assert row.status == "failed" and "MASTODON_BASE_URL" in (row.last_error or "")
    assert row.attempts == 1


@pytest.mark.parametrize(("found", "outcome", "resent"), [
    (Lookup(Found.YES, Sent("landed"), "seen"), "published", False),
    (Lookup(Found.UNKNOWN, None, "cannot tell"), "needs_attention", False),
    (Lookup(Found.NO, None, "not there"), "retry", False),
])
def test_unknown_outcome_is_reconciled_never_resent_blindly(
    sqlite_store: Store, clock: Clock, make_post: MakePost,
    found: Lookup, outcome: str, resent: bool,
) -> None:
    publisher = Scripted([UnknownOutcome("read timeout")], [found])
    q.queue_posts(sqlite_store, [make_post(clock(), parts=1, publisher="scripted")], clock())
    assert step(scripted_daemon(sqlite_store, publisher, clock), clock()) == [outcome]
    assert publisher.sent == []  # the only send was the one with the unknown outcome
    row = q.list_deliveries(sqlite_store)[0]
    if outcome == "retry":
        assert row.status == "queued" and row.reconcile  # looks again before sending
    if outcome == "needs_attention":
        assert "crier queue retry" in (row.last_error or "")


def test_an_exception_from_a_publisher_bug_is_treated_as_unknown(
    sqlite_store: Store, clock: Clock, make_post: MakePost,
) -> None:
    publisher = Scripted([KeyError("bug")], [Lookup(Found.YES, Sent("landed"))])
    q.queue_posts(sqlite_store, [make_post(clock(), publisher="scripted")], clock())
    assert step(scripted_daemon(sqlite_store, publisher, clock), clock()) == ["published"]


def crash_mid_thread(store: Store, outbox: OutboxPublisher, now: datetime) -> int:
    """A daemon claims a 3-part thread, sends part 1 (recorded) and part 2 (not recorded:
    killed while the answer was on its way), then dies."""
    daemon = Daemon(store, Registry(Settings(), overrides={"outbox": outbox}),
                    DaemonConfig(owner="doomed"), clock=lambda: now)
    from scheduler.store import attempts as inflight
    from scheduler.store.claim import claim_due

    [held] = claim_due(store, now=now, owner="doomed", limit=1, lease=timedelta(seconds=30))
    delivery, _ = inflight.load(store, held)
    first = outbox.publish_part(delivery, delivery.parts[0], None)
    inflight.record_part(store, held, 0, first, now, timedelta(seconds=30))
    outbox.publish_part(delivery, delivery.parts[1], first)
    daemon._pool.shutdown()
    return held.id


@pytest.mark.parametrize("reconcile", [True, False])
def test_after_a_crash_the_next_daemon_reconciles_or_the_control_duplicates(
    sqlite_store: Store, tmp_path: Path, make_post: MakePost, reconcile: bool,
) -> None:
    now = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    q.queue_posts(sqlite_store, [make_post(now, parts=3)], now)
    outbox = OutboxPublisher(tmp_path / "outbox")
    delivery_id = crash_mid_thread(sqlite_store, outbox, now)
    later = now + timedelta(seconds=31)
    assert reap(sqlite_store, later) == [delivery_id]
    survivor = Daemon(sqlite_store, Registry(Settings(), overrides={"outbox": outbox}),
                      DaemonConfig(reconcile=reconcile, owner="survivor"), clock=lambda: later)
    assert step(survivor, later) == ["published"]
    parts = [e["part"] for e in read_sent_log(outbox.sent_log("x"))]
    if reconcile:
        assert sorted(parts) == [0, 1, 2]  # exactly once each
    else:
        assert sorted(parts) == [0, 1, 1, 2]  # the control run sends part 2 twice


def test_restart_after_an_outage_publishes_or_misses_each_by_the_policy(
    sqlite_store: Store, tmp_path: Path, make_post: MakePost,
) -> None:
    now = datetime.now(UTC)
    lateness = timedelta(minutes=60)
    recent = [make_post(now - timedelta(minutes=30), account=f"a{i % 5}", lateness=lateness,
                        source=f"recent{i}.md") for i in range(40)]
    old = [make_post(now - timedelta(minutes=90), account=f"a{i % 5}", lateness=lateness,
                     source=f"old{i}.md") for i in range(60)]
    sqlite_store.write(lambda conn: q.insert_posts(conn, recent + old, now))
    outbox = OutboxPublisher(tmp_path / "outbox")
    summary = Daemon(sqlite_store, Registry(Settings(), overrides={"outbox": outbox}),
                     DaemonConfig(workers=4, poll=0.05, until_idle=True)).run(
                         install_signals=False)
    assert q.counts(sqlite_store) == {"published": 40, "missed": 60}
    assert summary.count("published") == 40 and summary.count("missed") == 60
    missed = q.list_deliveries(sqlite_store, status=["missed"])
    assert {r.source for r in missed} == {f"old{i}.md" for i in range(60)}
    assert all("max lateness" in (r.last_error or "") for r in missed)
    assert len(read_sent_log(outbox.sent_log("x"))) == 40


def test_stop_finishes_the_delivery_in_flight(sqlite_store: Store, make_post: MakePost) -> None:
    started, release = threading.Event(), threading.Event()

    class Slow(Scripted):
        def publish_part(self, delivery: OutgoingDelivery, part: OutgoingPart,
                         previous: Sent | None) -> Sent:
            started.set()
            release.wait(timeout=30)
            return super().publish_part(delivery, part, previous)

    now = datetime.now(UTC)
    q.queue_posts(sqlite_store, [make_post(now, parts=2, publisher="scripted"),
                                 make_post(now, parts=1, publisher="scripted", source="b.md")],
                  now)
    slow = Slow()
    daemon = Daemon(sqlite_store, Registry(Settings(), overrides={"scripted": slow}),
                    DaemonConfig(workers=1, poll=0.05))
    runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    runner.start()
    assert started.wait(timeout=30)
    daemon.stop()
    release.set()
    runner.join(timeout=30)
    assert not runner.is_alive()
    counts = q.counts(sqlite_store)
    assert counts == {"published": 1, "queued": 1}  # finished the one in flight, took no more


class Staged(Publisher):
    """A network with a two-step publish (Meta's containers): the first call creates and ends
    Pending with a checkpoint; the call that comes back with it publishes. Records what it was
    handed back."""

    name = "staged"

    def __init__(self, clock: Callable[[], datetime], lost: set[int] | None = None) -> None:
        self.clock = clock
        self.lost = set(lost or ())  # parts whose publish answer is lost once
        self.created: list[int] = []
        self.published: list[tuple[int, dict[str, object]]] = []
        self.looked: list[tuple[int, object]] = []

    def publish_part(self, delivery: OutgoingDelivery, part: OutgoingPart,
                     previous: Sent | None) -> Sent | Pending:
        if part.checkpoint is None:
            self.created.append(part.index)
            return Pending({"container": f"c{part.index}"}, self.clock() + timedelta(minutes=1),
                           "container created")
        self.published.append((part.index, dict(part.checkpoint)))
        if part.index in self.lost:
            self.lost.discard(part.index)
            raise UnknownOutcome("the answer to the publish call was lost")
        return Sent(f"live-{part.checkpoint['container']}")

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        self.looked.append((part.index, part.checkpoint))
        if part.checkpoint and (part.index, dict(part.checkpoint)) in self.published:
            return Lookup(Found.YES, Sent(f"live-{part.checkpoint['container']}"), "published")
        return Lookup(Found.NO, None, "not published")

    def check_account(self) -> AccountStatus:
        return AccountStatus(True, "staged")


def test_pending_frees_the_worker_keeps_the_checkpoint_and_resumes_with_it(
    sqlite_store: Store, clock: Clock, make_post: MakePost,
) -> None:
    staged = Staged(clock, lost={1})
    q.queue_posts(sqlite_store, [make_post(clock(), parts=2, publisher="staged")], clock())
    daemon = Daemon(sqlite_store, Registry(Settings(), overrides={"staged": staged}),
                    DaemonConfig(workers=1, owner="test"), clock=clock, rng=random.Random(3))
    assert step(daemon, clock()) == ["pending"]
    row = q.list_deliveries(sqlite_store)[0]
    assert (row.status, row.attempts, row.reconcile) == ("queued", 0, False)
    assert row.next_attempt_at == clock() + timedelta(minutes=1)
    assert daemon.in_flight() == 0 and step(daemon, clock()) == []  # not before its time
    clock.advance(minutes=1)
    # Part 1 is published with its checkpoint; part 2 is created and pending in turn, and
    # part 1's remote id is committed with that move.
    assert step(daemon, clock()) == ["pending"]
    assert staged.published == [(0, {"container": "c0"})] and staged.created == [0, 1]
    assert q.show(sqlite_store, row.id).parts[0].remote_id == "live-c0"
    clock.advance(minutes=1)
    # Part 2's publish answer is lost: reconcile is handed the checkpoint too, and finds it.
    assert step(daemon, clock()) == ["published"]
    assert staged.looked == [(1, {"container": "c1"})]
    assert [p.remote_id for p in q.show(sqlite_store, row.id).parts] == ["live-c0", "live-c1"]
    row = q.list_deliveries(sqlite_store)[0]
    assert (row.status, row.attempts) == ("published", 0)
    assert staged.created == [0, 1]  # nothing was created twice
