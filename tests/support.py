"""What several test rooms share: the repository's root, PostgreSQL's availability, a clock
the test moves by hand, rows to queue without formatting, and a CLI run's result. Imported as
`from support import ...`; fixtures stay in conftest.py."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
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
