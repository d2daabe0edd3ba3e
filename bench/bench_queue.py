"""Time to queue 10,000 deliveries in our store, against APScheduler 3.x adding 10,000 date jobs
to its SQLAlchemyJobStore, both on a fresh SQLite file on the same machine in the same run."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler import __version__ as apscheduler_version
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.engine import sqlite_url
from scheduler.store.queue import NewDelivery, NewPart, NewPost

COUNT = 10_000
GOAL = 50.0  # times faster than the baseline


def deliver(delivery_id: int) -> None:
    """The job APScheduler would run; never called, only stored by reference."""


def queue_ours(folder: Path, due: list[datetime]) -> float:
    """Seconds to store COUNT deliveries, from Python objects to committed rows."""
    store = Store.open(sqlite_url(folder / "crier.db"))
    try:
        start = time.perf_counter()
        posts = [NewPost(source=f"bench-{i}.md", title=None, deliveries=(NewDelivery(
            platform="mastodon", account="outbox:mastodon", publisher="outbox", due_at=at,
            zone="UTC", parts=(NewPart(0, f"post {i}"),)),)) for i, at in enumerate(due)]
        store.write(lambda conn: q.insert_posts(conn, posts, datetime.now(UTC)))
        elapsed = time.perf_counter() - start
        assert q.counts(store) == {"queued": COUNT}
        return elapsed
    finally:
        store.close()


def queue_apscheduler(folder: Path, due: list[datetime]) -> float:
    """Seconds for APScheduler to persist COUNT date jobs (a started, paused scheduler writes
    each job to its store as it is added, one transaction per job: its API has no bulk add)."""
    path = folder / "apscheduler.db"
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}, timezone=UTC)
    scheduler.start(paused=True)
    try:
        start = time.perf_counter()
        for i, at in enumerate(due):
            scheduler.add_job(deliver, "date", run_date=at, id=f"delivery-{i}",
                              args=(i,), misfire_grace_time=None)
        elapsed = time.perf_counter() - start
    finally:
        scheduler.shutdown(wait=False)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM apscheduler_jobs").fetchone()[0] == COUNT
    return elapsed


def main() -> int:
    base = datetime.now(UTC) + timedelta(days=1)
    due = [base + timedelta(minutes=i) for i in range(COUNT)]
    with tempfile.TemporaryDirectory(prefix="crier-bench-") as tmp:
        ours_dir, theirs_dir = Path(tmp, "ours"), Path(tmp, "theirs")
        ours_dir.mkdir()
        theirs_dir.mkdir()
        ours = queue_ours(ours_dir, due)
        theirs = queue_apscheduler(theirs_dir, due)
    ratio = theirs / ours
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"queue {COUNT:,} deliveries (SQLite file): crier store {ours:.2f} s "
          f"({ours / COUNT * 1000:.3f} ms each); APScheduler {apscheduler_version} "
          f"SQLAlchemyJobStore {theirs:.2f} s ({theirs / COUNT * 1000:.3f} ms each); "
          f"ratio {ratio:.1f}x faster (goal >= {GOAL:.0f}x: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
