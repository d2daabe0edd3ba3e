"""The daemon as a process: CPU and memory at rest with 100,000 deliveries queued, due-to-sent
latency through the outbox, and 4 daemons against 1 on PostgreSQL; each figure against a
baseline measured in the same run (APScheduler holding the same jobs, a naive 1 s polling loop,
one daemon)."""

from __future__ import annotations

import functools
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scheduler import states
from scheduler.publishers.outbox import OutboxPublisher, read_sent_log
from scheduler.store import Store
from scheduler.store import attempts as inflight
from scheduler.store import queue as q
from scheduler.store.claim import claim_due
from scheduler.store.engine import sqlite_url
from scheduler.store.queue import NewDelivery, NewPart, NewPost

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "CRIER_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IDLE_QUEUED = 100_000
WINDOW = 15.0  # seconds of idle measurement per process
LATENCY_COUNT = 200  # deliveries due at known instants, 40 ms apart
SCALE_DELAY_MS = 200  # each outbox send takes this long: the network's round trip
ACCOUNTS = 64
TIMEOUT = 120.0
GOALS = {"cpu": 1.0, "rss": 100.0, "p99": 1.0, "scale": 3.0}


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# -- processes -------------------------------------------------------------------------------

def crier_command() -> list[str]:
    script = Path(sys.executable).parent / "crier"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from scheduler.cli import main; sys.exit(main())"]


