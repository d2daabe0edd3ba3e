"""The store: one database (SQLite or PostgreSQL) holding the queue, opened and migrated here.

The operations live beside it: `queue` (add, list, show, cancel, retry, reschedule), `claim`
(the daemon's atomic claim, lease renewal and reaping), `attempts` (fenced writes of an
in-flight delivery) and `intake` (a post turned into rows to queue).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, select

from scheduler.settings import Settings
from scheduler.store import schema
from scheduler.store.engine import (
    DEFAULT_RETRIES,
    StoreUnavailable,
    database_url,
    describe,
    make_engine,
    run_transaction,
)
from scheduler.store.migrations import migrate

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["Store", "StoreUnavailable", "database_url"]


class Store:
    """A migrated database and the two ways to use it: `read(fn)` and `write(fn)`.

    `fn(conn)` runs inside one transaction, retried whole when the database is locked or the
    connection drops, then StoreUnavailable with a message the author can act on.
    """

    def __init__(self, engine: Engine, url: str, retries: int = DEFAULT_RETRIES) -> None:
        self.engine = engine
        self.url = url
        self.retries = retries
        self._store_id: str | None = None

    @classmethod
    def open(cls, url: str | None = None, *, settings: Settings | None = None,
             migrate_schema: bool = True) -> Store:
        """Open (creating and migrating as needed) the database at `url`, else the settings'
        (CRIER_DATABASE_URL, else SQLite in ./data)."""
        settings = settings or Settings()
        url = url or database_url(settings)
        store = cls(make_engine(url, settings.db_busy_timeout_ms), url, settings.db_retries)
        if migrate_schema:
            applied = store.write(migrate)
            if applied:
                log.info("database %s migrated to version %d", describe(url), applied[-1])
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def where(self) -> str:
        """The database, for messages: the URL without its password."""
        return describe(self.url)

    @property
    def store_id(self) -> str:
        """This database's random name, made by the first migration; stable for its lifetime."""
        if self._store_id is None:
            self._store_id = str(self.read(lambda conn: conn.execute(
                select(schema.store_meta.c.value).where(schema.store_meta.c.key == "store_id")
            ).scalar_one()))
        return self._store_id

    def read(self, fn: Callable[[Connection], T]) -> T:
        return run_transaction(self.engine, fn, write=False, url=self.url, retries=self.retries)

    def write(self, fn: Callable[[Connection], T]) -> T:
        return run_transaction(self.engine, fn, write=True, url=self.url, retries=self.retries)

    def close(self) -> None:
        self.engine.dispose()

