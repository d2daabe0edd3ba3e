"""Time to claim the next due deliveries with 100,000 queued on SQLite, against the same claim on
a copy of the database without the queue's indexes; and the query plan showing the index used."""

from __future__ import annotations

import functools
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler import states
from scheduler.store import Store
from scheduler.store import attempts as inflight
from scheduler.store import queue as q
from scheduler.store.claim import (
    Claimed,
    candidates_query,
    claim_due,
    explain_claim,
)
from scheduler.store.engine import sqlite_url
from scheduler.store.queue import NewDelivery, NewPart, NewPost

COUNT = 100_000
ACCOUNTS = 50
DUE_SHARE = 0.02  # due now; the rest is spread over the next 30 days
LIMIT = 4  # a daemon's default worker count: what one claim asks for
RUNS, BASELINE_RUNS = 200, 5
GOAL_MS = 5.0


def fill(store: Store, now: datetime, rng: random.Random) -> None:
    posts = []
    for i in range(COUNT):
        if rng.random() < DUE_SHARE:
            due = now - timedelta(minutes=30) * rng.random()
        else:
            due = now + timedelta(days=30) * rng.random()
        posts.append(NewPost(source=f"bench-{i}.md", title=None, deliveries=(NewDelivery(
            platform="mastodon", account=f"outbox:acct{i % ACCOUNTS}", publisher="outbox",
            due_at=due, zone="UTC", parts=(NewPart(0, f"post {i}"),)),)))
    for start in range(0, COUNT, 20_000):  # a few transactions: bounded memory per statement
        store.write(functools.partial(q.insert_posts, new_posts=posts[start:start + 20_000],
                                      now=now))


def timed_claims(store: Store, now: datetime, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds per claim (the whole write transaction, commit included) and per candidate
    query alone; each claim is then published outside the timing, so the next one has work."""
    claim_ms, query_ms = [], []
    query = candidates_query(now, LIMIT, store.dialect)
    for _ in range(runs):
        start = time.perf_counter()
        store.read(lambda conn: conn.execute(query).all())
        query_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        claimed = claim_due(store, now=now, owner="bench:1:bench0", limit=LIMIT,
                            lease=timedelta(seconds=60))
        claim_ms.append((time.perf_counter() - start) * 1000)
        assert len(claimed) == LIMIT, "the bench ran out of due deliveries"
        for item in claimed:
            publish(store, item, now)
    return claim_ms, query_ms


def publish(store: Store, item: Claimed, now: datetime) -> None:
    snapshot = states.Snapshot(item.attempts, item.due_at, item.miss_after)
    inflight.finish(store, item, states.published(snapshot, now), now)


def without_indexes(source: Path, target: Path) -> list[str]:
    """A copy of the database without the queue's indexes (every index of `deliveries` on its
    status or due time): the same claim, scanning. Returns the names dropped."""
    with sqlite3.connect(source) as conn:
        conn.execute("VACUUM INTO ?", (str(target),))
    dropped = []
    with sqlite3.connect(target) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' "
            "AND sql IS NOT NULL")]
        for name in names:
            columns = {r[2] for r in conn.execute(f"PRAGMA index_info({name})")}
            if columns & {"status", "next_attempt_at", "due_at"}:
                conn.execute(f"DROP INDEX {name}")
                dropped.append(name)
    return dropped


def main() -> int:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="crier-bench-") as tmp:
        indexed_path, bare_path = Path(tmp, "indexed.db"), Path(tmp, "bare.db")
        store = Store.open(sqlite_url(indexed_path))
        fill(store, now, random.Random(7))
        store.engine.dispose()  # a clean checkpointed file to copy
        dropped = without_indexes(indexed_path, bare_path)
        bare = Store.open(sqlite_url(bare_path))
        try:
            plan = explain_claim(store, now, LIMIT)
            claim_ms, query_ms = timed_claims(store, now, RUNS)
            bare_claim_ms, bare_query_ms = timed_claims(bare, now, BASELINE_RUNS)
        finally:
            store.close()
            bare.close()
    ours, theirs = statistics.median(claim_ms), statistics.median(bare_claim_ms)
    ours_q, theirs_q = statistics.median(query_ms), statistics.median(bare_query_ms)
    verdict = "met" if ours < GOAL_MS else "NOT met"
    print(f"claim {LIMIT} due of {COUNT:,} queued (SQLite, commit included): median "
          f"{ours:.2f} ms over {RUNS} claims (goal < {GOAL_MS:.0f} ms: {verdict}); without the "
          f"queue's indexes ({', '.join(dropped)}) {theirs:.1f} ms; "
          f"ratio {theirs / ours:.0f}x faster")
    print(f"claim's candidate query alone: median {ours_q:.3f} ms; without the indexes "
          f"{theirs_q:.1f} ms; ratio {theirs_q / ours_q:.0f}x faster")
    # EXPLAIN QUERY PLAN rows are "id parent notused detail": the detail is what matters.
    used = [line.split(" ", 3)[-1] for line in plan.splitlines() if "INDEX" in line.upper()]
    for line in dict.fromkeys(used) or ["(no index in the plan!)"]:
        print(f"claim query plan: {line.strip()}")
    return 0 if used else 1


if __name__ == "__main__":
    raise SystemExit(main())
