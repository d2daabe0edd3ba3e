"""Where SQLite and PostgreSQL differ, in one place; the rest of the store asks `of(conn)`.

- Claiming: PostgreSQL locks the candidate accounts with FOR UPDATE SKIP LOCKED, so several
  daemons claim different ones at once, and re-checks a row's status as the UPDATE locks it.
  SQLite needs neither: every write transaction starts with BEGIN IMMEDIATE (engine.py), which
  holds the only write lock, and without the status test its planner looks rows up by id.
- Serializing: a transaction that must see "not there yet" and then insert (migrations, the
  check against queueing the same content twice) takes a transaction-scoped advisory lock on
  PostgreSQL; on SQLite BEGIN IMMEDIATE already serializes writers.
- Bulk insert: on SQLite, the values built in one pass and handed to the driver in multi-row
  INSERTs with ids given by us (queue.py says why that is safe); PostgreSQL's RETURNING gives
  ids in order through SQLAlchemy.
- Statistics: PostgreSQL plans a fresh big queue as if the table were empty until ANALYZE.
- Plans: EXPLAIN QUERY PLAN against EXPLAIN, for the benches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Insert

ANALYZE_AFTER = 500  # deliveries queued at once that make PostgreSQL refresh its statistics

# Advisory lock keys: any fixed numbers, as long as every crier uses the same ones.
MIGRATIONS_LOCK = 424242017
QUEUEING_LOCK = 424242018


@dataclass(frozen=True)
class Dialect:
    name: str
    skip_locked: bool  # claims lock candidate rows and skip the ones others hold
    rechecks_on_claim: bool  # the claim's UPDATE re-tests the status of each row it locks
    positional_bulk_insert: bool  # the multi-row INSERT fast path with ids given by us
    advisory_locks: bool
    analyzes_after_bulk: bool
    explain: str  # the statement that shows a query's plan

    def claim_lock(self, query: Select[Any], of: Any) -> Select[Any]:
        """The claim's candidates, locked where others may claim at once (rows of `of`)."""
        return query.with_for_update(skip_locked=True, of=of) if self.skip_locked else query

    def insert_ignore(self, table: Any, *keys: str) -> Insert:
        """INSERT ... ON CONFLICT (keys) DO NOTHING."""
        module: Any = postgresql if self.name == "postgresql" else sqlite
        insert: Insert = module.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        return insert

    def serialize(self, conn: Connection, key: int) -> None:
        """Hold `key` until the transaction ends: one such transaction at a time."""
        if self.advisory_locks:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def after_bulk_insert(self, conn: Connection, rows: int, table: str) -> None:
        if self.analyzes_after_bulk and rows >= ANALYZE_AFTER:
            # Without fresh statistics PostgreSQL plans the claim as if the table were empty
            # and walks every due row per account; autovacuum would fix that only a minute later.
            conn.execute(text(f"ANALYZE {table}"))


SQLITE = Dialect("sqlite", skip_locked=False, rechecks_on_claim=False,
                 positional_bulk_insert=True, advisory_locks=False, analyzes_after_bulk=False,
                 explain="EXPLAIN QUERY PLAN")
POSTGRESQL = Dialect("postgresql", skip_locked=True, rechecks_on_claim=True,
                     positional_bulk_insert=False, advisory_locks=True,
                     analyzes_after_bulk=True, explain="EXPLAIN")
_BY_NAME = {d.name: d for d in (SQLITE, POSTGRESQL)}


def of(conn: Connection) -> Dialect:
    return named(conn.dialect.name)


def named(name: str) -> Dialect:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"no store dialect for {name!r}; Crier runs on SQLite and "
                         "PostgreSQL") from None
