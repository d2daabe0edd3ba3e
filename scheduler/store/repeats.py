"""Evergreen repeats in the store: series and their rounds, re-queued as each round publishes.

A series is stored at queue time with every round already composed (and its images stored), so
re-queueing is rows only: `on_published` runs inside the transaction that marks a round
published and queues the next round in it. A crash therefore loses no repeat (both commit, or
neither) and doubles none (a round becomes a delivery once: the round row is fenced on "not
queued yet").

When a round goes: at the first free slot at or after the interval, counted in local calendar
days from the round before, in the network's posting slots (or at the first round's time of day
where the network has none), with at most `per_day` deliveries on that network a day and none
closer than the spacing. A round that fell behind (the daemon was down) is moved the same way
by `catch_up` before anything is claimed: late repeats go one free slot at a time, never in a
batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select

from content.errors import CrierError
from scheduler import spreading, timing
from scheduler.states import Status
from scheduler.store import Store, dialects
from scheduler.store import queue as q
from scheduler.store.schema import (
    blobs,
    deliveries,
    delivery_parts,
    posts,
    repeat_rounds,
    repeats,
    slots,
)

ACTIVE, STOPPED, FINISHED = "active", "stopped", "finished"
# A round due longer ago than this when the daemon looks has fallen behind: it is moved to the
# next free slot instead of going out with whatever else is late.
BEHIND = timedelta(minutes=10)
# Published within this of its due time, a round counts from its slot (09:00 stays 09:00);
# later (retried after a failure, say), from when it actually went out.
ON_TIME = timedelta(hours=12)
_HOLDING = (Status.QUEUED.value, Status.PUBLISHING.value, Status.PUBLISHED.value)


class NoSuchRepeat(CrierError):
    """A repeat id that is not there."""


@dataclass(frozen=True)
class NewSeries:
    """A delivery's repeats, composed at queue time: round 1 onwards, each a tuple of parts."""

    every: timedelta
    written: str
    zone: str
    per_day: int
    spacing: timedelta
    rounds: tuple[tuple[q.NewPart, ...], ...]
    content_keys: tuple[str | None, ...]
    payloads: tuple[dict[str, Any], ...] = field(default=())


@dataclass(frozen=True)
class RepeatRow:
    """A series as listed: what, where, how far along, and what comes next."""

    id: int
    source: str
    title: str | None
    platform: str
    every: str
    times: int
    published: int  # rounds published so far, the first publication included
    status: str
    next_delivery: int | None
    next_due: datetime | None
    next_status: str | None

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


# -- queue time ------------------------------------------------------------------------------

