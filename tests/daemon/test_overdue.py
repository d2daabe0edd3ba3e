"""Restart after an outage: 10,000 overdue deliveries, each ends `published` or `missed` exactly
as the max-lateness policy says, the daemon's report names every miss, and the outbox agrees.

The daemon reads the real clock, so due times are placed relative to the real now, never
within MARGIN of their miss boundary: the run would have to take longer than MARGIN for the
policy's answer to change. Deliveries whose boundary falls inside the run anyway are accepted
either way, so a slow machine cannot make the test lie.

The outage is a crash, not a clean stop: a "dead daemon" claimed some deliveries just before
it died, and had already sent the first part of some of them. Those must be reconciled: a
delivery with a part on the network is finished however late (its last part carries the
disclaimer), one with nothing sent falls under the policy like the rest.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.publishers.outbox import OutboxPublisher, read_sent_log
from scheduler.store import Store
from scheduler.store import attempts as inflight
from scheduler.store import queue as q
from scheduler.store.claim import claim_due
from scheduler.store.queue import NewDelivery, NewPart, NewPost

pytestmark = pytest.mark.slow

COUNT = 10_000
ACCOUNTS = 64
NETWORKS = ("x", "bluesky", "mastodon")
LATENESS = (timedelta(minutes=15), timedelta(minutes=60), timedelta(hours=2))
MARGIN = timedelta(minutes=10)  # the closest any delivery's miss boundary is to the run
IN_TIME_SHARE = 0.3  # the rest is past its max lateness
TIMEOUT = 300  # seconds the daemon may take before the test gives up on it


def overdue_posts(now: datetime, rng: random.Random) -> list[NewPost]:
    """COUNT deliveries due in the past: 30% still within their max lateness, by MARGIN or
    more, the rest past it by MARGIN or more (up to 6 hours)."""
    posts = []
    for i in range(COUNT):
        lateness = rng.choice(LATENESS)
        if rng.random() < IN_TIME_SHARE:
            # due between (boundary + MARGIN) and a minute ago: still in time for the run
            earliest = now - lateness + MARGIN
            due = earliest + (now - timedelta(minutes=1) - earliest) * rng.random()
        else:
            due = now - lateness - MARGIN - timedelta(hours=6) * rng.random()
        parts = rng.randint(1, 3)
        posts.append(NewPost(source=f"overdue-{i}.md", title=None, deliveries=(NewDelivery(
            platform=NETWORKS[i % len(NETWORKS)], account=f"outbox:acct{i % ACCOUNTS}",
            publisher="outbox", due_at=due, max_lateness=lateness, zone="UTC",
            parts=tuple(NewPart(p, f"overdue {i}: part {p + 1} of {parts}")
                        for p in range(parts)),
        ),)))
    return posts


def crash_mid_publish(store: Store, outbox: Path, now: datetime) -> set[int]:
    """A daemon claims one delivery per account and dies; of every other one it had already
    sent part 1 (the outbox received it, the store never heard). Returns those ids."""
    # Claimed two minutes ago with a one-minute lease: the lease is long expired.
    claimed = claim_due(store, now=now - timedelta(minutes=2), owner="deadhost:1:dead00",
                        limit=ACCOUNTS, lease=timedelta(minutes=1))
    assert len(claimed) == ACCOUNTS
    network = OutboxPublisher(outbox)
    sent_first = set()
    for item in claimed[::2]:
        delivery, live = inflight.load(store, claimed=item)
        assert live == {}
        network.publish_part(delivery, delivery.parts[0], None)
        sent_first.add(item.id)
    return sent_first


def test_restart_with_10000_overdue_deliveries_each_published_or_missed_by_policy(
    db_url: str, tmp_path: Path,
) -> None:
    rng = random.Random(4242)
    outbox = tmp_path / "outbox"
    store = Store.open(db_url)
    queued_at = datetime.now(UTC)
    store.write(lambda conn: q.insert_posts(conn, overdue_posts(queued_at, rng), queued_at))
    sent_first = crash_mid_publish(store, outbox, queued_at)

    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
    env.update({"CRIER_DATABASE_URL": db_url, "CRIER_OUTBOX_DIR": str(outbox),
                "CRIER_WORKERS": "8", "CRIER_POLL_SECONDS": "0.2"})
    started = datetime.now(UTC)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "crier"), "run", "--until-idle", "--json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    ended = datetime.now(UTC)
    assert run.returncode == 0, run.stderr[-3000:]
    this_run = json.loads(run.stdout)["this_run"]

    rows = q.list_deliveries(store)
    assert len(rows) == COUNT
    states = Counter(r.status for r in rows)
    assert set(states) <= {"published", "missed"}, f"left in another state: {states}"

    # The policy, delivery by delivery. A boundary that fell inside the run allows either.
    wrong = []
    for r in rows:
        if r.id in sent_first or r.miss_after >= ended:
            expected = {"published"}
        elif r.miss_after < started:
            expected = {"missed"}
        else:
            expected = {"published", "missed"}
        if r.status not in expected:
            wrong.append((r.id, r.status, r.due_at.isoformat(), r.miss_after.isoformat()))
    assert wrong == [], f"{len(wrong)} against the policy, e.g. {wrong[:5]}"

    published = {r.id: r.parts for r in rows if r.status == "published"}
    missed = {r.id for r in rows if r.status == "missed"}
    # The crashed ones whose first part was out were finished, however late, not missed.
    assert sent_first <= set(published)
    assert any(r.miss_after < started for r in rows if r.id in sent_first)
    # Nothing dropped silently: every miss is in the run's report (by the startup sweep or
    # at claim time), and has the reason stored for the author.
    assert sorted(this_run.get("missed", [])) == sorted(missed)
    assert all(r.last_error for r in rows if r.status == "missed")

    # The outbox: every published part exactly once, nothing at all of a missed delivery.
    received = Counter(
        (int(e["delivery_id"]), int(e["part"]))
        for log in outbox.glob("*/sent.jsonl") for e in read_sent_log(log))
    duplicates = {k: n for k, n in received.items() if n > 1}
    assert duplicates == {}
    expected_parts = {(d, p) for d, parts in published.items() for p in range(parts)}
    assert set(received) == expected_parts
    assert not {d for d, _ in received} & missed

    in_time = sum(1 for r in rows if r.miss_after >= ended)
    print(f"\nrestart with {COUNT} overdue [{db_url.split(':')[0]}]: {states['published']} "
          f"published ({in_time} within their max lateness, {len(sent_first)} crashed "
          f"mid-thread finished late), {states['missed']} missed, {len(received)} parts sent; "
          f"daemon ran {(ended - started).total_seconds():.1f} s")
    store.close()