def daemon_env(db_url: str, outbox: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
    env.update({"CRIER_DATABASE_URL": db_url, "CRIER_OUTBOX_DIR": str(outbox), **settings})
    return env


def wait_for(condition: Callable[[], bool], what: str, procs: list[subprocess.Popen[bytes]],
             timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"process {proc.pid} exited ({proc.returncode}) "
                                   f"while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def daemons(count: int, env: dict[str, str],
            workdir: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` `crier -v run` processes, started and ready; stopped with SIGTERM afterwards."""
    procs, logs = [], []
    try:
        for i in range(count):
            log = workdir / f"daemon-{uuid.uuid4().hex[:6]}-{i}.log"
            logs.append(log)
            with log.open("wb") as err:
                procs.append(subprocess.Popen([*crier_command(), "-v", "run"], env=env,
                                              cwd=workdir, stdout=subprocess.DEVNULL, stderr=err))
        wait_for(lambda: all(" started" in log.read_text(errors="replace") for log in logs),
                 "the daemons to start", procs)
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def usage(pids: list[int], window: float) -> dict[int, tuple[float, float]]:
    """pid -> (CPU % of one core over `window`, peak RSS in MB sampled every 0.5 s)."""
    procs = {pid: psutil.Process(pid) for pid in pids}
    cpu0 = {pid: sum(p.cpu_times()[:2]) for pid, p in procs.items()}
    peak = dict.fromkeys(pids, 0)
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < window:
        for pid, p in procs.items():
            peak[pid] = max(peak[pid], p.memory_info().rss)
        time.sleep(min(0.5, max(0.0, window - elapsed)))
    elapsed = time.monotonic() - start
    return {pid: ((sum(p.cpu_times()[:2]) - cpu0[pid]) / elapsed * 100, peak[pid] / 2**20)
            for pid, p in procs.items()}


# -- rows ------------------------------------------------------------------------------------

def posts_due(due: list[datetime], tag: str) -> list[NewPost]:
    return [NewPost(source=f"{tag}-{i}.md", title=None, deliveries=(NewDelivery(
        platform="mastodon", account=f"outbox:acct{i % ACCOUNTS}", publisher="outbox",
        due_at=at, zone="UTC", parts=(NewPart(0, f"{tag} {i}"),)),)) for i, at in enumerate(due)]


def queue(store: Store, due: list[datetime], tag: str) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(due), 20_000):
        ids += store.write(functools.partial(
            q.insert_posts, new_posts=posts_due(due[start:start + 20_000], tag),
            now=datetime.now(UTC)))
    return ids


def sent_lines(outbox: Path) -> list[dict[str, object]]:
    return [e for log in outbox.glob("*/sent.jsonl") for e in read_sent_log(log)]


# -- 1. at rest ------------------------------------------------------------------------------

def deliver(delivery_id: int) -> None:
    """The job APScheduler would run; never reached in the bench."""


def _ready() -> None:
    print("ready", flush=True)


def apscheduler_idle(count: int) -> None:
    """The baseline process: a BlockingScheduler holding one date job per queued delivery."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=UTC)
    base = datetime.now(UTC) + timedelta(days=1)
    for i in range(count):
        scheduler.add_job(deliver, "date", run_date=base + timedelta(seconds=26 * i),
                          args=(i,), id=f"delivery-{i}")
    scheduler.add_job(_ready, "date", run_date=datetime.now(UTC), misfire_grace_time=None)
    scheduler.start()


def bench_idle(tmp: Path) -> None:
    store = Store.open(sqlite_url(tmp / "idle.db"))
    now = datetime.now(UTC)
    rng = random.Random(11)
    queue(store, [now + timedelta(days=1 + 29 * rng.random()) for _ in range(IDLE_QUEUED)],
          "later")
    store.close()
    env = daemon_env(sqlite_url(tmp / "idle.db"), tmp / "idle-outbox")
    with daemons(1, env, tmp) as (crier,):
        time.sleep(2)  # let the start-up housekeeping finish before measuring rest
        ours_cpu, ours_rss = usage([crier.pid], WINDOW)[crier.pid]
    baseline = subprocess.Popen(
        [sys.executable, "-c",
         f"from bench.bench_daemon import apscheduler_idle; apscheduler_idle({IDLE_QUEUED})"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert baseline.stdout is not None
        if baseline.stdout.readline().strip() != b"ready":
            raise RuntimeError("the APScheduler baseline did not start")
        theirs_cpu, theirs_rss = usage([baseline.pid], WINDOW)[baseline.pid]
    finally:
        baseline.kill()
        baseline.wait()
    ok_cpu, ok_rss = ours_cpu < GOALS["cpu"], ours_rss < GOALS["rss"]
    # APScheduler sleeps until its first job (a day away) and never looks at a database: its
    # near-zero is the floor; crier pays for polling the shared table that lets daemons share.
    print(f"idle daemon, {IDLE_QUEUED:,} queued for later, {WINDOW:.0f} s: crier run CPU "
          f"{ours_cpu:.3f}% (goal < {GOALS['cpu']:.0f}%: {_verdict(ok_cpu)}); APScheduler "
          f"BlockingScheduler holding {IDLE_QUEUED:,} date jobs in memory {theirs_cpu:.3f}%; "
          f"ratio {_ratio(ours_cpu, theirs_cpu)} the baseline's CPU")
    print(f"idle daemon, {IDLE_QUEUED:,} queued for later: crier run RSS {ours_rss:.0f} MB "
          f"(goal < {GOALS['rss']:.0f} MB: {_verdict(ok_rss)}); APScheduler holding the jobs "
          f"{theirs_rss:.0f} MB; ratio {_ratio(ours_rss, theirs_rss)} the baseline's memory")


def _ratio(ours: float, theirs: float) -> str:
    if ours <= 0 or theirs <= 0:
        return "n/a (a zero reading), against"
    return f"{ours / theirs:.2f}x"


# -- 2. due to sent --------------------------------------------------------------------------

def latency_seconds(store: Store, outbox: Path, due: dict[int, datetime]) -> list[float]:
    lines = [e for e in sent_lines(outbox) if int(str(e["delivery_id"])) in due]
    return sorted((datetime.fromisoformat(str(e["sent_at"])) - due[int(str(e["delivery_id"]))])
                  .total_seconds() for e in lines)


def due_instants() -> list[datetime]:
    first = datetime.now(UTC) + timedelta(seconds=3)
    return [first + timedelta(milliseconds=40 * i) for i in range(LATENCY_COUNT)]


def latency_crier(tmp: Path) -> list[float]:
    url, outbox = sqlite_url(tmp / "latency.db"), tmp / "latency-outbox"
    store = Store.open(url)
    try:
        with daemons(1, daemon_env(url, outbox), tmp) as procs:
            instants = due_instants()
            ids = queue(store, instants, "timed")
            wait_for(lambda: q.counts(store).get("published", 0) == LATENCY_COUNT,
                     "the timed deliveries", procs)
        return latency_seconds(store, outbox, dict(zip(ids, instants, strict=True)))
    finally:
        store.close()


def latency_naive(tmp: Path) -> list[float]:
    """The baseline: a loop that wakes every second, claims what is due and sends it."""
    url, outbox = sqlite_url(tmp / "naive.db"), tmp / "naive-outbox"
    store = Store.open(url)
    network = OutboxPublisher(outbox)
    lease = timedelta(seconds=60)
    try:
        instants = due_instants()
        ids = queue(store, instants, "naive")
        done, deadline = 0, time.monotonic() + TIMEOUT
        while done < LATENCY_COUNT and time.monotonic() < deadline:
            now = datetime.now(UTC)
            for item in claim_due(store, now=now, owner="naive:0:naive0", limit=ACCOUNTS,
                                  lease=lease):
                delivery, _ = inflight.load(store, item)
                for part in delivery.parts:
                    sent = network.publish_part(delivery, part, None)
                    inflight.record_part(store, item, part.index, sent, datetime.now(UTC), lease)
                snapshot = states.Snapshot(item.attempts, item.due_at, item.miss_after)
                inflight.finish(store, item, states.published(snapshot, now), datetime.now(UTC))
                done += 1
            time.sleep(1.0)  # the naive part: a fixed poll, blind to the next due time
        return latency_seconds(store, outbox, dict(zip(ids, instants, strict=True)))
    finally:
        store.close()


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def bench_latency(tmp: Path) -> None:
    ours, naive = latency_crier(tmp), latency_naive(tmp)
    if len(ours) != LATENCY_COUNT or len(naive) != LATENCY_COUNT:
        raise RuntimeError(f"expected {LATENCY_COUNT} sends, got {len(ours)} and {len(naive)}")
    o50, o99 = percentile(ours, 50), percentile(ours, 99)
    n50, n99 = percentile(naive, 50), percentile(naive, 99)
    print(f"due-to-sent latency, {LATENCY_COUNT} deliveries due 40 ms apart (SQLite, outbox): "
          f"crier run p50 {o50 * 1000:.0f} ms, p99 {o99 * 1000:.0f} ms (goal p99 < "
          f"{GOALS['p99']:.0f} s: {_verdict(o99 < GOALS['p99'])}); naive 1 s polling loop "
          f"p50 {n50 * 1000:.0f} ms, p99 {n99 * 1000:.0f} ms; ratio p50 {n50 / o50:.0f}x, "
          f"p99 {n99 / o99:.0f}x lower")


# -- 3. 4 daemons against 1 ------------------------------------------------------------------

@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL on a fresh schema of the bench's PostgreSQL, dropped afterwards."""
    schema = f"crier_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(POSTGRES_URL).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def throughput(count: int, processes: int, tmp: Path) -> float:
    """Deliveries per second from queueing to the last send, `processes` daemons sharing one
    PostgreSQL database, every send taking SCALE_DELAY_MS."""
    with postgres_schema() as url:
        outbox = tmp / f"scale-{processes}-outbox"
        store = Store.open(url)
        try:
            env = daemon_env(url, outbox, CRIER_OUTBOX_DELAY_MS=str(SCALE_DELAY_MS),
                             CRIER_WORKERS="4")
            with daemons(processes, env, tmp) as procs:
                queued_at = datetime.now(UTC)
                queue(store, [queued_at] * count, "scale")
                wait_for(lambda: q.counts(store).get("published", 0) == count,
                         "the scale run", procs)
            last = max(datetime.fromisoformat(str(e["sent_at"])) for e in sent_lines(outbox))
            return count / (last - queued_at).total_seconds()
        finally:
            store.close()


def bench_scale(tmp: Path) -> None:
    try:
        create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3}).connect().close()
    except Exception as exc:  # any failure to connect: say so and skip this figure
        print(f"4 daemons vs 1 on PostgreSQL: skipped, no server at "
              f"{make_url(POSTGRES_URL).render_as_string(hide_password=True)} "
              f"({type(exc).__name__}); set CRIER_BENCH_POSTGRES_URL")
        return
    one = throughput(200, 1, tmp)
    four = throughput(640, 4, tmp)
    ratio = four / one
    print(f"throughput on PostgreSQL, {SCALE_DELAY_MS} ms per send, 4 workers each: 4 daemons "
          f"{four:.1f} deliveries/s, 1 daemon {one:.1f}/s; ratio {ratio:.2f}x "
          f"(goal >= {GOALS['scale']:.0f}x: {_verdict(ratio >= GOALS['scale'])})")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="crier-bench-") as tmp:
        bench_idle(Path(tmp))
        bench_latency(Path(tmp))
        bench_scale(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