def insert_series(conn: Connection, items: Sequence[tuple[int, q.NewDelivery, NewSeries]],
                  now: datetime) -> None:
    """Store each series with its rounds, in the transaction that queued its first delivery."""
    for delivery_id, first, series in items:
        repeat_id = conn.execute(repeats.insert().values(
            source=_source(conn, delivery_id), title=_title(conn, delivery_id),
            platform=first.platform, account=first.account, publisher=first.publisher,
            every_days=series.every.days, every_written=series.written,
            times=len(series.rounds), zone=series.zone, per_day=series.per_day,
            spacing_minutes=int(series.spacing.total_seconds() // 60),
            lateness_minutes=int(first.max_lateness.total_seconds() // 60),
            status=ACTIVE, created_at=now).returning(repeats.c.id)).scalar_one()
        rows = [{"repeat_id": repeat_id, "round": 0, "delivery_id": delivery_id,
                 "parts": "[]", "content_key": first.content_key, "payload": "{}"}]
        for number, parts in enumerate(series.rounds, 1):
            _store_images(conn, parts)
            payload = series.payloads[number - 1] if series.payloads else {}
            rows.append({"repeat_id": repeat_id, "round": number, "delivery_id": None,
                         "parts": json.dumps([_part_json(p) for p in parts],
                                             ensure_ascii=False),
                         "content_key": series.content_keys[number - 1],
                         "payload": json.dumps(payload, ensure_ascii=False)})
        conn.execute(repeat_rounds.insert(), rows)


def _source(conn: Connection, delivery_id: int) -> str:
    found = conn.execute(select(posts.c.source).join(deliveries, deliveries.c.post_id ==
                                                     posts.c.id)
                         .where(deliveries.c.id == delivery_id)).scalar_one()
    return str(found)


def _title(conn: Connection, delivery_id: int) -> str | None:
    found = conn.execute(select(posts.c.title).join(deliveries, deliveries.c.post_id ==
                                                    posts.c.id)
                         .where(deliveries.c.id == delivery_id)).scalar()
    return None if found is None else str(found)


def _store_images(conn: Connection, parts: Sequence[q.NewPart]) -> None:
    rows = {image.sha256: {"sha256": image.sha256, "format": image.format,
                           "size": len(image.data), "data": image.data}
            for part in parts for image in part.images}
    if rows:
        conn.execute(dialects.of(conn).insert_ignore(blobs, "sha256"), list(rows.values()))


def _part_json(part: q.NewPart) -> dict[str, Any]:
    return {"index": part.index, "text": part.text, "payload": part.payload,
            "images": [{"sha256": i.sha256, "format": i.format, "width": i.width,
                        "height": i.height, "alt": i.alt} for i in part.images]}


# -- publish time ----------------------------------------------------------------------------

def on_published(conn: Connection, delivery_id: int, now: datetime) -> int | None:
    """In the transaction marking `delivery_id` published: queue its series' next round, if
    any; returns the new delivery's id. A series whose last round this was is finished."""
    found = conn.execute(select(repeat_rounds.c.repeat_id, repeat_rounds.c.round)
                         .where(repeat_rounds.c.delivery_id == delivery_id)).first()
    if found is None:
        return None
    series = conn.execute(select(repeats).where(repeats.c.id == found.repeat_id)).one()
    if series.status != ACTIVE:
        return None
    number = found.round + 1
    if number > series.times:
        conn.execute(repeats.update().where(repeats.c.id == series.id)
                     .values(status=FINISHED))
        return None
    round_row = conn.execute(select(repeat_rounds).where(
        repeat_rounds.c.repeat_id == series.id, repeat_rounds.c.round == number)).one()
    if round_row.delivery_id is not None:
        return None  # queued already (the author confirmed by hand, then the daemon did)
    published = conn.execute(select(deliveries.c.due_at, deliveries.c.published_at,
                                    deliveries.c.miss_after)
                             .where(deliveries.c.id == delivery_id)).one()
    base = published.published_at or now
    if base - published.due_at <= ON_TIME:
        base = published.due_at  # on time: the interval runs from its slot, not its minute
    earliest = spreading.days_later(base, series.every_days, series.zone)
    slot = next_free(conn, series, earliest)
    new_id = _queue_round(conn, series, round_row, slot, now)
    conn.execute(repeat_rounds.update().where(
        repeat_rounds.c.repeat_id == series.id, repeat_rounds.c.round == number,
        repeat_rounds.c.delivery_id.is_(None)).values(delivery_id=new_id))
    return new_id


def _queue_round(conn: Connection, series: Any, round_row: Any, slot: timing.Resolved,
                 now: datetime) -> int:
    parts = tuple(_new_part(conn, p) for p in json.loads(round_row.parts))
    delivery = q.NewDelivery(
        platform=series.platform, account=series.account, publisher=series.publisher,
        due_at=slot.instant, parts=parts, wall=slot.wall, zone=slot.zone,
        time_note=slot.note, max_lateness=timedelta(minutes=series.lateness_minutes),
        payload=json.loads(round_row.payload), content_key=round_row.content_key)
    new = q.NewPost(source=series.source, title=series.title, deliveries=(delivery,))
    # Checked at queue time: every round differs where the network refuses a repeat.
    (new_id,) = q.insert_posts(conn, [new], now, again=True)
    return new_id


def _new_part(conn: Connection, data: dict[str, Any]) -> q.NewPart:
    images = []
    for image in data["images"]:
        blob = conn.execute(select(blobs.c.data).where(
            blobs.c.sha256 == image["sha256"])).scalar_one()
        images.append(q.NewImage(bytes(blob), image["format"], image["width"],
                                 image["height"], image["alt"]))
    return q.NewPart(data["index"], data["text"], data["payload"], tuple(images))


# -- when: the next free slot under the cap and the spacing ---------------------------------------

def next_free(conn: Connection, series: Any, earliest: datetime,
              ignore: int | None = None, clock: str | None = None) -> timing.Resolved:
    """The first slot at or after `earliest` on the series' network that keeps at most
    `per_day` deliveries on a local day and every two `spacing` apart. Without posting slots,
    a time of day: `clock` ("HH:MM"), else `earliest`'s own."""
    spec = conn.execute(select(slots.c.spec).where(
        slots.c.platform == series.platform)).scalar()
    when = func.coalesce(deliveries.c.published_at, deliveries.c.due_at)
    query = select(deliveries.c.id, when.label("at")).where(
        deliveries.c.platform == series.platform, deliveries.c.status.in_(_HOLDING),
        when >= earliest - timedelta(days=2))
    busy = [row.at for row in conn.execute(query) if row.id != ignore]
    zone = series.zone
    candidates: Iterator[timing.Resolved]
    just_before = earliest - timedelta(microseconds=1)  # a slot exactly at `earliest` is free
    if spec:
        candidates = timing.next_slots(timing.parse_slots(spec), zone, just_before, busy)
    else:
        candidates = spreading.same_time_daily(earliest, zone, clock)
    return spreading.first_free(candidates, busy, series.per_day,
                                timedelta(minutes=series.spacing_minutes), zone, earliest)


# -- the daemon's look before claiming ----------------------------------------------------------

def _behind_query(now: datetime) -> Any:
    # Led by (status, next_attempt_at), the claim's own index: it reads only what is overdue,
    # however many deliveries are queued for later. A round never tried has its next attempt
    # at its due time; one the author retried is hers to send now, and is left alone.
    late = now - BEHIND
    return (select(deliveries.c.id, deliveries.c.due_at, deliveries.c.miss_after,
                   deliveries.c.wall, repeat_rounds.c.repeat_id)
            .join(repeat_rounds, and_(repeat_rounds.c.delivery_id == deliveries.c.id,
                                      repeat_rounds.c.round > 0))
            .where(deliveries.c.status == Status.QUEUED.value,
                   deliveries.c.next_attempt_at < late, deliveries.c.due_at < late,
                   deliveries.c.attempts == 0)
            .order_by(deliveries.c.due_at, deliveries.c.id))


def catch_up(store: Store, now: datetime) -> list[int]:
    """Move every repeat that fell behind to the next free slot from now, one at a time in due
    order, so a long outage does not end in a burst; returns the ids moved. A read first: an
    idle queue costs no write lock."""
    def behind(conn: Connection) -> bool:
        # No series going: nothing can be behind, whatever else is overdue (a cheap look).
        active = select(repeats.c.id).where(repeats.c.status == ACTIVE).limit(1)
        if conn.execute(active).first() is None:
            return False
        return conn.execute(_behind_query(now).limit(1)).first() is not None

    if not store.read(behind):
        return []

    def change(conn: Connection) -> list[int]:
        moved = []
        for row in conn.execute(_behind_query(now)).all():
            if conn.execute(select(func.count()).where(
                    delivery_parts.c.delivery_id == row.id,
                    delivery_parts.c.remote_id.is_not(None))).scalar_one():
                continue  # a thread partly out is finished where it is
            series = conn.execute(select(repeats).where(repeats.c.id == row.repeat_id)).one()
            # Its own time of day where the network has no slots: 09:00 stays 09:00.
            clock = row.wall[11:16] if row.wall else None
            slot = next_free(conn, series, now, ignore=row.id, clock=clock)
            lateness = row.miss_after - row.due_at
            note = (f"a repeat that fell behind (due {row.due_at:%Y-%m-%d %H:%M} UTC), "
                    "moved to the next free slot")
            conn.execute(deliveries.update().where(
                deliveries.c.id == row.id, deliveries.c.status == Status.QUEUED.value)
                .values(due_at=slot.instant, next_attempt_at=slot.instant,
                        miss_after=slot.instant + lateness, wall=slot.wall, zone=slot.zone,
                        time_note=note, updated_at=now))
            moved.append(row.id)
        return moved

    return store.write(change)


# -- the author's view -------------------------------------------------------------------------

def list_series(store: Store) -> list[RepeatRow]:
    def read(conn: Connection) -> list[RepeatRow]:
        out = []
        for series in conn.execute(select(repeats).order_by(repeats.c.id)).all():
            rounds = conn.execute(
                select(repeat_rounds.c.round, deliveries.c.id, deliveries.c.status,
                       deliveries.c.due_at)
                .join(deliveries, deliveries.c.id == repeat_rounds.c.delivery_id)
                .where(repeat_rounds.c.repeat_id == series.id)
                .order_by(repeat_rounds.c.round)).all()
            published = sum(1 for r in rounds if r.status == Status.PUBLISHED.value)
            waiting = [r for r in rounds if r.status != Status.PUBLISHED.value]
            nxt = waiting[0] if waiting else None
            out.append(RepeatRow(
                series.id, series.source, series.title, series.platform,
                series.every_written, series.times, published, series.status,
                nxt.id if nxt else None, nxt.due_at if nxt else None,
                nxt.status if nxt else None))
        return out

    return store.read(read)


def stop(store: Store, repeat_id: int, now: datetime) -> list[int]:
    """Stop a series: no further round is queued, and a round queued and not yet started is
    cancelled (the first publication is the post itself, and stays). Returns what was
    cancelled."""
    def change(conn: Connection) -> list[int]:
        series = conn.execute(select(repeats.c.status).where(repeats.c.id == repeat_id)).first()
        if series is None:
            raise NoSuchRepeat(f"no repeat {repeat_id}; `crier queue repeats` lists them; "
                               "nothing was changed")
        conn.execute(repeats.update().where(repeats.c.id == repeat_id)
                     .values(status=STOPPED, stopped_at=now))
        queued = list(conn.execute(
            select(deliveries.c.id).join(repeat_rounds,
                                         repeat_rounds.c.delivery_id == deliveries.c.id)
            .where(repeat_rounds.c.repeat_id == repeat_id, repeat_rounds.c.round > 0,
                   deliveries.c.status == Status.QUEUED.value)).scalars())
        if queued:
            conn.execute(deliveries.update().where(deliveries.c.id.in_(queued))
                         .values(status=Status.CANCELLED.value, updated_at=now))
        return queued

    return store.write(change)
