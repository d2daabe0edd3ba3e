"""Schema migrations: registered functions, applied in order, recorded in `schema_version`.

This is the "Alembic or equivalent". Alembic would bring an ini file, an env.py and a scripts
folder that must ship inside the package so `crier` can upgrade an author's SQLite file by
itself; what Crier needs is a short, linear list of steps applied automatically on open, on
SQLite and PostgreSQL alike, by whichever of several daemons starts first. A registry of
functions over SQLAlchemy Core does that in a page, with one dependency fewer.

Rules for adding a migration: append a function with the next number; never edit one that has
shipped. Migration 1 builds the tables from `schema.py` as they are at version 1: once a later
migration changes a table, copy that table's version-1 definition in here first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    inspect,
    select,
    text,
)

from scheduler.store import dialects, schema

log = logging.getLogger(__name__)

Migration = Callable[[Connection], None]
MIGRATIONS: dict[int, tuple[str, Migration]] = {}


def migration(version: int, name: str) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        if version in MIGRATIONS:
            raise ValueError(f"migration {version} registered twice")
        MIGRATIONS[version] = (name, fn)
        return fn

    return register


def _tables_v1() -> list[Table]:
    """The tables as migration 1 made them: today's, but `delivery_parts` as it was then."""
    v1 = MetaData()
    tables = [t.to_metadata(v1) for t in schema.TABLES_V1
              if t is not schema.schema_version and t is not schema.delivery_parts]
    tables.append(Table(
        "delivery_parts", v1,
        Column("delivery_id", Integer, ForeignKey("deliveries.id"), nullable=False),
        Column("idx", Integer, nullable=False),
        Column("text", Text, nullable=False),
        Column("payload", Text, nullable=False),
        Column("remote_id", Text),
        Column("remote_url", Text),
        Column("sent_at", schema.UTCDateTime),
        PrimaryKeyConstraint("delivery_id", "idx"),
    ))
    return tables


@migration(1, "posts, deliveries, parts, images, attempts, slots")
def _v1(conn: Connection) -> None:
    tables = _tables_v1()
    tables[0].metadata.create_all(conn, tables=tables)
    conn.execute(schema.store_meta.insert().values(key="store_id", value=uuid.uuid4().hex))


@migration(2, "a part's checkpoint: what a pending publish step resumes from")
def _v2(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE delivery_parts ADD COLUMN checkpoint TEXT"))


@migration(3, "queued content keys: the same content is not queued twice by mistake")
def _v3(conn: Connection) -> None:
    schema.queued_content.create(conn)


@migration(5, "feeds watched, feed items seen, drafts (crier import, issue 13)")
def _v5(conn: Connection) -> None:
    # Tables only this migration creates: `schema.py` defines them as they are at version 5.
    schema.metadata.create_all(conn, tables=list(schema.TABLES_V5))

# Numbered 4: 2 and 3 are taken by the store's own changes, landing alongside.
@migration(4, "desk_seen: the failures the author has seen on the desk")
def _v4(conn: Connection) -> None:
    schema.desk_seen.create(conn, checkfirst=True)


@migration(6, "notifications and the account watch (issue 14)")
def _v6(conn: Connection) -> None:
    # Tables only this migration creates: `schema.py` defines them as they are at version 6.
    schema.metadata.create_all(conn, tables=list(schema.TABLES_V6))


@migration(7, "evergreen repeats and their rounds (issue 15)")
def _v7(conn: Connection) -> None:
    # Tables only this migration creates: `schema.py` defines them as they are at version 7.
    schema.metadata.create_all(conn, tables=list(schema.TABLES_V7))


def migrate(conn: Connection) -> list[int]:
    """Apply every pending migration in this transaction; returns the versions applied.

    Run inside a write transaction: on SQLite BEGIN IMMEDIATE already serializes two daemons
    starting together; on PostgreSQL a transaction-scoped advisory lock does.
    """
    dialects.of(conn).serialize(conn, dialects.MIGRATIONS_LOCK)
    if not inspect(conn).has_table("schema_version"):
        schema.schema_version.create(conn)
    done = set(conn.execute(select(schema.schema_version.c.version)).scalars())
    applied: list[int] = []
    for version in sorted(MIGRATIONS):
        if version in done:
            continue
        name, fn = MIGRATIONS[version]
        log.info("applying migration %d: %s", version, name)
        fn(conn)
        conn.execute(schema.schema_version.insert().values(
            version=version, name=name, applied_at=datetime.now(UTC)))
        applied.append(version)
    return applied


def current_version(engine: Engine) -> int:
    with engine.connect() as conn:
        if not inspect(conn).has_table("schema_version"):
            return 0
        return int(conn.execute(
            select(schema.schema_version.c.version).order_by(
                schema.schema_version.c.version.desc()).limit(1)
        ).scalar() or 0)
