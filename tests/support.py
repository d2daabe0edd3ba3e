"""What several test rooms share: the repository's root, PostgreSQL's availability, a clock
the test moves by hand, rows to queue without formatting, a CLI run's result, and the fleet of
`crier run` processes the kill -9 runs kill. Imported as
`from support import ...`; fixtures stay in conftest.py."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scheduler.store.queue import NewDelivery, NewPart, NewPost

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "CRIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@functools.cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means "not available"
        return f"no PostgreSQL at {POSTGRES_URL} ({type(exc).__name__}); set " \
               "CRIER_TEST_POSTGRES_URL to run the postgres tests"
    return None


def require_postgres() -> None:
    """Skip when no server answers; under CI=true, fail instead: CI must run them."""
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {problem}")
    pytest.skip(problem)


@dataclass
class Clock:
    """A clock that moves only when told: `clock()` is now, `clock.advance(minutes=5)`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def new_post(
    due_at: datetime, *, platform: str = "x", account: str | None = None, parts: int = 1,
    publisher: str = "outbox", lateness: timedelta = timedelta(minutes=120),
    source: str = "post.md",
) -> NewPost:
    """A post with one delivery of `parts` parts, no formatting involved."""
    delivery = NewDelivery(
        platform=platform, account=account or f"outbox:{platform}", publisher=publisher,
        due_at=due_at, max_lateness=lateness, wall=None, zone="UTC",
        parts=tuple(NewPart(i, f"{source} part {i + 1} of {parts}", {"i": i})
                    for i in range(parts)))
    return NewPost(source=source, title=source, deliveries=(delivery,))


@dataclass
class Result:
    code: int
    out: str
    err: str


# -- daemon processes --------------------------------------------------------------------------

PROCESS_TIMEOUT = 150.0  # seconds any single wait on a daemon process may take


def crier_command() -> list[str]:
    """The installed `crier` console script beside this Python, as an author would run it."""
    script = Path(sys.executable).parent / "crier"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from scheduler.cli import main; sys.exit(main())"]


@dataclass
class Fleet:
    """`daemons` slots, each running one `crier -v run`; a killed daemon is replaced at once."""

    env: dict[str, str]
    cwd: Path
    daemons: int = 3
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[int, Path] = field(default_factory=dict)  # pid -> its stderr

    def start(self) -> None:
        for _ in range(self.daemons):
            self.procs.append(self._spawn())

    def _spawn(self) -> subprocess.Popen[bytes]:
        log = self.cwd / f"daemon-{len(self.logs)}.log"
        with log.open("wb") as err:
            proc = subprocess.Popen([*crier_command(), "-v", "run"], env=self.env, cwd=self.cwd,
                                    stdout=subprocess.DEVNULL, stderr=err)
        self.logs[proc.pid] = log
        return proc

    def kill(self, slot: int) -> None:
        proc = self.procs[slot]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=PROCESS_TIMEOUT)
        self.procs[slot] = self._spawn()

    def slot_of(self, pid: int) -> int | None:
        return next((i for i, p in enumerate(self.procs) if p.pid == pid), None)

    def check(self) -> None:
        """A daemon that exits by itself is a failure: show the end of its log."""
        for proc in self.procs:
            if proc.poll() is not None:
                tail = self.logs[proc.pid].read_text(errors="replace")[-3000:]
                raise AssertionError(f"daemon {proc.pid} exited with {proc.returncode}:\n{tail}")

    def stop(self) -> None:
        """SIGTERM: each finishes what it has in flight, then exits cleanly."""
        for proc in self.procs:
            self._wait_started(proc)
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            proc.wait(timeout=PROCESS_TIMEOUT)
            assert proc.returncode == 0, (
                f"daemon {proc.pid} exited {proc.returncode} on SIGTERM:\n"
                + self.logs[proc.pid].read_text(errors="replace")[-3000:])

    def _wait_started(self, proc: subprocess.Popen[bytes]) -> None:
        """A daemon restarted a moment ago may still be importing, before it handles SIGTERM
        (Python's default then ends it with -15): wait until it says it has started."""
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while "started:" not in self.logs[proc.pid].read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"daemon {proc.pid} never started (exit {proc.poll()})")
            time.sleep(0.05)

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=PROCESS_TIMEOUT)

    def log_count(self, needle: str) -> int:
        return sum(log.read_text(errors="replace").count(needle) for log in self.logs.values())


def until_idle(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*crier_command(), "run", "--until-idle"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False)

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, headless; never a browser Playwright downloads itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def require_chromium() -> None:
    """Skip when Debian's Chromium is absent; under CI=true, fail instead: CI must run them."""
    if os.path.exists(CHROMIUM):
        return
    problem = f"no browser at {CHROMIUM}; install it with `apt-get install -y chromium`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {problem}")
    pytest.skip(problem)
