"""The queue as the author sees it: add (in bulk), list, show, cancel, retry and reschedule.

Every change is one transaction: when anything in a command is wrong (an unknown id, a delivery
that cannot move that way) nothing is changed, and the error says why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.sql.expression import Insert

from content.errors import CrierError
from scheduler.outgoing import OutgoingImage
from scheduler.states import CANCELLABLE, RETRYABLE, IllegalTransition, Status
from scheduler.store import Store, dialects
from scheduler.store.schema import (
    accounts,
    attempts,
    blobs,
    deliveries,
    delivery_parts,
    part_images,
    posts,
    queued_content,
    sqlite_text,
    utc_wall_clock,
)


class NoSuchDelivery(CrierError):
    """An id that is not in the queue."""


class AlreadyQueued(CrierError):
    """The same content is already queued or published for that network and account."""


# A queued part's image is the image the publisher will send: one type for both.
NewImage = OutgoingImage


@dataclass(frozen=True)
class NewPart:
    index: int
    text: str
    payload: dict[str, Any] = field(default_factory=dict)
    images: tuple[NewImage, ...] = ()


@dataclass(frozen=True)
class NewDelivery:
    """One network's delivery of a post, ready to be stored: what, where, when."""

    platform: str
    account: str
    publisher: str
    due_at: datetime  # aware
    parts: tuple[NewPart, ...]
    wall: str | None = None
    zone: str | None = None
    time_note: str | None = None
    max_lateness: timedelta = timedelta(minutes=120)
    payload: dict[str, Any] = field(default_factory=dict)
    content_key: str | None = None  # what it says, hashed: set, the same is not queued twice


