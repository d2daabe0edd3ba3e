"""Shared fixtures: the store on every database (SQLite, and PostgreSQL behind a marker), a
clock the test moves by hand, rows to queue without formatting, and the CLI run in-process."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scheduler.publishers import CREDENTIALS
from scheduler.store import Store
from scheduler.store.engine import sqlite_url
from scheduler.store.queue import NewDelivery, NewPart, NewPost

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "CRIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# -- databases -------------------------------------------------------------------------------

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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards: tests never collide."""
    require_postgres()
    schema = f"crier_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test using it runs once per database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "crier.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, env={})
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(sqlite_url(tmp_path / "crier.db"), env={})
    yield opened
    opened.close()


# -- time ------------------------------------------------------------------------------------

@dataclass
class Clock:
    """A clock that moves only when told: `clock()` is now, `clock.advance(minutes=5)`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


# -- rows to queue ---------------------------------------------------------------------------

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


@pytest.fixture
def make_post() -> Callable[..., NewPost]:
    return new_post


# -- the CLI, in-process ---------------------------------------------------------------------

@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with its own database and outbox, the repo's brand, no accounts."""
    monkeypatch.chdir(tmp_path)
    for names in CREDENTIALS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("CRIER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CRIER_DATABASE_URL", sqlite_url(tmp_path / "data" / "crier.db"))
    monkeypatch.setenv("CRIER_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("CRIER_BRAND", str(REPO / "brand.toml"))
    return tmp_path


@pytest.fixture
def crier(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    from scheduler.cli import main

    def run(*argv: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
