"""The notifications table: events written beside the change that causes them, and the
sender's claim, success and failure, each fenced so that two daemons never send one event
together.

An event is `pending` until every channel configured at sending time has taken it, then `sent`
(or `logged` when no channel is configured). A sender claims due events with a lease; a sender
killed while sending leaves its lease to expire, and the events are sent again: at least once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from scheduler.notify.kinds import FOR_STATUS, Kind
from scheduler.store import Store, dialects
from scheduler.store.schema import deliveries, notifications, posts

PENDING, SENT, LOGGED, SKIPPED = "pending", "sent", "logged", "skipped"


@dataclass(frozen=True)
class NewEvent:
    kind: Kind
    title: str | None = None
    detail: str | None = None
    platform: str | None = None
    account: str | None = None
    delivery_id: int | None = None
    data: dict[str, Any] | None = None
    once_key: str | None = None
    status: str = PENDING  # SKIPPED: recorded only so it is not made again (an empty digest)


@dataclass(frozen=True)
class Event:
    """An event as stored."""

    id: int
    kind: Kind
    delivery_id: int | None
    platform: str | None
    account: str | None
    title: str | None
    detail: str | None
    data: dict[str, Any]
    happened_at: datetime
    status: str
    channels_done: frozenset[str]
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["channels_done"] = sorted(self.channels_done)
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


def record(conn: Connection, event: NewEvent, now: datetime) -> bool:
    """Write `event` in the caller's transaction; False when its once_key was already used."""
    values = {
        "kind": event.kind.value, "delivery_id": event.delivery_id, "platform": event.platform,
        "account": event.account, "title": event.title, "detail": event.detail,
        "data": json.dumps(event.data or {}, sort_keys=True, default=str),
        "happened_at": now, "once_key": event.once_key, "status": event.status,
        "channels_done": "", "attempts": 0, "next_attempt_at": now,
    }
    if event.once_key is None:
        conn.execute(notifications.insert().values(**values))
        return True
    result = conn.execute(
        dialects.of(conn).insert_ignore(notifications, "once_key").values(**values))
    return bool(result.rowcount)


