"""The daemon's side of the queue: the atomic claim, lease renewal, the reaper and the miss sweep.

A claim takes, for each account with nothing in flight, its earliest due delivery, and marks
both the delivery (`publishing`, attempt id, lease) and the account (busy, same lease) in one
transaction. Several daemons can claim at once and no delivery goes to two of them:

- SQLite: the transaction starts with BEGIN IMMEDIATE, so claims run one at a time, and the
  UPDATE ... RETURNING reports exactly the rows this claim changed.
- PostgreSQL: the account rows are read `FOR UPDATE SKIP LOCKED`: two daemons claiming together
  take disjoint accounts without waiting on each other, and the UPDATE re-checks `status` on
  the row, so a delivery cancelled meanwhile is not taken.

The cost does not grow with the queue: per free account, one probe of the index on
(status, account, next_attempt_at) finds its earliest due delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    ScalarSelect,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
)

from scheduler.states import Status, lease_expired
from scheduler.store import Store, dialects, notifications
from scheduler.store.schema import UTCDateTime, accounts, attempts, deliveries, delivery_parts

QUEUED, PUBLISHING = Status.QUEUED.value, Status.PUBLISHING.value


@dataclass(frozen=True)
class Claimed:
    """A delivery this daemon now holds, until `lease_until` unless renewed."""

    id: int
    platform: str
    account: str
    publisher: str
    attempt_id: str
    owner: str
    due_at: datetime
    miss_after: datetime
    attempts: int
    reconcile: bool
    parts: int
    lease_until: datetime


def _earliest_due(now: datetime, column: str) -> ScalarSelect[Any]:
    return (
        select(deliveries.c[column])
        .where(deliveries.c.status == QUEUED, deliveries.c.account == accounts.c.key,
               deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(1)
        .correlate(accounts)
        .scalar_subquery()
    )


def candidates_query(now: datetime, limit: int, dialect: str) -> Select[Any]:
    """Free accounts with something due, earliest first, with that delivery's id."""
    due_id = _earliest_due(now, "id")
    due_at = _earliest_due(now, "next_attempt_at")
    query = (
        select(accounts.c.key, due_id.label("delivery_id"))
        .where(or_(accounts.c.busy_until.is_(None), accounts.c.busy_until < now),
               due_id.is_not(None))
        .order_by(due_at, accounts.c.key)
        .limit(limit)
    )
    return dialects.named(dialect).claim_lock(query, of=accounts)


def claim_due(
    store: Store, *, now: datetime, owner: str, limit: int, lease: timedelta,
) -> list[Claimed]:
    """Claim up to `limit` due deliveries, at most one per account, for `owner`."""
    if limit <= 0:
        return []
    return store.write(lambda conn: _claim(conn, now, owner, limit, lease))


def _claim(conn: Connection, now: datetime, owner: str, limit: int,
           lease: timedelta) -> list[Claimed]:
    rows = conn.execute(candidates_query(now, limit, conn.dialect.name)).all()
    ids = [r.delivery_id for r in rows]
    if not ids:
        return []
    attempt_id = uuid.uuid4().hex
    until = now + lease
    # PostgreSQL: the status test re-checks each row as the UPDATE locks it (a delivery
    # cancelled since the SELECT is skipped). SQLite: nothing can have changed under BEGIN
    # IMMEDIATE, and without the test its planner looks the rows up by id rather than walking
    # an index on status over the whole queue.
    still_queued: ColumnElement[bool] = deliveries.c.id.in_(ids)
    if dialects.of(conn).rechecks_on_claim:
        still_queued = and_(still_queued, deliveries.c.status == QUEUED)
    claimed = conn.execute(
        deliveries.update()
        .where(still_queued)
        .values(status=PUBLISHING, attempt_id=attempt_id, lease_owner=owner,
                lease_until=until, updated_at=now)
        .returning(deliveries.c.id, deliveries.c.platform, deliveries.c.account,
                   deliveries.c.publisher, deliveries.c.due_at, deliveries.c.miss_after,
                   deliveries.c.attempts, deliveries.c.reconcile, deliveries.c.parts)
    ).all()
    if not claimed:
        return []
    conn.execute(
        accounts.update().where(accounts.c.key.in_([c.account for c in claimed]))
        .values(busy_attempt=attempt_id, busy_until=until)
    )
    conn.execute(attempts.insert(), [
        {"delivery_id": c.id, "attempt_id": attempt_id, "owner": owner, "started_at": now}
        for c in claimed
    ])
    return sorted(
        (Claimed(c.id, c.platform, c.account, c.publisher, attempt_id, owner, c.due_at,
                 c.miss_after, c.attempts, bool(c.reconcile), c.parts, until) for c in claimed),
        key=lambda c: (c.due_at, c.id),
    )


def renew(store: Store, held: Sequence[Claimed], now: datetime, lease: timedelta) -> set[int]:
    """Extend the leases of deliveries still held; returns the ids still ours."""
    if not held:
        return set()
    until = now + lease
    ids = [c.id for c in held]
    attempt_ids = sorted({c.attempt_id for c in held})

    def change(conn: Connection) -> set[int]:
        kept = set(conn.execute(
            deliveries.update()
            .where(deliveries.c.id.in_(ids), deliveries.c.attempt_id.in_(attempt_ids),
                   deliveries.c.status == PUBLISHING)
            .values(lease_until=until)
            .returning(deliveries.c.id)
        ).scalars())
        conn.execute(
            accounts.update()
            .where(accounts.c.key.in_(sorted({c.account for c in held if c.id in kept})),
                   accounts.c.busy_attempt.in_(attempt_ids))
            .values(busy_until=until))
        return kept

    return store.write(change)


