"""Real daemon processes on one database: no delivery sent twice, even when one is killed -9;
SIGTERM finishes what is in flight. (The large crash test with the control run is separate.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support import REPO, new_post

from scheduler.publishers.outbox import read_sent_log
from scheduler.store import Store
from scheduler.store import queue as q

TIMEOUT = 120  # seconds a daemon may take before the test gives up on it


def daemon_env(db_url: str, outbox: Path, delay_ms: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
    env.update({
        "CRIER_DATABASE_URL": db_url, "CRIER_OUTBOX_DIR": str(outbox),
        "CRIER_OUTBOX_DELAY_MS": str(delay_ms), "CRIER_LEASE_SECONDS": "2",
        "CRIER_POLL_SECONDS": "0.1", "CRIER_WORKERS": "3", "PYTHONPATH": str(REPO),
    })
    return env


def start(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from scheduler.cli import main; sys.exit(main())",
         "run", "--until-idle"], env=env, cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def sent_lines(outbox: Path) -> list[dict[str, object]]:
    return [e for log in outbox.glob("*/sent.jsonl") for e in read_sent_log(log)]


def wait_for(predicate: Callable[[], bool], procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        for proc in procs:
            if proc.poll() not in (None, 0):
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "died")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def queue(db_url: str, count: int, parts: int, accounts: int) -> Store:
    store = Store.open(db_url)
    now = datetime.now(UTC) - timedelta(seconds=1)
    posts = [new_post(now, platform=("x", "bluesky", "mastodon")[i % 3], parts=parts,
                      account=f"acct{i % accounts}", source=f"{i}.md") for i in range(count)]
    store.write(lambda conn: q.insert_posts(conn, posts, now))
    return store


def test_several_daemons_one_killed_every_part_sent_exactly_once(db_url: str,
                                                                 tmp_path: Path) -> None:
    store = queue(db_url, count=120, parts=2, accounts=9)
    outbox = tmp_path / "outbox"
    env = daemon_env(db_url, outbox, delay_ms=10)
    daemons = [start(env, tmp_path) for _ in range(3)]
    wait_for(lambda: len(sent_lines(outbox)) >= 30, daemons)
    daemons[0].send_signal(signal.SIGKILL)  # mid-publish, leases and all
    daemons.append(start(env, tmp_path))
    for proc in daemons[1:]:
        _, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err.decode()
    daemons[0].wait(timeout=TIMEOUT)
    counts = Counter((e["delivery_id"], e["part"]) for e in sent_lines(outbox))
    duplicates = {k: n for k, n in counts.items() if n > 1}
    assert duplicates == {}
    assert len(counts) == 240  # none missing
    assert q.counts(store) == {"published": 120}
    store.close()


def test_sigterm_finishes_in_flight_work_then_exits(db_url: str, tmp_path: Path) -> None:
    store = queue(db_url, count=30, parts=3, accounts=3)
    outbox = tmp_path / "outbox"
    proc = start(daemon_env(db_url, outbox, delay_ms=200), tmp_path)
    wait_for(lambda: len(sent_lines(outbox)) >= 1, [proc])
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert "finishing" in err.decode()
    counts = q.counts(store)
    assert "publishing" not in counts  # nothing left half-done
    assert 1 <= counts.get("published", 0) <= 3 and counts["queued"] == 30 - counts["published"]
    started = {e["delivery_id"] for e in sent_lines(outbox)}
    finished = {r.id for r in q.list_deliveries(store, status=["published"])}
    assert started == finished  # every delivery begun was completed
    store.close()