@dataclass(frozen=True)
class NewPost:
    source: str
    deliveries: tuple[NewDelivery, ...]
    title: str | None = None


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery as listed: where it stands and why."""

    id: int
    post_id: int
    source: str
    title: str | None
    platform: str
    account: str
    publisher: str
    status: str
    due_at: datetime
    wall: str | None
    zone: str | None
    time_note: str | None
    next_attempt_at: datetime
    miss_after: datetime
    attempts: int
    reconcile: bool
    parts: int
    live_parts: int
    last_error: str | None
    published_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def queue_posts(store: Store, new_posts: Sequence[NewPost], now: datetime, *,
                again: bool = False) -> list[DeliveryRow]:
    """Store every post and its deliveries in one transaction; returns the queued deliveries.
    Raises AlreadyQueued (and stores nothing) when a delivery's content is already queued or
    published for its account, unless `again`."""
    ids = store.write(lambda conn: insert_posts(conn, new_posts, now, again=again))
    return list_deliveries(store, ids=ids)


def insert_posts(conn: Connection, new_posts: Sequence[NewPost], now: datetime, *,
                 again: bool = False) -> list[int]:
    """The bulk insert behind `queue_posts`: a few multi-row statements, whatever the count.

    Returns the new delivery ids in the order given. This is the entry point for queueing many
    deliveries at once (benches, tests): no formatting, no rendering, only rows.
    """
    if not new_posts:
        return []
    keyed = [(p, d) for p in new_posts for d in p.deliveries if d.content_key]
    if keyed and not again:
        _refuse_repeats(conn, keyed)
    newest: dict[str, NewDelivery] = {}  # per account, its last delivery here
    for p in new_posts:
        for d in p.deliveries:
            if not d.parts:
                raise ValueError(f"a {d.platform} delivery with no parts")
            newest[d.account] = d
    if newest:
        conn.execute(_insert_ignore(conn, accounts, "key"), [
            {"key": key, "platform": d.platform, "publisher": d.publisher}
            for key, d in newest.items()])
    if dialects.of(conn).positional_bulk_insert:
        delivery_ids, with_images = _insert_rows_sqlite(conn, new_posts, now)
    else:
        delivery_ids, with_images = _insert_rows(conn, new_posts, now)
    if with_images:
        _insert_images(conn, with_images)
    if keyed:
        flat = [d for p in new_posts for d in p.deliveries]
        conn.execute(queued_content.insert(), [
            {"delivery_id": did, "platform": d.platform, "account": d.account,
             "content_key": d.content_key}
            for did, d in zip(delivery_ids, flat, strict=True) if d.content_key])
    dialects.of(conn).after_bulk_insert(conn, len(delivery_ids), "deliveries")
    return delivery_ids


def _refuse_repeats(conn: Connection, keyed: list[tuple[NewPost, NewDelivery]]) -> None:
    """AlreadyQueued for the first delivery whose content its account already has (anything
    but cancelled), or that appears twice in this batch. Atomic across processes: SQLite's
    BEGIN IMMEDIATE holds the only write lock; on PostgreSQL every queueing transaction takes
    the same advisory lock first, so two crier processes cannot both see "not there yet"."""
    dialects.of(conn).serialize(conn, dialects.QUEUEING_LOCK)
    seen: dict[tuple[str, str, str], str] = {}
    for post, d in keyed:
        key = (d.platform, d.account, d.content_key or "")
        if key in seen:
            raise AlreadyQueued(
                f"{post.source}: the same content for {d.platform} comes twice in this "
                f"command (also in {seen[key]}); queue it once, or add --again; nothing was "
                "queued")
        seen[key] = post.source
        earlier = conn.execute(
            select(deliveries.c.id, deliveries.c.status, deliveries.c.due_at)
            .join(queued_content, queued_content.c.delivery_id == deliveries.c.id)
            .where(queued_content.c.platform == d.platform,
                   queued_content.c.account == d.account,
                   queued_content.c.content_key == d.content_key,
                   deliveries.c.status != Status.CANCELLED.value)
            .order_by(deliveries.c.id.desc()).limit(1)).first()
        if earlier is not None:
            state = {"published": "published", "queued": "queued",
                     "publishing": "being published"}.get(earlier.status,
                                                           f"in the queue ({earlier.status})")
            raise AlreadyQueued(
                f"{post.source}: this content is already {state} for {d.platform} as delivery "
                f"{earlier.id} (due {earlier.due_at:%Y-%m-%d %H:%M} UTC); to queue it again "
                "anyway add --again; nothing was queued")


# A part with images, under its delivery's new id.
PartWithImages = tuple[int, NewPart]


def _insert_rows(conn: Connection, new_posts: Sequence[NewPost],
                 now: datetime) -> tuple[list[int], list[PartWithImages]]:
    """The posts, deliveries and parts through SQLAlchemy (PostgreSQL): RETURNING gives the new
    ids in the order given."""
    post_ids = _returning_ids(conn, posts, [
        {"source": p.source, "title": p.title, "created_at": now} for p in new_posts])
    flat = [(post_id, d) for post_id, p in zip(post_ids, new_posts, strict=True)
            for d in p.deliveries]
    if not flat:
        return [], []
    delivery_ids = _returning_ids(conn, deliveries,
                                  [_delivery_values(post_id, d, now) for post_id, d in flat])
    conn.execute(delivery_parts.insert(), [
        {"delivery_id": did, "idx": part.index, "text": part.text,
         "payload": _json(part.payload)}
        for did, (_, d) in zip(delivery_ids, flat, strict=True) for part in d.parts
    ])
    with_images = [(did, part) for did, (_, d) in zip(delivery_ids, flat, strict=True)
                   for part in d.parts if part.images]
    return delivery_ids, with_images


def _returning_ids(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    return list(conn.execute(
        table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars())


def _delivery_values(post_id: int, d: NewDelivery, now: datetime) -> dict[str, Any]:
    return {
        "post_id": post_id, "platform": d.platform, "account": d.account,
        "publisher": d.publisher, "status": Status.QUEUED.value, "due_at": d.due_at,
        "wall": d.wall, "zone": d.zone, "time_note": d.time_note,
        "next_attempt_at": d.due_at, "miss_after": d.due_at + d.max_lateness,
        "attempts": 0, "reconcile": False, "parts": len(d.parts),
        "payload": _json(d.payload),
        "created_at": now, "updated_at": now,
    }


# The SQLite fast path's columns, in the order `_insert_rows_sqlite` lays out each row's values.
_POST_COLUMNS = ("id", "source", "title", "created_at")
_DELIVERY_COLUMNS = (
    "id", "post_id", "platform", "account", "publisher", "due_at", "wall", "zone", "time_note",
    "next_attempt_at", "miss_after", "parts", "payload", "created_at", "updated_at")
_PART_COLUMNS = ("delivery_id", "idx", "text", "payload")
# What every new delivery starts with, written into the statement (SQL) rather than bound per row:
# queued, no failed attempt, nothing to reconcile.
_NEW_DELIVERY = {"status": f"'{Status.QUEUED.value}'", "attempts": "0", "reconcile": "0"}


def _insert_rows_sqlite(conn: Connection, new_posts: Sequence[NewPost],
                        now: datetime) -> tuple[list[int], list[PartWithImages]]:
    """The same rows as `_insert_rows`, on SQLite: the values built in one pass exactly as they
    are stored, and handed to the driver in multi-row INSERTs.

    SQLAlchemy's per-value type processing and a dict per row took most of the time of a bulk
    queue (bench/bench_queue.py). The values are only text, numbers and instants, which
    `utc_wall_clock` and `sqlite_text` convert exactly as UTCDateTime stores them; a contract
    test compares the rows with those `_insert_rows` writes. The ids are given here, as SQLite
    cannot promise the order of RETURNING rows in a multi-row INSERT: the write transaction
    holds SQLite's only write lock (BEGIN IMMEDIATE), so the ids after max(id) are ours.
    """
    stamp = sqlite_text(utc_wall_clock(now))
    post_id = _max_id(conn, posts)
    delivery_id = first_delivery = _max_id(conn, deliveries) + 1
    post_values: list[Any] = []
    delivery_values: list[Any] = []
    part_values: list[Any] = []
    with_images: list[PartWithImages] = []
    for p in new_posts:
        post_id += 1
        post_values += (post_id, p.source, p.title, stamp)
        for d in p.deliveries:
            due = utc_wall_clock(d.due_at)
            due_text = sqlite_text(due)
            delivery_values += (
                delivery_id, post_id, d.platform, d.account, d.publisher, due_text,
                d.wall, d.zone, d.time_note, due_text, sqlite_text(due + d.max_lateness),
                len(d.parts), _json(d.payload), stamp, stamp)
            for part in d.parts:
                part_values += (delivery_id, part.index, part.text, _json(part.payload))
                if part.images:
                    with_images.append((delivery_id, part))
            delivery_id += 1
    _insert_sqlite(conn, posts, _POST_COLUMNS, post_values)
    _insert_sqlite(conn, deliveries, _DELIVERY_COLUMNS, delivery_values, _NEW_DELIVERY)
    _insert_sqlite(conn, delivery_parts, _PART_COLUMNS, part_values)
    return list(range(first_delivery, delivery_id)), with_images


def _max_id(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.max(table.c.id))).scalar_one() or 0)


# Host parameters one statement may bind in any SQLite (999 before 3.32, 32766 since); more
# rows per statement measured no faster.
SQLITE_MAX_VARIABLES = 999


def _insert_sqlite(conn: Connection, table: Any, columns: Sequence[str], values: list[Any],
                   constants: dict[str, str] | None = None) -> None:
    """Insert into `table` the rows whose values lie end to end in `values`, in `columns` order,
    with `constants` (column: SQL literal) the same in every row.

    As many rows per statement as SQLite binds: the driver then runs a few dozen statements
    instead of one per row, and needs no tuple per row.
    """
    if not values:
        return
    width = len(columns)
    count = len(values) // width
    constants = constants or {}
    names = ", ".join(table.c[name].name for name in [*columns, *constants])
    row = f"({', '.join(['?'] * width + list(constants.values()))})"

    def statement(rows: int) -> str:
        return f"INSERT INTO {table.name} ({names}) VALUES {', '.join([row] * rows)}"

    per_statement = SQLITE_MAX_VARIABLES // width
    step = per_statement * width
    whole = len(values) - len(values) % step
    if whole:
        conn.exec_driver_sql(statement(per_statement),
                             [tuple(values[i:i + step]) for i in range(0, whole, step)])
    if whole < len(values):
        conn.exec_driver_sql(statement(count - whole // width), tuple(values[whole:]))


def _insert_images(conn: Connection, with_images: list[PartWithImages]) -> None:
    """Each image's bytes once, by content hash, and its place in its part."""
    image_rows = []
    blob_rows: dict[str, dict[str, Any]] = {}
    for did, part in with_images:
        for position, image in enumerate(part.images):
            sha = image.sha256
            blob_rows[sha] = {"sha256": sha, "format": image.format,
                              "size": len(image.data), "data": image.data}
            image_rows.append({"delivery_id": did, "idx": part.index, "position": position,
                               "sha256": sha, "format": image.format, "width": image.width,
                               "height": image.height, "alt": image.alt})
    conn.execute(_insert_ignore(conn, blobs, "sha256"), list(blob_rows.values()))
    conn.execute(part_images.insert(), image_rows)


