"""Database trouble is explained, never a traceback: a damaged file, a read-only one, a full
disk, a database that refuses a value. Each says where the file is and what to do."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from support import Result

from scheduler.store.engine import _sqlite_trouble

POST = "---\ntitle: Sleep\n---\nA short post about sleep and mood.\n"


def _damage(path: Path) -> None:
    """Write random-looking bytes over the file's header and first pages, as a bad disk would."""
    data = bytearray(path.read_bytes())
    for i in range(0, min(len(data), 8192), 7):
        data[i] = (i * 131 + 17) % 256
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [
    ("queue", "list"), ("queue", "add", "post.md", "--now"), ("run", "--until-idle"),
    ("slots", "show"),
])
def test_a_damaged_sqlite_file_is_named_with_the_way_out(
    crier: Callable[..., Result], cli_env: Path, command: tuple[str, ...],
) -> None:
    (cli_env / "post.md").write_text(POST, encoding="utf-8")
    assert crier("queue", "list").code == 0  # creates and migrates the database
    db = cli_env / "data" / "crier.db"
    for extra in (db.with_name("crier.db-wal"), db.with_name("crier.db-shm")):
        extra.unlink(missing_ok=True)
    _damage(db)
    result = crier(*command)
    assert result.code == 1
    assert "Traceback" not in result.err and result.out == ""
    assert f"the database file {db} is damaged" in result.err
    assert ".recover" in result.err and "backup" in result.err and "-wal" in result.err


def test_a_read_only_database_says_so_not_check_the_server(
    crier: Callable[..., Result], cli_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (cli_env / "post.md").write_text(POST, encoding="utf-8")
    db = cli_env / "data" / "crier.db"
    assert crier("queue", "list").code == 0
    # Root ignores file modes, so the read-only open is asked of SQLite itself.
    monkeypatch.setenv("CRIER_DATABASE_URL", f"sqlite:///file:{db}?mode=ro&uri=true")
    result = crier("queue", "add", "post.md", "--now")
    assert result.code == 1 and "Traceback" not in result.err
    assert "read-only" in result.err and "writable" in result.err
    assert "server is running" not in result.err
    monkeypatch.setenv("CRIER_DATABASE_URL", f"sqlite:///{db}")
    assert "The queue is empty." in crier("queue", "list").out  # nothing was stored


def test_a_full_disk_is_told_with_its_fix(tmp_path: Path) -> None:
    # SQLite's own "full" error, made for real by capping the file at its current size.
    conn = sqlite3.connect(tmp_path / "full.db")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as real:
        conn.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    conn.close()
    error = OperationalError("INSERT", {}, real.value)
    message = _sqlite_trouble(error, f"sqlite:///{tmp_path / 'full.db'}")
    assert message is not None
    assert "disk holding" in message and "free some space" in message
    assert _sqlite_trouble(error, "postgresql+psycopg://u@h/db") is None


def test_an_unopenable_database_folder_is_named(
    crier: Callable[..., Result], cli_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = cli_env / "not-a-folder"
    blocker.write_text("a file where the database folder should be", encoding="utf-8")
    monkeypatch.setenv("CRIER_DATABASE_URL", f"sqlite:///{blocker}/sub/crier.db")
    result = crier("queue", "list")
    assert result.code == 1 and "Traceback" not in result.err
    assert str(blocker) in result.err
