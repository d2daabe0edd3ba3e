"""The desk's few questions of the store: a calendar range, what the author has not seen yet,
an image's bytes, and recording a delivery as published on her word.

Small queries beside `queue.py` (which other work is reshaping), each one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select

from content.errors import CrierError
from scheduler.states import TRANSITIONS, Status
from scheduler.store import Store, repeats
from scheduler.store.queue import DeliveryRow, list_deliveries, row_query, to_row
from scheduler.store.schema import blobs, deliveries, delivery_parts, desk_seen

NEEDS_AUTHOR = (Status.MISSED.value, Status.FAILED.value, Status.NEEDS_ATTENTION.value)


def between(store: Store, start: datetime, end: datetime) -> list[DeliveryRow]:
    """Every delivery due in [start, end), in due order: one calendar view's worth."""
    query = (row_query().where(deliveries.c.due_at >= start, deliveries.c.due_at < end)
             .order_by(deliveries.c.due_at, deliveries.c.id))
    return store.read(lambda conn: [to_row(r) for r in conn.execute(query)])


def _unseen_filter() -> ColumnElement[bool]:
    seen = exists().where(and_(desk_seen.c.delivery_id == deliveries.c.id,
                               desk_seen.c.seen_version == deliveries.c.updated_at))
    return and_(deliveries.c.status.in_(NEEDS_AUTHOR), ~seen)


def unseen(store: Store, limit: int = 50) -> tuple[list[DeliveryRow], int]:
    """The failed, missed and needs-attention deliveries the author has not seen in this
    state (the first `limit`), and how many there are in all."""
    where = _unseen_filter()

    def read(conn: Connection) -> tuple[list[DeliveryRow], int]:
        rows = [to_row(r) for r in conn.execute(
            row_query().where(where).order_by(deliveries.c.due_at, deliveries.c.id)
            .limit(limit))]
        total = int(conn.execute(select(func.count()).where(where)).scalar() or 0)
        return rows, total

    return store.read(read)


def mark_seen(store: Store, ids: Iterable[int], now: datetime) -> int:
    """Record that the author has seen these deliveries as they are now; returns how many."""
    wanted = list(ids)

    def change(conn: Connection) -> int:
        rows = conn.execute(select(deliveries.c.id, deliveries.c.updated_at)
                            .where(deliveries.c.id.in_(wanted), _unseen_filter())).all()
        for delivery_id, version in rows:
            conn.execute(desk_seen.insert().values(delivery_id=delivery_id,
                                                   seen_version=version, seen_at=now))
        return len(rows)

    return store.write(change) if wanted else 0


def blob(store: Store, sha256: str) -> tuple[bytes, str] | None:
    """A rendered image's bytes and format, by its content hash."""
    query = select(blobs.c.data, blobs.c.format).where(blobs.c.sha256 == sha256)
    row = store.read(lambda conn: conn.execute(query).first())
    return None if row is None else (bytes(row[0]), str(row[1]))


class NotUncertain(CrierError):
    """Only a delivery needing attention can be recorded as published by the author."""


@dataclass(frozen=True)
class Confirmed:
    row: DeliveryRow
    parts: Sequence[int]  # the parts recorded live on the author's word


def confirm_published(store: Store, delivery_id: int, url: str, now: datetime) -> Confirmed:
    """The author's word that a needs-attention delivery is live at `url`: its parts not yet
    recorded as live take that URL, and the delivery is published. Refused for any other state
    (the daemon decides those); fenced on the status, as every change of the queue is."""
    def change(conn: Connection) -> list[int]:
        status = conn.execute(select(deliveries.c.status, deliveries.c.platform)
                              .where(deliveries.c.id == delivery_id)).first()
        if status is None:
            raise NotUncertain(f"no delivery {delivery_id}; nothing was changed")
        if status[0] != Status.NEEDS_ATTENTION.value or Status.PUBLISHED not in \
                TRANSITIONS[Status(status[0])]:
            raise NotUncertain(f"delivery {delivery_id} is {status[0]}, not needing attention; "
                               "only an uncertain delivery can be recorded as published by "
                               "hand; nothing was changed")
        pending = list(conn.execute(
            select(delivery_parts.c.idx).where(delivery_parts.c.delivery_id == delivery_id,
                                               delivery_parts.c.remote_id.is_(None))).scalars())
        conn.execute(delivery_parts.update().where(
            delivery_parts.c.delivery_id == delivery_id, delivery_parts.c.remote_id.is_(None))
            .values(remote_id=f"author:{url}", remote_url=url, sent_at=now))
        result = conn.execute(deliveries.update().where(
            deliveries.c.id == delivery_id,
            deliveries.c.status == Status.NEEDS_ATTENTION.value).values(
            status=Status.PUBLISHED.value, published_at=now, updated_at=now,
            last_error=None, reconcile=False))
        if result.rowcount != 1:
            raise NotUncertain(f"delivery {delivery_id} changed meanwhile; nothing was changed")
        repeats.on_published(conn, delivery_id, now)  # published is published: next round
        return pending

    parts = store.write(change)
    return Confirmed(list_deliveries(store, ids=[delivery_id])[0], parts)
