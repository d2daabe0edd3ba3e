"""Writes made while a delivery is in flight, each fenced on the attempt id that claimed it.

A write whose fence fails means the lease was lost (the reaper requeued the delivery, another
daemon may hold it now): the caller must stop touching it, and LostLease says so. Whatever this
attempt may have sent is found by the next one's reconcile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from scheduler.outgoing import OutgoingDelivery, OutgoingImage, OutgoingPart, Sent
from scheduler.states import Status, Transition
from scheduler.store import Store, repeats
from scheduler.store import notifications as told
from scheduler.store.claim import Claimed
from scheduler.store.schema import (
    accounts,
    attempts,
    blobs,
    deliveries,
    delivery_parts,
    part_images,
)

# The ends the author must hear of: each writes a notification with the move.
TOLD = frozenset({Status.FAILED.value, Status.NEEDS_ATTENTION.value, Status.MISSED.value})


class LostLease(Exception):
    """The delivery is no longer held by this attempt."""


def _fence(conn: Connection, claimed: Claimed, values: dict[str, object]) -> None:
    result = conn.execute(
        deliveries.update()
        .where(deliveries.c.id == claimed.id, deliveries.c.attempt_id == claimed.attempt_id,
               deliveries.c.status == Status.PUBLISHING.value)
        .values(**values))
    if result.rowcount != 1:
        raise LostLease(f"delivery {claimed.id}: attempt {claimed.attempt_id} lost its lease")


def _record(conn: Connection, claimed: Claimed, index: int, sent: Sent, now: datetime) -> None:
    conn.execute(
        delivery_parts.update()
        .where(delivery_parts.c.delivery_id == claimed.id, delivery_parts.c.idx == index)
        .values(remote_id=sent.remote_id, remote_url=sent.url, sent_at=now))


def load(store: Store, claimed: Claimed) -> tuple[OutgoingDelivery, dict[int, Sent]]:
    """The delivery as its publisher sees it, and the parts already live (index -> where)."""
    def read(conn: Connection) -> tuple[OutgoingDelivery, dict[int, Sent]]:
        images: dict[int, list[OutgoingImage]] = {}
        for row in conn.execute(
            select(part_images, blobs.c.data)
            .join(blobs, blobs.c.sha256 == part_images.c.sha256)
            .where(part_images.c.delivery_id == claimed.id)
            .order_by(part_images.c.idx, part_images.c.position)
        ):
            images.setdefault(row.idx, []).append(
                OutgoingImage(row.data, row.format, row.width, row.height, row.alt))
        parts: list[OutgoingPart] = []
        live: dict[int, Sent] = {}
        for row in conn.execute(
            select(delivery_parts).where(delivery_parts.c.delivery_id == claimed.id)
            .order_by(delivery_parts.c.idx)
        ):
            checkpoint = json.loads(row.checkpoint) if row.checkpoint else None
            parts.append(OutgoingPart(row.idx, row.text, tuple(images.get(row.idx, ())),
                                      json.loads(row.payload), checkpoint))
            if row.remote_id is not None:
                live[row.idx] = Sent(row.remote_id, row.remote_url)
        delivery = OutgoingDelivery(claimed.id, claimed.platform, claimed.account,
                                    tuple(parts), store.store_id, claimed.attempt_id,
                                    scheduled_at=claimed.due_at)
        return delivery, live

    return store.read(read)


def record_part(store: Store, claimed: Claimed, index: int, sent: Sent, now: datetime,
                lease: timedelta) -> None:
    """Commit that part `index` is live, before the next network call; extends the lease."""
    def change(conn: Connection) -> None:
        _fence(conn, claimed, {"lease_until": now + lease, "updated_at": now})
        _record(conn, claimed, index, sent, now)
        conn.execute(
            accounts.update()
            .where(accounts.c.key == claimed.account,
                   accounts.c.busy_attempt == claimed.attempt_id)
            .values(busy_until=now + lease))

    store.write(change)


def finish(store: Store, claimed: Claimed, move: Transition, now: datetime,
           part: tuple[int, Sent] | None = None,
           checkpoint: tuple[int, Mapping[str, Any]] | None = None) -> None:
    """Leave `publishing` as `move` says, free the account and close the attempt log entry;
    `part` (index, where) records a last live part in the same transaction, and `checkpoint`
    (index, state) what a pending part resumes from: committed before the part is asked for
    again, so nothing that could publish it runs without it."""
    values: dict[str, object] = {
        "status": move.status.value, "reconcile": move.reconcile, "last_error": move.error,
        "lease_owner": None, "lease_until": None, "updated_at": now,
    }
    if move.next_attempt_at is not None:
        values["next_attempt_at"] = move.next_attempt_at
    if move.attempts is not None:
        values["attempts"] = move.attempts
    if move.status is Status.PUBLISHED:
        values["published_at"] = now

    def change(conn: Connection) -> None:
        _fence(conn, claimed, values)
        if part is not None:
            _record(conn, claimed, part[0], part[1], now)
        if move.status is Status.PUBLISHED:  # an evergreen post's next round, in this commit
            repeats.on_published(conn, claimed.id, now)
        if checkpoint is not None:
            conn.execute(
                delivery_parts.update()
                .where(delivery_parts.c.delivery_id == claimed.id,
                       delivery_parts.c.idx == checkpoint[0])
                .values(checkpoint=json.dumps(dict(checkpoint[1]), sort_keys=True)))
        conn.execute(
            accounts.update()
            .where(accounts.c.key == claimed.account,
                   accounts.c.busy_attempt == claimed.attempt_id)
            .values(busy_attempt=None, busy_until=None))
        conn.execute(
            attempts.update()
            .where(attempts.c.delivery_id == claimed.id,
                   attempts.c.attempt_id == claimed.attempt_id)
            .values(ended_at=now, outcome=move.outcome, detail=move.error))
        if move.status.value in TOLD:  # she is told in the same transaction, or not at all
            told.record_deliveries(conn, [claimed.id], move.status.value, now, move.error)

    store.write(change)
