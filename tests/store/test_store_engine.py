"""Which database, its SQLite settings, and what a locked or unreachable database does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from scheduler.settings import Settings
from scheduler.store import Store, StoreUnavailable, database_url
from scheduler.store.engine import describe, sqlite_url

FAST = Settings.from_env({"CRIER_DB_BUSY_TIMEOUT_MS": "50", "CRIER_DB_RETRIES": "2"})


def test_default_is_sqlite_in_the_working_directorys_data_folder(tmp_path: Path) -> None:
    assert database_url(Settings(), cwd=tmp_path) == \
        f"sqlite:///{tmp_path.resolve()}/data/crier.db"
    chosen = Settings.from_env({"CRIER_DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert database_url(chosen) == "postgresql+psycopg://u@h/db"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    slow = Settings.from_env({"CRIER_DB_BUSY_TIMEOUT_MS": "1234"})
    store = Store.open(sqlite_url(tmp_path / "crier.db"), settings=slow)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234
    store.close()


def test_a_locked_database_is_retried_then_explained(tmp_path: Path) -> None:
    path = tmp_path / "crier.db"
    Store.open(sqlite_url(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    sleeps: list[float] = []
    try:
        store = Store.open(sqlite_url(path), settings=FAST, migrate_schema=False)
        store.engine.dispose()
        from scheduler.store.engine import run_transaction

        with pytest.raises(StoreUnavailable) as err:
            run_transaction(store.engine, lambda c: c.execute(text("SELECT 1")).all(),
                            write=True, url=store.url, retries=3, sleep=sleeps.append)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(sleeps) == 2  # tried three times
    message = str(err.value)
    assert "is locked by another program" in message and "nothing was changed" in message


def test_an_unreachable_server_is_explained_without_the_password() -> None:
    url = "postgresql+psycopg://crier:s3cret@127.0.0.1:1/crier"
    with pytest.raises(StoreUnavailable) as err:
        Store.open(url, settings=FAST)
    message = str(err.value)
    assert "s3cret" not in message and "***" in message
    assert "cannot use the database" in message and "CRIER_DATABASE_URL" in message
    assert "s3cret" not in describe(url)


def test_an_unsupported_url_is_a_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match="unsupported database"):
        Store.open("mysql://u@h/db")
    with pytest.raises(StoreUnavailable, match="not a database URL"):
        Store.open("not a url")