def reap(store: Store, now: datetime) -> list[int]:
    """Requeue deliveries whose daemon stopped mid-publish (lease expired), to be reconciled
    before any resend, and free accounts whose lease expired. Returns the requeued ids."""
    move = lease_expired(now)

    def change(conn: Connection) -> list[int]:
        expired = conn.execute(
            select(deliveries.c.id, deliveries.c.attempt_id)
            .where(deliveries.c.status == PUBLISHING, deliveries.c.lease_until < now)
        ).all()
        requeued: list[int] = []
        for row in expired:
            result = conn.execute(
                deliveries.update()
                .where(deliveries.c.id == row.id, deliveries.c.attempt_id == row.attempt_id,
                       deliveries.c.status == PUBLISHING, deliveries.c.lease_until < now)
                .values(status=move.status.value, reconcile=True, next_attempt_at=now,
                        lease_owner=None, lease_until=None, last_error=move.error,
                        updated_at=now))
            if result.rowcount == 1:
                requeued.append(row.id)
                conn.execute(
                    attempts.update()
                    .where(attempts.c.delivery_id == row.id,
                           attempts.c.attempt_id == row.attempt_id,
                           attempts.c.ended_at.is_(None))
                    .values(ended_at=now, outcome=move.outcome, detail=move.error))
        conn.execute(
            accounts.update().where(accounts.c.busy_until < now)
            .values(busy_attempt=None, busy_until=None))
        return requeued

    return store.write(change)


MISSED_MESSAGE = (
    "nothing was sent within the max lateness after its due time (was the daemon running?); "
    "`crier queue retry` or `reschedule` it to send it"
)


def sweep_missed(store: Store, now: datetime) -> list[int]:
    """Mark missed every queued delivery past its max lateness with nothing live and nothing
    possibly sent (see `states.is_late`). Returns their ids, to be reported."""
    live = exists().where(delivery_parts.c.delivery_id == deliveries.c.id,
                          delivery_parts.c.remote_id.is_not(None))
    # Only due rows: one whose next attempt is still ahead (a rate limit's reset) is judged
    # when it comes due. This keeps the sweep on the (status, next_attempt_at) index.
    due = and_(deliveries.c.status == QUEUED, deliveries.c.next_attempt_at <= now,
               deliveries.c.miss_after < now, deliveries.c.reconcile.is_(False), ~live)

    def change(conn: Connection) -> list[int]:
        missed = sorted(conn.execute(
            deliveries.update().where(due)
            .values(status=Status.MISSED.value, last_error=MISSED_MESSAGE, updated_at=now)
            .returning(deliveries.c.id)
        ).scalars())
        # Told in the same transaction: a miss is never recorded without its notification.
        notifications.record_deliveries(conn, missed, Status.MISSED.value, now)
        return missed

    return store.write(change)


@dataclass(frozen=True)
class QueueState:
    """What the daemon needs to decide when to wake and whether it is idle."""

    due_now: int  # queued and due
    in_flight: int  # publishing, by any daemon
    next_due: datetime | None  # the earliest next_attempt_at of a queued delivery


def queue_state(store: Store, now: datetime) -> QueueState:
    def read(conn: Connection) -> QueueState:
        next_due = conn.execute(
            select(func.min(deliveries.c.next_attempt_at))
            .where(deliveries.c.status == QUEUED)).scalar()
        due_now = 0
        if next_due is not None and next_due <= now:
            due_now = int(conn.execute(select(func.count()).select_from(
                select(deliveries.c.id).where(deliveries.c.status == QUEUED,
                                              deliveries.c.next_attempt_at <= now)
                .limit(1000).subquery())).scalar() or 0)
        in_flight = int(conn.execute(
            select(func.count()).select_from(
                select(deliveries.c.id).where(deliveries.c.status == PUBLISHING)
                .subquery())).scalar() or 0)
        return QueueState(due_now, in_flight, next_due)

    return store.read(read)


def explain_claim(store: Store, now: datetime, limit: int = 8) -> str:
    """The database's plan for the claim's candidate query (benches show it uses the index)."""
    query = candidates_query(now, limit, store.dialect)

    def read(conn: Connection) -> str:
        compiled = query.compile(
            dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        stamp = UTCDateTime()
        params = {
            key: stamp.process_bind_param(value, conn.dialect)
            if isinstance(value, datetime) else value
            for key, value in compiled.params.items()
        }
        dialect = dialects.of(conn)
        if dialect.positional_bulk_insert:  # the driver takes positional parameters
            args: Any = tuple(str(params[k]) if isinstance(params[k], datetime) else params[k]
                              for k in compiled.positiontup or ())
        else:
            args = params
        sql = f"{dialect.explain} {compiled}"
        rows = conn.exec_driver_sql(sql, args)
        return "\n".join(" ".join(str(v) for v in r) for r in rows)

    return store.read(read)

