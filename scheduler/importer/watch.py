"""Watching feeds: the daemon's poll. Each feed due for a look is fetched conditionally (ETag,
Last-Modified); every item not seen before (by guid) is imported, then queued into the feed's
next free slots (at most N a day, never two within its minimum spacing) or kept as a draft
for the author to approve. The first poll of a feed only records what is there, unless the
author asked for a backfill.

Nothing is lost and nothing is queued twice, across restarts and several daemons: an item is
recorded `pending` with the feed's ETag in one transaction, and becomes `queued` in the very
transaction that inserts its deliveries, only if it is still pending. An item that cannot be
imported or queued stays pending, with the reason, and is tried again at the next poll (given
up, and reported, after a few attempts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from content.errors import CrierError
from scheduler.importer import ImportFailed, Options, import_item, read_feed
from scheduler.importer import records as rec
from scheduler.importer.feeds import Feed, FeedItem
from scheduler.importer.fetch import Fetch, Fetched, Fetcher
from scheduler.service.feedslots import CappedSlots
from scheduler.service.when import When
from scheduler.states import Status

if TYPE_CHECKING:
    from scheduler.service import Service

log = logging.getLogger(__name__)
HOLDING = (Status.QUEUED.value, Status.PUBLISHING.value, Status.PUBLISHED.value)


@dataclass
class FeedReport:
    """What one poll of one feed did."""

    url: str
    status: str = "checked"  # checked, not modified, error, recorded (the first poll)
    new: int = 0
    queued: list[dict[str, Any]] = field(default_factory=list)  # guid, path, deliveries
    drafts: list[dict[str, Any]] = field(default_factory=list)  # guid, path, draft id
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "status": self.status, "new": self.new,
                "queued": self.queued, "drafts": self.drafts, "errors": self.errors}


@dataclass
class PollReport:
    feeds: list[FeedReport] = field(default_factory=list)

    def to_json(self) -> list[dict[str, Any]]:
        return [f.to_json() for f in self.feeds]

    @property
    def errors(self) -> list[str]:
        return [e for f in self.feeds for e in f.errors]


def poll_feeds(service: Service, now: datetime, fetch: Fetch | None = None, *,
               every: bool = False) -> PollReport:
    """Poll the feeds due at `now` (every feed with `every`); never raises for one feed's
    trouble: each is reported with its URL and the reason, and the others go on."""
    fetch = fetch or Fetcher(timeout=min(service.settings.http_timeout, 30.0))
    report = PollReport()
    due = rec.list_feeds(service.store, due_at=None if every else now)
    for feed in due:
        one = FeedReport(feed.url)
        report.feeds.append(one)
        try:
            _poll_one(service, feed, now, fetch, one)
        except CrierError as exc:
            one.status = "error"
            one.errors.append(str(exc))
            rec.feed_checked(service.store, feed, now, str(exc))
        except Exception as exc:  # a bug must not stop the other feeds, nor the daemon
            log.exception("feed %s: unexpected error", feed.url)
            one.status = "error"
            one.errors.append(f"{feed.url}: unexpected error ({type(exc).__name__})")
            rec.feed_checked(service.store, feed, now, f"unexpected error: {exc}")
    for one in report.feeds:
        for error in one.errors:
            log.warning("feed: %s", error)
    return report


def first_look(service: Service, feed: rec.FeedRow, got: Fetched | None, parsed: Feed,
               now: datetime, fetch: Fetch) -> FeedReport:
    """The first poll, of a feed just fetched by `crier feeds add`: what it holds is recorded
    as seen (or, with backfill, imported)."""
    one = FeedReport(feed.url)
    _take(service, feed, got, parsed, now, fetch, one)
    return one


def _poll_one(service: Service, feed: rec.FeedRow, now: datetime, fetch: Fetch,
              one: FeedReport) -> None:
    got, parsed = read_feed(feed.url, fetch, etag=feed.etag if feed.polled else None,
                            last_modified=feed.last_modified if feed.polled else None)
    if parsed is not None:
        _take(service, feed, got, parsed, now, fetch, one)
        return
    one.status = "not modified"
    rec.feed_checked(service.store, feed, now, None)
    # Items left pending by an earlier failure are still tried; they need the feed's
    # entries, so it is fetched whole again, only when some are pending.
    if rec.pending_items(service.store, feed.id):
        _, again = read_feed(feed.url, fetch)
        if again is not None:
            _import_pending(service, feed, now, fetch, one, {i.guid: i for i in again.items})


def _take(service: Service, feed: rec.FeedRow, got: Fetched | None, parsed: Feed,
          now: datetime, fetch: Fetch, one: FeedReport) -> None:
    """Record the feed's new items (with its ETag), then import the pending ones."""
    first = not feed.polled
    state = rec.PENDING if (not first or feed.backfill) else rec.SEEN
    one.new = rec.record_items(
        service.store, feed, [(i.guid, i.link, i.title, i.published_ts)
                              for i in parsed.items if i.guid], state, now,
        got.etag if got else None, got.last_modified if got else None)
    one.status = "recorded" if first and not feed.backfill else "checked"
    for item in parsed.items:
        if not item.guid:
            one.errors.append(f"{feed.url}: an item ({item.title or 'untitled'}) has no "
                              "guid and no link; it cannot be told apart, so it is skipped")
    by_guid = {i.guid: i for i in parsed.items}
    _import_pending(service, feed, now, fetch, one, by_guid)