_encode_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False)


def _json(payload: dict[str, Any]) -> str:
    return _encode_json(payload) if payload else "{}"


def _insert_ignore(conn: Connection, table: Any, key: str) -> Insert:
    return dialects.of(conn).insert_ignore(table, key)


def _live_parts() -> Any:
    return (
        select(func.count())
        .where(delivery_parts.c.delivery_id == deliveries.c.id,
               delivery_parts.c.remote_id.is_not(None))
        .scalar_subquery()
    )


def row_query() -> Any:
    """Deliveries with their post's source and title and how many parts are live: what every
    listing of the queue selects (this module's and the desk's)."""
    return select(
        deliveries, posts.c.source, posts.c.title, _live_parts().label("live_parts"),
    ).join(posts, posts.c.id == deliveries.c.post_id)


def to_row(r: Row[Any]) -> DeliveryRow:
    """A row of `row_query` as a DeliveryRow."""
    m = r._mapping
    return DeliveryRow(
        id=m["id"], post_id=m["post_id"], source=m["source"], title=m["title"],
        platform=m["platform"], account=m["account"], publisher=m["publisher"],
        status=m["status"], due_at=m["due_at"], wall=m["wall"], zone=m["zone"],
        time_note=m["time_note"], next_attempt_at=m["next_attempt_at"],
        miss_after=m["miss_after"], attempts=m["attempts"], reconcile=bool(m["reconcile"]),
        parts=m["parts"], live_parts=int(m["live_parts"] or 0), last_error=m["last_error"],
        published_at=m["published_at"],
    )


