"""Evergreen reposts end to end, with the clock passed in: a post repeated 3 times at 90 days
across two DST changes, a daemon restarted at every step and a two-week outage, on SQLite and
PostgreSQL. Published exactly 4 times on each network, never two on one day per network,
never the same text twice on X; a repeat that fell behind goes to the next free slot."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from support import REPO, Clock

from scheduler import timing
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publishers import Registry
from scheduler.publishers.outbox import OutboxPublisher, read_sent_log
from scheduler.service import Service, When
from scheduler.settings import Settings
from scheduler.states import Status
from scheduler.store import repeats as evergreen
from scheduler.store.claim import queue_state

ZONE = "America/New_York"
SAMPLE = (REPO / "examples" / "glutamate.md").read_text(encoding="utf-8")

EVERGREEN = """
platforms: [x, bluesky, linkedin]
x: {shape: quote}
quotes:
  - "What, then, is the primary drawback of using ketamine?"
  - "Glutamate pathways may be a far better way to foster neurogenesis."
  - "Two classes of glutamate medications are likely coming."
hooks:
  - "Ketamine works in hours. Why not every antidepressant?"
  - "One drug, 70% of your brain's receptors."
  - "The side-effect question nobody can answer yet."
repeat: {every: "90 days", times: 3}
"""

WEEKLY = """---
title: A weekly reminder
link: https://www.example.com/post/weekly
platforms: [x]
shape: quote
quote: "Sleep is treatment too."
quotes: ["Rest is not a reward.", "Small habits, big changes.", "Ask for help early."]
repeat: {every: "7 days", times: 3}
---
A short post that repeats every week. Sleep is treatment too.
"""


def write_posts(folder: Path) -> tuple[Path, Path]:
    (folder / "brain-scans.jpg").write_bytes((REPO / "examples" / "brain-scans.jpg").read_bytes())
    sample = folder / "glutamate.md"
    sample.write_text(SAMPLE.replace("\n---\n", "\n" + EVERGREEN.strip() + "\n---\n", 1),
                      encoding="utf-8")
    weekly = folder / "weekly.md"
    weekly.write_text(WEEKLY, encoding="utf-8")
    return sample, weekly


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings.from_env({"CRIER_DATABASE_URL": db_url, "CRIER_BRAND": str(REPO / "brand.toml"),
                              "CRIER_OUTBOX_DIR": str(tmp_path / "outbox")})


def run(service: Service, clock: Clock, settings: Settings, until: datetime) -> int:
    """Publish what falls due up to `until`, jumping the clock from one due time to the next,
    with a new daemon (a restart) at every step; returns how many steps it took."""
    steps = 0
    while True:
        now = clock()
        state = queue_state(service.store, now)
        if state.due_now:
            outbox = OutboxPublisher(settings.outbox_dir, clock=clock)
            daemon = Daemon(service.store, Registry(settings, overrides={"outbox": outbox}),
                            DaemonConfig(workers=2, owner=f"daemon-{steps}"), clock=clock,
                            rng=random.Random(steps))
            daemon.housekeep(now)
            for future in daemon.claim(now):
                future.result(timeout=60)
            steps += 1
            continue
        if state.next_due is None or state.next_due > until:
            clock.now = until
            return steps
        clock.now = state.next_due


def local(instant: datetime) -> datetime:
    return instant.astimezone(timing.load_zone(ZONE))


def test_three_repeats_at_90_days_across_dst_restarts_and_an_outage(
        settings: Settings, tmp_path: Path) -> None:
    sample, weekly = write_posts(tmp_path)
    clock = Clock(datetime(2027, 9, 25, 12, 0, tzinfo=UTC))
    service = Service(settings, clock=clock)
    service.set_slots("x", "mon,tue,wed,thu,fri 09:00")  # weekdays; the others have no slots
    # 2027-10-01 09:00 EDT; fall back on 2027-11-07, spring forward on 2028-03-12.
    queued = service.queue([sample], When("at", "2027-10-01 09:00"))
    assert {r.platform for r in queued.rows} == {"x", "bluesky", "linkedin"}
    run(service, clock, settings, datetime(2028, 2, 25, 12, 0, tzinfo=UTC))
    service.queue([weekly], When("at", "2028-03-01 09:00"))
    # The daemon goes down on 2028-03-20 and comes back two weeks later: the sample's second
    # repeat (due 2028-03-29) and the weekly post's third (due 2028-03-22) fell behind.
    run(service, clock, settings, datetime(2028, 3, 20, 12, 0, tzinfo=UTC))
    clock.now = datetime(2028, 4, 3, 14, 0, tzinfo=UTC)  # 10:00 EDT
    run(service, clock, settings, datetime(2029, 6, 1, tzinfo=UTC))

    rows = service.deliveries()
    assert Counter(r.status for r in rows) == {Status.PUBLISHED.value: 3 * 4 + 4}
    mine = [r for r in rows if r.source == str(sample)]
    for network in ("x", "bluesky", "linkedin"):
        published = sorted((r for r in mine if r.platform == network), key=lambda r: r.due_at)
        assert len(published) == 4, network  # the first publication and 3 repeats
        days = [local(r.published_at).date() for r in published if r.published_at]
        assert len(days) == 4
        # Each repeat at least 90 calendar days after the one before; every one at 09:00
        # local, on either side of both DST changes (a round moved after the outage too).
        assert all(b - a >= timedelta(days=90) for a, b in zip(days, days[1:], strict=False))
        assert [local(r.published_at).strftime("%H:%M") for r in published
                if r.published_at] == ["09:00"] * 4
        assert {local(r.published_at).utcoffset() for r in published if r.published_at} == {
            timedelta(hours=-4), timedelta(hours=-5)}
    # Never two deliveries on one local day per network, the weekly post's included.
    for network in ("x", "bluesky", "linkedin"):
        days = [local(r.published_at).date() for r in rows
                if r.platform == network and r.published_at]
        assert len(days) == len(set(days)), network
    # What fell behind went one free slot at a time, in due order: the weekly post's round
    # on the first weekday after the restart, the sample's on the next one.
    x = {(Path(r.source).name, local(r.published_at).date()) for r in rows
         if r.platform == "x" and r.published_at}
    assert ("weekly.md", date(2028, 4, 4)) in x and ("glutamate.md", date(2028, 4, 5)) in x
    bluesky = [local(r.published_at).date() for r in mine if r.platform == "bluesky"
               and r.published_at]
    assert date(2028, 4, 4) in bluesky  # no slots: its own 09:00, the day after the restart
    # Never the same text twice on X, in any part of any delivery.
    texts = [part.text for r in rows if r.platform == "x" for part in service.delivery(r.id).parts]
    assert len(texts) == len(set(texts))
    # The network's own view: each part received once, 4 deliveries of the sample per network.
    for network in ("x", "bluesky", "linkedin"):
        log = read_sent_log(settings.outbox_dir / network / "sent.jsonl")
        received = Counter((e["delivery_id"], e["part"]) for e in log)
        assert set(received.values()) == {1}
        ids = {r.id for r in mine if r.platform == network}
        assert len({e["delivery_id"] for e in log} & ids) == 4
    series = service.repeats()
    assert [(s.platform, s.published, s.status) for s in series] == [
        ("x", 4, "finished"), ("bluesky", 4, "finished"), ("linkedin", 4, "finished"),
        ("x", 4, "finished")]


def test_the_next_round_is_queued_in_the_publish_transaction_once(
        settings: Settings, tmp_path: Path) -> None:
    sample, _ = write_posts(tmp_path)
    clock = Clock(datetime(2027, 9, 25, 12, 0, tzinfo=UTC))
    service = Service(settings, clock=clock)
    first = service.queue([sample], When("at", "2027-10-01 09:00"), platforms=["x"]).rows[0]
    store = service.store
    published_at = datetime(2027, 10, 1, 13, 0, tzinfo=UTC)

    def publish(conn: object) -> int | None:
        from sqlalchemy import Connection

        from scheduler.store.schema import deliveries
        assert isinstance(conn, Connection)
        conn.execute(deliveries.update().where(deliveries.c.id == first.id).values(
            status=Status.PUBLISHED.value, published_at=published_at))
        return evergreen.on_published(conn, first.id, published_at)

    class Crash(Exception):
        pass

    def crash(conn: object) -> None:
        publish(conn)
        raise Crash  # the process dies before the commit

    with pytest.raises(Crash):
        store.write(crash)
    assert [r.status for r in service.deliveries()] == [Status.QUEUED.value]  # nothing lost
    new_id = store.write(publish)
    assert new_id is not None
    assert store.write(lambda conn: evergreen.on_published(conn, first.id, published_at)) is None
    rows = service.deliveries()
    assert len(rows) == 2  # queued once, however often the publish is recorded
    nxt = next(r for r in rows if r.id == new_id)
    assert nxt.wall == "2027-12-30 09:00" and nxt.status == Status.QUEUED.value
    # Stopped: its queued round is cancelled and no further round comes.
    (series,) = service.repeats()
    assert service.stop_repeat(series.id) == [new_id]
    assert service.delivery(new_id).delivery.status == Status.CANCELLED.value
    assert service.repeats()[0].status == "stopped"