def _import_pending(service: Service, feed: rec.FeedRow, now: datetime, fetch: Fetch,
                    one: FeedReport, items: dict[str, FeedItem]) -> None:
    pending = rec.pending_items(service.store, feed.id)
    if not pending:
        return
    slots = None if feed.review else feed_slots(service, feed, now)
    options = Options(posts_dir=Path(feed.posts_dir), force=True)
    for item in pending:
        entry = items.get(item.guid)
        if entry is None:
            _failed(service, item, f"{feed.url}: item {item.guid} is no longer in the feed",
                    now, one)
            continue
        try:
            done = import_item(entry, feed.url, service.brand, options, fetch)
        except ImportFailed as exc:
            _failed(service, item, str(exc), now, one)
            continue
        path = str(done.path)
        try:
            if feed.review:
                draft = rec.add_draft(service.store, item, path, done.article.title, now)
                one.drafts.append({"guid": item.guid, "path": path, "draft": draft})
                continue
            assert slots is not None
            queued = service.queue(
                [done.path], When("next_slot"), now=now, slots=slots,
                platforms=feed.platforms, also=_marker(item, path, now))
        except rec.AlreadyTaken:
            continue  # another daemon took it first: it is queued once, by that one
        except CrierError as exc:
            _failed(service, item, f"{path}: imported but not queued: {exc}", now, one)
            continue
        one.queued.append({"guid": item.guid, "path": path,
                           "deliveries": [r.id for r in queued.rows],
                           "due": sorted({r.due_at.isoformat() for r in queued.rows})})


def _marker(item: rec.ItemRow, path: str, now: datetime
            ) -> Callable[[Connection, list[int]], None]:
    """What the queueing transaction does besides: the item becomes queued, or it rolls back."""
    def mark(conn: Connection, ids: list[int]) -> None:
        rec.mark_item(conn, item, rec.QUEUED, path, now, ids)

    return mark


def feed_slots(service: Service, feed: rec.FeedRow, now: datetime) -> CappedSlots:
    """The feed's slot book: its posts already queued or out count toward the cap."""
    ids = [i for item in rec.items_of(service.store, feed.id, (rec.QUEUED,))
           for i in item.deliveries]
    used: dict[str, list[datetime]] = {}
    for row in service.deliveries(ids=ids) if ids else []:
        if row.status in HOLDING:
            used.setdefault(row.platform, []).append(row.due_at)
    return CappedSlots(lambda: service.store, now, per_day=feed.max_per_day,
                       spacing=feed.min_spacing, zone=service.brand.timezone, used=used)


def _failed(service: Service, item: rec.ItemRow, error: str, now: datetime,
            one: FeedReport) -> None:
    state = rec.item_failed(service.store, item, error, now)
    suffix = "" if state == rec.PENDING else f" (gave up after {rec.GIVE_UP_AFTER} attempts)"
    one.errors.append(error + suffix)
