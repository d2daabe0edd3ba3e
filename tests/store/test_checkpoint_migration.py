"""Migration 2 adds `delivery_parts.checkpoint` to a database made at version 1, rows kept."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, inspect, select
from support import new_post

from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.migrations import MIGRATIONS, current_version
from scheduler.store.schema import delivery_parts, schema_version

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_a_version_1_database_gains_the_checkpoint_column_and_keeps_its_parts(
        db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:  # the database as Crier made it before migration 2
        schema_version.create(conn)
        MIGRATIONS[1][1](conn)
        conn.execute(schema_version.insert().values(version=1, name="v1", applied_at=NOW))
        (old,) = q.insert_posts(conn, [new_post(NOW, parts=2, source="old.md")], NOW)
    assert "checkpoint" not in {c["name"] for c in inspect(engine).get_columns("delivery_parts")}
    engine.dispose()

    store = Store.open(db_url)
    assert current_version(store.engine) == max(MIGRATIONS) >= 2
    (new,) = q.queue_posts(store, [new_post(NOW, parts=1, source="new.md")], NOW)
    rows = store.read(lambda conn: conn.execute(
        select(delivery_parts.c.delivery_id, delivery_parts.c.idx, delivery_parts.c.text,
               delivery_parts.c.checkpoint).order_by(delivery_parts.c.delivery_id,
                                                     delivery_parts.c.idx)).all())
    assert [tuple(r) for r in rows] == [
        (old, 0, "old.md part 1 of 2", None), (old, 1, "old.md part 2 of 2", None),
        (new.id, 0, "new.md part 1 of 1", None)]
    store.close()
