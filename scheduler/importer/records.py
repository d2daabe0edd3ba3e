"""The feeds the daemon watches, the items it has seen of each, and drafts: their rows.

Every change that must happen together with queueing (an item becoming `queued`, a draft
`approved`) is a function of a connection, run inside the queueing transaction: a crash
between the two cannot leave a post queued twice or an item lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, select

from content.errors import CrierError
from scheduler.notify.kinds import Kind
from scheduler.store import Store, dialects, notifications
from scheduler.store.schema import drafts, feed_items, feeds

SEEN, PENDING, DRAFT, QUEUED, FAILED = "seen", "pending", "draft", "queued", "failed"
FEED_BROKEN_AFTER = 2  # failed polls in a row before the author is told the feed is broken
GIVE_UP_AFTER = 5  # failed imports of one item before it is marked failed and reported


class FeedRecordError(CrierError):
    """An unknown feed or draft, or one that cannot change as asked."""


class AlreadyTaken(Exception):
    """Another daemon (or command) moved the item or draft first: roll this one back."""


@dataclass(frozen=True)
class FeedRow:
    id: int
    url: str
    platforms: tuple[str, ...]
    max_per_day: int
    min_spacing: timedelta
    review: bool
    posts_dir: str
    interval: timedelta
    polled: bool
    backfill: bool
    etag: str | None
    last_modified: str | None
    next_check_at: datetime
    last_checked_at: datetime | None
    last_error: str | None
    failures: int
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "url": self.url, "platforms": list(self.platforms),
            "max_per_day": self.max_per_day,
            "min_spacing_minutes": int(self.min_spacing.total_seconds() // 60),
            "review": self.review, "posts_dir": self.posts_dir,
            "interval_minutes": int(self.interval.total_seconds() // 60),
            "next_check_at": self.next_check_at.isoformat(),
            "last_checked_at": self.last_checked_at.isoformat() if self.last_checked_at
            else None,
            "last_error": self.last_error, "items": self.counts,
        }


@dataclass(frozen=True)
class ItemRow:
    feed_id: int
    guid: str
    link: str | None
    title: str | None
    state: str
    path: str | None
    deliveries: tuple[int, ...]
    attempts: int
    error: str | None


@dataclass(frozen=True)
class DraftRow:
    id: int
    feed_id: int | None
    guid: str | None
    path: str
    title: str | None
    status: str
    deliveries: tuple[int, ...]
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "feed_id": self.feed_id, "guid": self.guid, "path": self.path,
                "title": self.title, "status": self.status,
                "deliveries": list(self.deliveries), "created_at": self.created_at.isoformat()}


def _ids(raw: str | None) -> tuple[int, ...]:
    return tuple(int(i) for i in json.loads(raw)) if raw else ()


def add_feed(store: Store, *, url: str, platforms: Sequence[str], max_per_day: int,
             min_spacing: timedelta, review: bool, posts_dir: str, interval: timedelta,
             backfill: bool, now: datetime) -> int:
    def change(conn: Connection) -> int:
        if conn.execute(select(feeds.c.id).where(feeds.c.url == url)).first():
            raise FeedRecordError(f"{url} is already watched; `crier feeds list` shows it")
        return int(conn.execute(feeds.insert().values(
            url=url, platforms=json.dumps(list(platforms)), max_per_day=max_per_day,
            min_spacing_minutes=int(min_spacing.total_seconds() // 60), review=review,
            posts_dir=posts_dir, interval_minutes=int(interval.total_seconds() // 60),
            polled=False, backfill=backfill, next_check_at=now, failures=0, created_at=now,
        ).returning(feeds.c.id)).scalar_one())

    return store.write(change)


def _feed(r: Row[Any], counts: dict[str, int]) -> FeedRow:
    return FeedRow(
        r.id, r.url, tuple(json.loads(r.platforms)), r.max_per_day,
        timedelta(minutes=r.min_spacing_minutes), bool(r.review), r.posts_dir,
        timedelta(minutes=r.interval_minutes), bool(r.polled), bool(r.backfill), r.etag,
        r.last_modified, r.next_check_at, r.last_checked_at, r.last_error, r.failures, counts)


def list_feeds(store: Store, *, due_at: datetime | None = None,
               ids: Sequence[int] | None = None) -> list[FeedRow]:
    def read(conn: Connection) -> list[FeedRow]:
        query = select(feeds).order_by(feeds.c.id)
        if due_at is not None:
            query = query.where(feeds.c.next_check_at <= due_at)
        if ids is not None:
            query = query.where(feeds.c.id.in_(list(ids)))
        counts: dict[int, dict[str, int]] = {}
        for feed_id, state, n in conn.execute(
                select(feed_items.c.feed_id, feed_items.c.state, func.count())
                .group_by(feed_items.c.feed_id, feed_items.c.state)):
            counts.setdefault(feed_id, {})[state] = int(n)
        return [_feed(r, counts.get(r.id, {})) for r in conn.execute(query)]

    return store.read(read)


def find_feed(store: Store, key: str) -> FeedRow:
    """A feed by id or by URL."""
    for feed in list_feeds(store):
        if key == str(feed.id) or key == feed.url:
            return feed
    raise FeedRecordError(f"no feed {key!r}; `crier feeds list` shows the ids")


def remove_feed(store: Store, feed_id: int) -> None:
    """Stop watching; the posts already imported and queued stay as they are."""
    def change(conn: Connection) -> None:
        conn.execute(drafts.update().where(drafts.c.feed_id == feed_id)
                     .values(feed_id=None))
        conn.execute(feed_items.delete().where(feed_items.c.feed_id == feed_id))
        conn.execute(feeds.delete().where(feeds.c.id == feed_id))

    store.write(change)


def record_items(store: Store, feed: FeedRow, items: Iterable[tuple[str, str | None,
                 str | None, float | None]], state: str, now: datetime,
                 etag: str | None, last_modified: str | None) -> int:
    """Insert the items not seen before in `state`; returns how many were new. The ETag is
    stored in the same transaction: a feed is marked read only with its items recorded."""
    rows = [{"feed_id": feed.id, "guid": guid, "link": link, "title": title, "state": state,
             "attempts": 0, "published_ts": int(ts) if ts else None, "first_seen_at": now,
             "updated_at": now} for guid, link, title, ts in items]

    def change(conn: Connection) -> int:
        known = set(conn.execute(select(feed_items.c.guid).where(
            feed_items.c.feed_id == feed.id)).scalars())
        fresh = [r for r in rows if r["guid"] not in known]
        fresh = list({r["guid"]: r for r in fresh}.values())  # a guid twice in one feed
        if fresh:
            # Another daemon polling the same feed at the same moment may have recorded some:
            # theirs stand, and this insert skips them instead of failing.
            conn.execute(_insert_new(conn), fresh)
        conn.execute(feeds.update().where(feeds.c.id == feed.id).values(
            polled=True, etag=etag, last_modified=last_modified, last_checked_at=now,
            last_error=None, failures=0, next_check_at=now + feed.interval))
        return len(fresh)

    return store.write(change)


def _insert_new(conn: Connection) -> Any:
    return dialects.of(conn).insert_ignore(feed_items, "feed_id", "guid")


def feed_checked(store: Store, feed: FeedRow, now: datetime, error: str | None) -> None:
    """A poll that changed no item: not modified, or failed (backing off, up to 6 hours)."""
    failures = feed.failures + 1 if error else 0
    wait = feed.interval * (2 ** min(failures - 1, 4)) if error else feed.interval

    def change(conn: Connection) -> None:
        conn.execute(feeds.update().where(feeds.c.id == feed.id).values(
            last_checked_at=now, last_error=error, failures=failures,
            next_check_at=now + min(wait, timedelta(hours=6))))
        # Told once per breakage, at the second failure in a row: one blip of a blog's
        # server is not worth her attention, a feed still failing half an hour on is.
        if failures == FEED_BROKEN_AFTER:
            notifications.record(conn, notifications.NewEvent(
                Kind.FEED_BROKEN, title=feed.url, detail=error,
                data={"url": feed.url, "failures": failures}), now)

    store.write(change)


def pending_items(store: Store, feed_id: int) -> list[ItemRow]:
    """The items to import, oldest first (by the feed's date, then as first seen)."""
    query = (select(feed_items).where(feed_items.c.feed_id == feed_id,
                                      feed_items.c.state == PENDING)
             .order_by(feed_items.c.published_ts, feed_items.c.first_seen_at,
                       feed_items.c.guid))
    return store.read(lambda conn: [_item(r) for r in conn.execute(query)])


def items_of(store: Store, feed_id: int, states: Sequence[str] = ()) -> list[ItemRow]:
    query = select(feed_items).where(feed_items.c.feed_id == feed_id)
    if states:
        query = query.where(feed_items.c.state.in_(list(states)))
    return store.read(lambda conn: [_item(r) for r in conn.execute(query)])


def _item(r: Row[Any]) -> ItemRow:
    return ItemRow(r.feed_id, r.guid, r.link, r.title, r.state, r.path, _ids(r.deliveries),
                   r.attempts, r.error)


def item_failed(store: Store, item: ItemRow, error: str, now: datetime) -> str:
    """One more failed attempt; the item's state after it (pending, or failed at last)."""
    attempts = item.attempts + 1
    state = FAILED if attempts >= GIVE_UP_AFTER else PENDING
    store.write(lambda conn: conn.execute(feed_items.update().where(
        feed_items.c.feed_id == item.feed_id, feed_items.c.guid == item.guid,
        feed_items.c.state == PENDING).values(
        attempts=attempts, error=error, state=state, updated_at=now)))
    return state


def mark_item(conn: Connection, item: ItemRow, state: str, path: str, now: datetime,
              deliveries: Sequence[int] = ()) -> None:
    """Inside the transaction that queued (or drafted) it: pending -> `state`, or roll back."""
    result = conn.execute(feed_items.update().where(
        feed_items.c.feed_id == item.feed_id, feed_items.c.guid == item.guid,
        feed_items.c.state == PENDING).values(
        state=state, path=path, deliveries=json.dumps(list(deliveries)), error=None,
        updated_at=now))
    if result.rowcount != 1:
        raise AlreadyTaken(item.guid)


def add_draft(store: Store, item: ItemRow, path: str, title: str | None,
              now: datetime) -> int:
    def change(conn: Connection) -> int:
        mark_item(conn, item, DRAFT, path, now)
        return int(conn.execute(drafts.insert().values(
            feed_id=item.feed_id, guid=item.guid, path=path, title=title, status="waiting",
            created_at=now).returning(drafts.c.id)).scalar_one())

    return store.write(change)


def list_drafts(store: Store, status: Sequence[str] = ("waiting",),
                ids: Sequence[int] | None = None) -> list[DraftRow]:
    query = select(drafts).order_by(drafts.c.id)
    if status:
        query = query.where(drafts.c.status.in_(list(status)))
    if ids is not None:
        query = query.where(drafts.c.id.in_(list(ids)))
    return store.read(lambda conn: [
        DraftRow(r.id, r.feed_id, r.guid, r.path, r.title, r.status, _ids(r.deliveries),
                 r.created_at) for r in conn.execute(query)])


def decide_draft(conn: Connection, draft: DraftRow, status: str, now: datetime,
                 deliveries: Sequence[int] = ()) -> None:
    """waiting -> approved (with its deliveries) or discarded, and its feed item with it."""
    result = conn.execute(drafts.update().where(
        drafts.c.id == draft.id, drafts.c.status == "waiting").values(
        status=status, decided_at=now, deliveries=json.dumps(list(deliveries))))
    if result.rowcount != 1:
        raise AlreadyTaken(str(draft.id))
    if draft.feed_id is not None and draft.guid is not None:
        conn.execute(feed_items.update().where(
            feed_items.c.feed_id == draft.feed_id, feed_items.c.guid == draft.guid).values(
            state=QUEUED if status == "approved" else SEEN,
            deliveries=json.dumps(list(deliveries)), updated_at=now))