def list_deliveries(
    store: Store, *, status: Iterable[str] = (), ids: Sequence[int] | None = None,
    post_id: int | None = None, limit: int | None = None,
) -> list[DeliveryRow]:
    """Deliveries in due order, filtered by status, ids or post."""
    query = row_query().order_by(deliveries.c.due_at, deliveries.c.id)
    wanted = [Status(s).value for s in status]
    if wanted:
        query = query.where(deliveries.c.status.in_(wanted))
    if ids is not None:
        if not ids:
            return []
        query = query.where(deliveries.c.id.in_(list(ids)))
    if post_id is not None:
        query = query.where(deliveries.c.post_id == post_id)
    if limit is not None:
        query = query.limit(limit)
    return store.read(lambda conn: [to_row(r) for r in conn.execute(query)])


def counts(store: Store) -> dict[str, int]:
    """How many deliveries are in each state."""
    query = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
    return store.read(lambda conn: {r[0]: int(r[1]) for r in conn.execute(query)})


@dataclass(frozen=True)
class PartRow:
    index: int
    text: str
    remote_id: str | None
    remote_url: str | None
    sent_at: datetime | None
    images: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AttemptRow:
    attempt_id: str
    owner: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    detail: str | None


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: DeliveryRow
    parts: tuple[PartRow, ...]
    attempts: tuple[AttemptRow, ...]

    def to_json(self) -> dict[str, Any]:
        def plain(obj: Any) -> Any:
            data = {k: getattr(obj, k) for k in obj.__dataclass_fields__}
            return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}

        out = self.delivery.to_json()
        out["part_list"] = [
            {**plain(p), "images": list(p.images)} for p in self.parts]
        out["attempt_log"] = [plain(a) for a in self.attempts]
        return out