def record_deliveries(conn: Connection, ids: Sequence[int], status: str, now: datetime,
                      detail: str | None = None) -> None:
    """An event for each delivery of `ids` that has just become `status` (failed, missed,
    needs_attention), in the caller's transaction: the post's title, the network, when it was
    due and by how much it is late go with it."""
    if not ids:
        return
    kind = FOR_STATUS[status]
    rows = conn.execute(
        select(deliveries.c.id, deliveries.c.platform, deliveries.c.account,
               deliveries.c.due_at, deliveries.c.miss_after, deliveries.c.zone,
               deliveries.c.last_error, posts.c.title, posts.c.source)
        .join(posts, posts.c.id == deliveries.c.post_id)
        .where(deliveries.c.id.in_(list(ids))).order_by(deliveries.c.id)).all()
    for row in rows:
        data = {"due_at": row.due_at.isoformat(), "zone": row.zone, "source": row.source,
                "late_minutes": max(0, int((now - row.due_at).total_seconds() // 60)),
                "max_lateness_minutes": int((row.miss_after - row.due_at).total_seconds() // 60)}
        record(conn, NewEvent(kind, row.title or row.source, detail or row.last_error,
                              row.platform, row.account, row.id, data), now)


def _event(row: Any) -> Event:
    m = row._mapping
    return Event(
        id=m["id"], kind=Kind(m["kind"]), delivery_id=m["delivery_id"], platform=m["platform"],
        account=m["account"], title=m["title"], detail=m["detail"],
        data=json.loads(m["data"] or "{}"), happened_at=m["happened_at"], status=m["status"],
        channels_done=frozenset(c for c in (m["channels_done"] or "").split(",") if c),
        attempts=m["attempts"], next_attempt_at=m["next_attempt_at"], sent_at=m["sent_at"],
        last_error=m["last_error"])


def _sendable(now: datetime, due_by: datetime | None = None) -> Any:
    """Pending, due by `due_by` (None: whenever due), and held by no live lease at `now`."""
    free = and_(notifications.c.status == PENDING,
                or_(notifications.c.lease_until.is_(None), notifications.c.lease_until < now))
    return free if due_by is None else and_(free, notifications.c.next_attempt_at <= due_by)


def oldest_due(store: Store, now: datetime) -> datetime | None:
    """When the oldest event ready to send happened (the grouping window runs from it)."""
    return store.read(lambda conn: conn.execute(
        select(func.min(notifications.c.happened_at)).where(_sendable(now, now))).scalar())


def claim(store: Store, now: datetime, owner: str, lease: timedelta, *,
          due_by: datetime | None, limit: int = 500) -> list[Event]:
    """Take the pending events due by `due_by` (None: every one) for `owner` until
    `now + lease`, oldest first."""
    def change(conn: Connection) -> list[Event]:
        ids = list(conn.execute(
            select(notifications.c.id).where(_sendable(now, due_by))
            .order_by(notifications.c.happened_at, notifications.c.id).limit(limit)).scalars())
        if not ids:
            return []
        # The condition again in the UPDATE: on PostgreSQL a sender that claimed them first
        # has changed the rows, and this one skips them.
        taken = list(conn.execute(
            notifications.update().where(notifications.c.id.in_(ids), _sendable(now, due_by))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(notifications.c.id)).scalars())
        return [_event(r) for r in conn.execute(
            select(notifications).where(notifications.c.id.in_(taken))
            .order_by(notifications.c.happened_at, notifications.c.id))]

    return store.write(change)


def delivered(store: Store, events: Iterable[Event], channel: str,
              channels: frozenset[str], now: datetime, owner: str) -> None:
    """`channel` took `events`; an event every channel of `channels` has taken is sent."""
    def change(conn: Connection) -> None:
        for event in events:
            done = set(conn.execute(select(notifications.c.channels_done).where(
                notifications.c.id == event.id)).scalar_one().split(",")) - {""}
            done.add(channel)
            values: dict[str, Any] = {"channels_done": ",".join(sorted(done))}
            if channels <= done:
                values.update(status=SENT, sent_at=now, lease_owner=None, lease_until=None,
                              last_error=None)
            conn.execute(notifications.update().where(notifications.c.id == event.id)
                         .values(**values))

    store.write(change)


def logged(store: Store, events: Iterable[Event], now: datetime) -> None:
    """No channel is configured: the log was the only place to tell, and it was told."""
    ids = [e.id for e in events]
    store.write(lambda conn: conn.execute(
        notifications.update().where(notifications.c.id.in_(ids), notifications.c.status == PENDING)
        .values(status=LOGGED, sent_at=now, lease_owner=None, lease_until=None)))


def not_delivered(store: Store, events: Iterable[Event], error: str,
                  retry_at: dict[int, datetime]) -> None:
    """A channel could not take `events`: count the failure, come back at `retry_at[id]`."""
    def change(conn: Connection) -> None:
        for event in events:
            conn.execute(notifications.update().where(notifications.c.id == event.id).values(
                attempts=notifications.c.attempts + 1, last_error=error,
                next_attempt_at=retry_at[event.id], lease_owner=None, lease_until=None))

    store.write(change)


def release(store: Store, events: Iterable[Event]) -> None:
    """Give back what was claimed and not finished (the daemon is stopping)."""
    ids = [e.id for e in events]
    store.write(lambda conn: conn.execute(
        notifications.update().where(notifications.c.id.in_(ids), notifications.c.status == PENDING)
        .values(lease_owner=None, lease_until=None)))


def list_events(store: Store, *, status: Sequence[str] = (), limit: int | None = 50,
                kinds: Sequence[str] = ()) -> list[Event]:
    """The latest events first, filtered by status and kind."""
    query = select(notifications).order_by(notifications.c.id.desc())
    if status:
        query = query.where(notifications.c.status.in_(list(status)))
    if kinds:
        query = query.where(notifications.c.kind.in_(list(kinds)))
    if limit is not None:
        query = query.limit(limit)
    return store.read(lambda conn: [_event(r) for r in conn.execute(query)])


def pending_count(store: Store) -> int:
    return int(store.read(lambda conn: conn.execute(
        select(func.count()).select_from(notifications)
        .where(notifications.c.status == PENDING)).scalar()) or 0)


def once_used(store: Store, once_key: str) -> bool:
    return store.read(lambda conn: conn.execute(
        select(notifications.c.id).where(notifications.c.once_key == once_key)).first()
        is not None)
