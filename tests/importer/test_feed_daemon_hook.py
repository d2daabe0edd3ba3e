"""The daemon's feed job: called with the daemon's clock, and a feed poll that blows up never
stops publishing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publishers import Registry
from scheduler.publishers.outbox import OutboxPublisher
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.queue import NewPost


def test_a_failing_feed_poll_does_not_stop_publishing(
        sqlite_store: Store, tmp_path: Path, make_post: Callable[..., NewPost]) -> None:
    now = datetime.now(UTC)
    q.queue_posts(sqlite_store, [make_post(now - timedelta(seconds=1), source=f"p{i}.md")
                                 for i in range(3)], now)
    called = threading.Event()
    seen: list[datetime] = []
    ahead = timedelta(minutes=30)  # the daemon's clock runs ahead of the wall clock

    def broken_poll(at: datetime) -> None:
        seen.append(at)
        called.set()
        raise RuntimeError("the feed server is on fire")

    daemon = Daemon(sqlite_store, Registry(Settings(), overrides={
        "outbox": OutboxPublisher(tmp_path / "outbox")}),
        DaemonConfig(workers=2, poll=0.05, until_idle=True, lease=timedelta(hours=1000)),
        clock=lambda: datetime.now(UTC) + ahead, feed_poll=broken_poll)
    summary = daemon.run(install_signals=False)
    assert called.wait(5)
    assert summary.count("published") == 3
    assert q.counts(sqlite_store) == {"published": 3}
    assert seen and seen[0] - datetime.now(UTC) > ahead / 2  # the daemon's clock, passed in
