"""Shared fixtures: the store on every database (SQLite, and PostgreSQL behind a marker), a
clock the test moves by hand, rows to queue without formatting, and the CLI run in-process."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from support import POSTGRES_URL, REPO, Clock, Result, new_post, require_postgres

from scheduler.publishers import account_variables
from scheduler.store import Store
from scheduler.store.engine import sqlite_url
from scheduler.store.queue import NewPost

# -- databases -------------------------------------------------------------------------------

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
    opened = Store.open(db_url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(sqlite_url(tmp_path / "crier.db"))
    yield opened
    opened.close()


# -- time ------------------------------------------------------------------------------------

@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


# -- rows to queue ---------------------------------------------------------------------------

@pytest.fixture
def make_post() -> Callable[..., NewPost]:
    return new_post


# -- the CLI, in-process ---------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with its own database and outbox, the repo's brand, no accounts."""
    monkeypatch.chdir(tmp_path)
    for name in account_variables():
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