def show(store: Store, delivery_id: int) -> DeliveryDetail:
    def read(conn: Connection) -> DeliveryDetail:
        row = conn.execute(row_query().where(deliveries.c.id == delivery_id)).first()
        if row is None:
            raise NoSuchDelivery(f"no delivery {delivery_id}; `crier queue list` shows the ids")
        images: dict[int, list[dict[str, Any]]] = {}
        for image in conn.execute(
            select(part_images).where(part_images.c.delivery_id == delivery_id)
            .order_by(part_images.c.idx, part_images.c.position)
        ).mappings():
            images.setdefault(image["idx"], []).append(
                {"format": image["format"], "width": image["width"], "height": image["height"],
                 "alt": image["alt"], "sha256": image["sha256"]})
        parts = tuple(
            PartRow(p.idx, p.text, p.remote_id, p.remote_url, p.sent_at,
                    tuple(images.get(p.idx, ())))
            for p in conn.execute(
                select(delivery_parts).where(delivery_parts.c.delivery_id == delivery_id)
                .order_by(delivery_parts.c.idx))
        )
        log = tuple(
            AttemptRow(a.attempt_id, a.owner, a.started_at, a.ended_at, a.outcome, a.detail)
            for a in conn.execute(
                select(attempts).where(attempts.c.delivery_id == delivery_id)
                .order_by(attempts.c.id))
        )
        return DeliveryDetail(to_row(row), parts, log)

    return store.read(read)


