"""Which database, how to connect, and what to do when it is locked or down.

`CRIER_DATABASE_URL` selects it: SQLite (the embedded default, `data/crier.db` under the working
directory) or PostgreSQL (`postgresql+psycopg://...`). SQLite runs in WAL mode (readers never
block the writer) with a busy timeout, and every write transaction starts with BEGIN IMMEDIATE:
a deferred transaction that reads and then writes can fail at once with "database is locked"
when two processes upgrade together, which the busy timeout does not cover.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from content.errors import CrierError
from scheduler.settings import Settings, sqlite_url

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BUSY_TIMEOUT_MS = 5000
DEFAULT_RETRIES = 4


class StoreUnavailable(CrierError):
    """The database is locked by someone else or cannot be reached, even after retrying."""


def database_url(settings: Settings, cwd: Path | None = None) -> str:
    """The URL from CRIER_DATABASE_URL, else a SQLite file in the working directory's data/."""
    if settings.database_url:
        return settings.database_url
    return sqlite_url((cwd or Path.cwd()) / "data" / "crier.db")


def describe(url: str) -> str:
    """The URL for messages and logs: never the password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an invalid URL)"


def make_engine(url: str, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """An engine for `url`, with the SQLite pragmas and transaction handling described above."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreUnavailable(
            "CRIER_DATABASE_URL is not a database URL: expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DB (its value is not shown: it may hold a "
            "password)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, busy_timeout_ms)
    if parsed.get_backend_name() == "postgresql":
        # No pool_pre_ping: it costs a round trip per transaction, and a connection that died
        # in the pool fails its transaction, which run_transaction retries on a fresh one.
        return create_engine(
            url, pool_size=8, max_overflow=8, connect_args={"connect_timeout": 5},
        )
    raise StoreUnavailable(
        f"unsupported database {parsed.get_backend_name()!r} in CRIER_DATABASE_URL; "
        "Crier runs on SQLite (sqlite:///PATH) or PostgreSQL (postgresql+psycopg://...)"
    )


def _sqlite_engine(url: str, database: str | None, busy_ms: int) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot make the database folder {folder}: {exc.strerror}; create it (or set "
                "CRIER_DATABASE_URL to another place) and run the command again") from None
    engine = create_engine(
        url, connect_args={"timeout": busy_ms / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN out of pysqlite's hands so that `_begin` below decides which BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit survives a power cut, not only a killed process. A delivery's recorded
        # remote id is what stops a second send; it costs ~0.3 ms per commit here.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("crier_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def run_transaction(
    engine: Engine,
    fn: Callable[[Connection], T],
    *,
    write: bool,
    url: str,
    retries: int = DEFAULT_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `fn(conn)` in one transaction; on a locked or unreachable database, retry, then fail.

    Retrying is safe because a failed transaction is rolled back whole. The error names what
    was tried and what to do; the URL is shown without its password.
    """
    delay = 0.05
    for attempt in range(1, retries + 1):
        try:
            with engine.connect() as conn:
                if write:
                    conn = conn.execution_options(crier_write=True)
                with conn.begin():
                    return fn(conn)
        except (OperationalError, DBAPIError) as exc:
            damage = _sqlite_trouble(exc, url)
            if damage:  # retrying cannot help a damaged, read-only or full database
                raise StoreUnavailable(damage) from None
            if not _retryable(exc):
                log.debug("database error", exc_info=True)
                raise StoreUnavailable(
                    f"the database {describe(url)} refused the operation: {_reason(exc)}; "
                    "nothing was changed") from None
            if attempt == retries:
                raise StoreUnavailable(_explain(exc, url, retries)) from None
            log.warning("database busy or unreachable (%s); retry %d of %d",
                        _reason(exc), attempt, retries - 1)
            sleep(delay)
            delay = min(delay * 4, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover


# SQLite's own words for trouble with the file itself, and what the author can do about it.
_DAMAGED = ("file is not a database", "malformed", "disk image is malformed")
_READ_ONLY = ("readonly database", "read-only")
_FULL = ("database or disk is full", "disk is full")
_CANNOT_OPEN = ("unable to open database file",)


def _sqlite_trouble(exc: DBAPIError, url: str) -> str | None:
    """A message for a SQLite file that is damaged, read-only, on a full disk or cannot be
    opened, naming the file and the fix; None for anything else (locks are retried)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    reason = _reason(exc).lower()
    path = Path(parsed.database or "")
    if any(words in reason for words in _DAMAGED):
        return (
            f"the database file {path} is damaged ({_reason(exc)}). Stop every crier that uses "
            f"it and copy it, with {path.name}-wal beside it if there is one, before anything "
            f"else. Then restore it from a backup, or rescue what can be read with "
            f"`sqlite3 {path} .recover | sqlite3 {path.with_suffix('.recovered.db')}` and set "
            f"CRIER_DATABASE_URL=sqlite:///{path.with_suffix('.recovered.db')}; nothing was "
            "changed")
    if any(words in reason for words in _READ_ONLY):
        return (
            f"the database file {path} is read-only for this user (or its folder is); make "
            f"{path}, {path.name}-wal, {path.name}-shm and the folder {path.parent} writable, "
            "or set CRIER_DATABASE_URL to a writable place; nothing was changed")
    if any(words in reason for words in _FULL):
        return (
            f"the disk holding {path} is full; free some space there (or move the database "
            "with CRIER_DATABASE_URL) and run the command again; nothing was changed")
    if any(words in reason for words in _CANNOT_OPEN):
        return (
            f"cannot open the database file {path}: check that the folder {path.parent} exists "
            "and that this user may create files in it, or set CRIER_DATABASE_URL; nothing was "
            "changed")
    return None


def _retryable(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError) or exc.connection_invalidated


def _reason(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _explain(exc: DBAPIError, url: str, tries: int) -> str:
    reason = _reason(exc)
    where = describe(url)
    if "locked" in reason or "busy" in reason:
        return (
            f"the database {where} is locked by another program and stayed locked "
            f"({tries} tries); close whatever holds it (a database browser, a stuck crier) "
            f"and run the command again; nothing was changed"
        )
    return (
        f"cannot use the database {where}: {reason} ({tries} tries); check that the server is "
        f"running and CRIER_DATABASE_URL is right; nothing was changed"
    )