def _load_for_change(conn: Connection, ids: Sequence[int]) -> list[DeliveryRow]:
    rows = {r.id: r for r in (to_row(x) for x in conn.execute(
        row_query().where(deliveries.c.id.in_(list(ids)))))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NoSuchDelivery(
            f"no delivery {', '.join(map(str, missing))}; `crier queue list` shows the ids; "
            "nothing was changed")
    return [rows[i] for i in ids]


def _update_if_unchanged(conn: Connection, row: DeliveryRow, values: dict[str, Any]) -> None:
    # The status read above still holds: on SQLite BEGIN IMMEDIATE guarantees it; on
    # PostgreSQL a daemon may have claimed the delivery since, which this WHERE catches.
    result = conn.execute(
        deliveries.update()
        .where(deliveries.c.id == row.id, deliveries.c.status == row.status)
        .values(**values)
    )
    if result.rowcount != 1:
        raise IllegalTransition(
            f"delivery {row.id} changed while this command ran (a daemon picked it up?); "
            "nothing was changed; look at it again with `crier queue show`")


def cancel(store: Store, ids: Sequence[int], now: datetime) -> list[DeliveryRow]:
    """Cancel deliveries not yet published. All or nothing."""
    def change(conn: Connection) -> None:
        for row in _load_for_change(conn, ids):
            if row.status not in CANCELLABLE:
                raise IllegalTransition(_cannot(row, "cancelled"))
            _update_if_unchanged(conn, row, {"status": Status.CANCELLED.value,
                                             "updated_at": now, "last_error": None})

    store.write(change)
    return list_deliveries(store, ids=ids)


# A retried delivery that is already due is the author saying "send it now": the lateness
# policy must not mark it missed again, however long the daemon takes to get to it.
NEVER_MISSED = datetime(9999, 12, 31, tzinfo=UTC)


def retry(store: Store, ids: Sequence[int], now: datetime) -> list[DeliveryRow]:
    """Send failed, missed, cancelled or needs-attention deliveries again, resuming after the
    last live part. One whose time is still ahead (a cancelled post, say) keeps its time; one
    already due goes now and is never marked missed. A queued delivery waiting for its next
    attempt after a failure is tried now. For needs_attention this is the author's word that
    the uncertain part is not on the network: it is sent again without looking."""
    def change(conn: Connection) -> None:
        for row in _load_for_change(conn, ids):
            if row.status == Status.QUEUED and row.next_attempt_at > max(row.due_at, now):
                _update_if_unchanged(conn, row, {"next_attempt_at": now, "updated_at": now,
                                                 "miss_after": NEVER_MISSED})
                continue
            if row.status not in RETRYABLE:
                raise IllegalTransition(_cannot(row, "retried"))
            ahead = row.due_at > now
            _update_if_unchanged(conn, row, {
                "status": Status.QUEUED.value, "next_attempt_at": row.due_at if ahead else now,
                "miss_after": row.miss_after if ahead else NEVER_MISSED, "attempts": 0,
                "reconcile": False, "last_error": None, "updated_at": now,
            })

    store.write(change)
    return list_deliveries(store, ids=ids)


@dataclass(frozen=True)
class Move:
    """A delivery's new time."""

    id: int
    due_at: datetime
    wall: str | None = None
    zone: str | None = None
    time_note: str | None = None


def reschedule(store: Store, moves: Sequence[Move], now: datetime) -> list[DeliveryRow]:
    """Move deliveries nothing of which is live yet to new times (queued again if needed).
    All or nothing."""
    def change(conn: Connection) -> None:
        rows = _load_for_change(conn, [m.id for m in moves])
        for row, move in zip(rows, moves, strict=True):
            if row.status not in RETRYABLE | {Status.QUEUED}:
                raise IllegalTransition(_cannot(row, "rescheduled"))
            if row.live_parts:
                raise IllegalTransition(
                    f"delivery {row.id} is partly published ({row.live_parts} of {row.parts} "
                    "parts live); `crier queue retry` it to send the rest; nothing was changed")
            if row.reconcile:
                # Its last attempt may have landed, and a network may name the post after its
                # time (a record key): a new time would lose track of it.
                raise IllegalTransition(
                    f"delivery {row.id} may already be on the network (its last attempt got "
                    "no answer) and is looked up before anything is sent again; reschedule it "
                    "once that is settled, or `crier queue retry` it; nothing was changed")
            _update_if_unchanged(conn, row, {
                "status": Status.QUEUED.value, "due_at": move.due_at, "wall": move.wall,
                "zone": move.zone, "time_note": move.time_note, "next_attempt_at": move.due_at,
                "miss_after": move.due_at + (row.miss_after - row.due_at), "attempts": 0,
                "reconcile": False, "last_error": None, "updated_at": now,
            })

    store.write(change)
    return list_deliveries(store, ids=[m.id for m in moves])


def _cannot(row: DeliveryRow, verb: str) -> str:
    hint = {
        "publishing": "it is being published right now",
        "published": "it is already published",
        "queued": f"it is queued for {row.due_at:%Y-%m-%d %H:%M} UTC; to send it now, "
                  f"`crier queue reschedule {row.id} --now`",
    }.get(row.status, f"it is {row.status}")
    return f"delivery {row.id} ({row.platform}) cannot be {verb}: {hint}; nothing was changed"
