"""The one library entry point: everything a front end (the CLI, the web app) asks of Crier.

A front end parses what the author typed, calls one method of `Service` and shows the result;
it never touches the store, the publishers or the formatter itself. `Service` holds the
settings, a clock (passed in by tests), the brand (read once) and the store (opened on first
use, so bad input is reported before the database is touched).
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from content.brand import Brand
from content.compose import compose_all
from content.delivery import Delivery, Part
from content.errors import BrandError, CrierError
from content.networks import NETWORK_NAMES, check_platform, rules_for
from scheduler import timing
from scheduler.config import load_brand, load_post
from scheduler.daemon import Daemon, DaemonConfig, RunSummary
from scheduler.importer import Imported
from scheduler.importer import Options as ImportOptions
from scheduler.importer.fetch import Fetch
from scheduler.importer.records import DraftRow, FeedRow
from scheduler.publishers import Registry
from scheduler.publishers import accounts as network_accounts
from scheduler.service import drafts as composing
from scheduler.service.accounts import AccountCheck, check_accounts
from scheduler.service.intake import Plan, plan_post
from scheduler.service.when import QueueError, SlotBook, When, resolve
from scheduler.settings import Settings
from scheduler.states import Status
from scheduler.store import Store, desk
from scheduler.store import queue as q
from scheduler.store import repeats as evergreen
from scheduler.store.claim import queue_state
from scheduler.store.slots import get_slots, set_slots, taken_instants

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # watch.py uses the service: imported where it is called
    from scheduler.importer.watch import FeedReport, PollReport
    from scheduler.notify.messages import Wording
    from scheduler.notify.notifier import Notifier
    from scheduler.store.notifications import Event as Notification

# What a front end gets back; the store's row types are the service's vocabulary too.
DeliveryRow = q.DeliveryRow
DeliveryDetail = q.DeliveryDetail
NoSuchDelivery = q.NoSuchDelivery
RepeatRow = evergreen.RepeatRow
NoSuchRepeat = evergreen.NoSuchRepeat
NEEDS_AUTHOR = ("missed", "failed", "needs_attention")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Queued:
    """What queueing did: the deliveries stored, and what the author should be told."""

    rows: list[DeliveryRow]
    notes: list[str]


@dataclass(frozen=True)
class Moved:
    rows: list[DeliveryRow]
    notes: list[str]


@dataclass(frozen=True)
class SlotPlan:
    """One network's weekly slots and its next free ones."""

    network: str
    slots: str
    zone: str
    upcoming: list[timing.Resolved]

    def to_json(self) -> dict[str, Any]:
        return {"network": self.network, "slots": self.slots, "zone": self.zone,
                "next": [{"wall": r.wall, "utc": r.instant.isoformat(), "note": r.note}
                         for r in self.upcoming]}


@dataclass(frozen=True)
class Preview:
    """What each network would receive: its delivery, and the images written, if asked."""

    deliveries: dict[str, Delivery]
    images: list[dict[str, Any]]
    brand: Brand

    def marks(self, part: Part, platform: str) -> dict[str, bool]:
        """Whether the part carries the disclaimer (full or short) and the call to action."""
        return closing_marks(part, self.brand, platform)

    def to_json(self) -> list[dict[str, Any]]:
        out = []
        for name, delivery in self.deliveries.items():
            data = delivery.to_json()
            for part, part_json in zip(delivery.parts, data["parts"], strict=True):
                part_json.update(self.marks(part, name))
            data["images"] = [i for i in self.images if i["network"] == name]
            out.append(data)
        return out


def closing_marks(part: Part, brand: Brand, platform: str) -> dict[str, bool]:
    """Whether the part carries the disclaimer (full or short) and the call to action, looked
    for as the network receives them (escaped where it escapes text)."""
    found = {kind for block, kind in composing.closing_blocks(brand, platform)
             if block in part.text}
    return {"disclaimer": "disclaimer" in found, "call_to_action": "call_to_action" in found}


@dataclass(frozen=True)
class FeedAdded:
    """A feed now watched, and what its first look found."""

    feed: FeedRow
    report: FeedReport


@dataclass(frozen=True)
class Attention:
    """The deliveries that need the author (missed, failed, needs attention), the first few."""

    rows: list[DeliveryRow]
    total: int


class Service:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None,
                 brand: Brand | None = None, store: Store | None = None) -> None:
        self.settings = settings
        # Looked up at each call, so a test can set the module's clock for a whole CLI run.
        self.clock = clock or (lambda: utc_now())
        self._brand = brand
        self._store = store

    # -- what everything needs, loaded once ------------------------------------------------------
    @property
    def brand(self) -> Brand:
        if self._brand is None:
            self._brand = load_brand(self.settings.brand)
        return self._brand

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(settings=self.settings)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    # -- preview ---------------------------------------------------------------------------------
    def preview(self, path: Path, platforms: Sequence[str] = (),
                images_dir: Path | None = None, repeat: int = 0) -> Preview:
        """Every part of every target network exactly as it would be sent (the same formatter
        and renderer as queueing); with `images_dir`, the images written there too; with
        `repeat`, as that round of an evergreen post sends it."""
        post = load_post(path)
        if repeat and (post.repeat is None or not 0 < repeat <= post.repeat.times):
            times = post.repeat.times if post.repeat else 0
            raise QueueError(f"{path}: there is no repeat {repeat}; the post repeats {times} "
                             "time(s) (repeat: {every: \"90 days\", times: 3} in its front "
                             "matter)")
        deliveries = compose_all(post, self.brand, platforms, repeat=repeat)
        images: list[dict[str, Any]] = []
        if images_dir is not None:
            from scheduler.images import write_preview_images

            images = write_preview_images(deliveries, path, self.brand, images_dir)
        return Preview(deliveries, images, self.brand)

    # -- queueing --------------------------------------------------------------------------------
    def plan(self, paths: Sequence[Path], when: When, *, platforms: Sequence[str] = (),
             live: bool = False, now: datetime | None = None,
             slots: SlotBook | None = None) -> list[Plan]:
        """Every post checked, timed, composed and rendered; nothing stored. Raises CrierError
        at the first file that cannot be queued. `slots`: the book next free slots come from
        (a feed's capped one); by default every network's own."""
        now = now or self.clock()
        slots = slots or SlotBook(lambda: self.store, now)
        live = live or self.settings.live
        return [plan_post(path, self.brand, when, now=now, settings=self.settings,
                          platforms=platforms, slots=slots, live=live) for path in paths]

    def queue(self, paths: Sequence[Path], when: When, *, platforms: Sequence[str] = (),
              live: bool = False, again: bool = False, now: datetime | None = None,
              slots: SlotBook | None = None,
              also: Callable[[Connection, list[int]], None] | None = None) -> Queued:
        """Queue post files for every target network: all files, or none. Content already
        queued or published for a network's account is refused unless `again`. `also(conn,
        ids)` runs in the transaction that inserts the deliveries: both happen, or neither."""
        now = now or self.clock()
        plans = self.plan(paths, when, platforms=platforms, live=live, now=now, slots=slots)

        def write(conn: Connection) -> list[int]:
            ids = q.insert_posts(conn, [plan.post for plan in plans], now, again=again)
            firsts = [(d, r) for plan in plans
                      for d, r in zip(plan.post.deliveries, plan.series or
                                      [None] * len(plan.post.deliveries), strict=True)]
            evergreen.insert_series(conn, [(i, d, r) for i, (d, r) in zip(ids, firsts,
                                                                         strict=True) if r],
                                  now)
            if also is not None:
                also(conn, ids)
            return ids

        ids = self.store.write(write)
        return Queued(q.list_deliveries(self.store, ids=ids),
                      [note for plan in plans for note in plan.notes])

    # -- the queue -------------------------------------------------------------------------------
    def deliveries(self, *, status: Sequence[str] = (), limit: int | None = None,
                   ids: Sequence[int] | None = None) -> list[DeliveryRow]:
        try:
            statuses = [Status(s).value for s in status]
        except ValueError:
            raise QueueError(f"unknown status in {','.join(status)!r}; the states are "
                             f"{', '.join(s.value for s in Status)}") from None
        return q.list_deliveries(self.store, status=statuses, limit=limit, ids=ids)

    def counts(self) -> dict[str, int]:
        return q.counts(self.store)

    def delivery(self, delivery_id: int) -> DeliveryDetail:
        return q.show(self.store, delivery_id)

    def attention(self, limit: int = 20) -> Attention:
        counts = self.counts()
        rows = q.list_deliveries(self.store, status=list(NEEDS_AUTHOR), limit=limit)
        return Attention(rows, sum(counts.get(s, 0) for s in NEEDS_AUTHOR))

    def cancel(self, ids: Sequence[int]) -> list[DeliveryRow]:
        return q.cancel(self.store, ids, self.clock())

    def retry(self, ids: Sequence[int]) -> list[DeliveryRow]:
        return q.retry(self.store, ids, self.clock())

    def reschedule(self, ids: Sequence[int], when: When) -> Moved:
        """Move deliveries to `when`, all or none; each keeps its zone unless --tz says."""
        if when.kind == "at" and not when.wall:
            raise QueueError("give the new time: --at \"YYYY-MM-DD HH:MM\", --next-slot or --now")
        now = self.clock()
        rows = {r.id: r for r in q.list_deliveries(self.store, ids=ids)}
        missing = [i for i in ids if i not in rows]
        if missing:
            raise NoSuchDelivery(
                f"no delivery {', '.join(map(str, missing))}; nothing was changed")
        slots = SlotBook(lambda: self.store, now)
        moves, notes = [], []
        for delivery_id in ids:
            row = rows[delivery_id]
            zone = when.zone or row.zone or self.brand.timezone
            try:
                res = resolve(when, zone, now, row.platform, slots)
            except (QueueError, timing.TimeError) as exc:
                raise QueueError(f"{exc}; nothing was changed") from None
            moves.append(q.Move(row.id, res.instant, res.wall, res.zone, res.note))
            if res.note:
                notes.append(f"{row.platform}: {res.note}")
        return Moved(q.reschedule(self.store, moves, now), notes)

    # -- evergreen repeats (issue 15) --------------------------------------------------------------
    def repeats(self) -> list[evergreen.RepeatRow]:
        """Every evergreen series: how far along, and its next round."""
        return evergreen.list_series(self.store)

    def stop_repeat(self, repeat_id: int) -> list[int]:
        """Stop a series: no more rounds; a queued round not yet started is cancelled."""
        return evergreen.stop(self.store, repeat_id, self.clock())

    # -- posting slots ---------------------------------------------------------------------------
    def slots(self, upcoming: int = 3) -> list[SlotPlan]:
        now, zone = self.clock(), self.brand.timezone
        plans = []
        for platform, spec in get_slots(self.store).items():
            taken = taken_instants(self.store, platform, now)
            free = timing.next_slots(timing.parse_slots(spec), zone, now, taken)
            plans.append(SlotPlan(platform, spec, zone, list(islice(free, max(0, upcoming)))))
        return plans

    def set_slots(self, networks: str, spec: str | None) -> list[str]:
        """Set (or with None clear) the slots of `networks` (comma-separated, or "all"); returns
        the networks changed. The spec is checked before anything is stored."""
        names = (list(NETWORK_NAMES) if networks.strip().lower() == "all"
                 else [check_platform(n) for n in networks.split(",") if n.strip()])
        if spec is not None:
            try:
                timing.parse_slots(spec)
            except timing.TimeError as exc:
                raise QueueError(f"{exc}; nothing was changed") from None
            spec = spec.strip()
        set_slots(self.store, names, spec, self.clock())
        return names

    # -- accounts and the daemon ------------------------------------------------------------------
    def author_zone(self) -> str:
        """The author's zone, or UTC when the brand file cannot be read: what needs no brand
        file (publishing, checking accounts) still says when things happen."""
        try:
            return self.brand.timezone
        except CrierError:
            return "UTC"

    def accounts(self, platforms: Sequence[str] = ()) -> list[AccountCheck]:
        """Each account checked with its network; token expiries in the author's zone."""
        return check_accounts(self.settings, list(platforms), zone=self.author_zone(),
                              now=self.clock())

    def daemon(self, *, until_idle: bool = False, workers: int | None = None,
               lease: float | None = None, poll: float | None = None,
               registry: Registry | None = None,
               tell: Callable[[str], None] | None = None,
               desk_url: str | None = None) -> Daemon:
        try:
            config = DaemonConfig.from_settings(
                self.settings, until_idle=until_idle, workers=workers, poll=poll,
                lease=timedelta(seconds=lease) if lease else None)
        except ValueError as exc:
            raise QueueError(str(exc)) from None
        registry = registry or Registry(self.settings)
        daemon = Daemon(self.store, registry, config, clock=self.clock,
                        feed_poll=self.poll_feeds, tell=tell)  # it watches feeds too
        # ... and tells the author what needs her (issue 14).
        daemon.notifier = self.notifier(registry, owner=daemon.config.owner,
                                        lease=daemon.config.lease, desk_url=desk_url)
        return daemon

    def run(self, **options: Any) -> RunSummary:
        """Publish due deliveries until stopped (or idle with until_idle=True)."""
        return self.daemon(**options).run()

    def daemon_start_line(self) -> str:
        """What a starting daemon says: its database, where each network goes, what is due."""
        now = self.clock()
        found = network_accounts(self.settings)
        live = [rules_for(a.network).display for a in found if a.live]
        outbox = [rules_for(a.network).display for a in found if not a.live]
        where = f"live: {', '.join(live) or 'none'}; to the outbox: {', '.join(outbox) or 'none'}"
        state = queue_state(self.store, now)
        nxt = ""
        if state.next_due is not None and not state.due_now:
            local = state.next_due.astimezone(timing.load_zone(self.author_zone()))
            nxt = f"; next at {local:%Y-%m-%d %H:%M %Z}"
        return (f"crier run: database {self.store.where}; {where}; {state.due_now} due now, "
                f"{state.in_flight} in flight{nxt}")

    # -- notifications (issue 14) ------------------------------------------------------------------
    def notifier(self, registry: Registry | None = None, *, owner: str = "",
                 lease: timedelta = timedelta(seconds=60),
                 desk_url: str | None = None) -> Notifier:
        """The daemon's notifier; `desk_url`: the desk's address for links, when it runs in
        this process and CRIER_WEB_URL does not say."""
        from scheduler.notify.notifier import Notifier

        try:
            brand: Brand | None = self.brand
        except BrandError as exc:  # publishing needs no brand file: telling her goes on too
            log.error("notifications in UTC and no digest until the brand file is fixed: %s",
                      exc)
            brand = None
        return Notifier(self.store, self.settings, brand,
                        registry or Registry(self.settings),
                        owner=owner or f"cli:{uuid.uuid4().hex[:8]}", lease=lease,
                        desk_url=desk_url)

    def notify_test(self) -> list[tuple[str, str | None]]:
        """A test message on every configured channel, now: (where, error or None) each;
        [] when none is configured."""
        return self.notifier().test(self.clock())

    def notification_channels(self) -> list[str]:
        from scheduler.notify.channels import configured

        return [c.describe() for c in configured(self.settings)]

    def notifications(self, *, status: Sequence[str] = (), limit: int | None = 50
                      ) -> list[Notification]:
        from scheduler.store import notifications as told

        return told.list_events(self.store, status=status, limit=limit)

    def notification_wording(self) -> Wording:
        from scheduler.notify.messages import Wording

        return Wording(self.brand.timezone, self.settings.web_url)

    # -- import (issue 13): from the blog to the queue ---------------------------------------------
    def import_post(self, source: str, options: ImportOptions,
                    fetch: Fetch | None = None) -> list[Imported]:
        """A post file (with its photos) written from a page, feed or pasted text; nothing
        written when anything fails (ImportFailed says what and where)."""
        from scheduler.importer import import_source

        return import_source(source, self.brand, options, fetch or self._fetcher())

    def add_feed(self, url: str, *, platforms: Sequence[str] = (), max_per_day: int = 1,
                 min_spacing_minutes: int = 240, review: bool = True,
                 posts_dir: Path = Path("posts"), interval_minutes: int = 30,
                 backfill: bool = False, fetch: Fetch | None = None) -> FeedAdded:
        """Watch a feed: fetched and checked now (a page, a bomb or a broken feed is refused
        and nothing is stored), its items recorded as seen (imported with `backfill`)."""
        from scheduler.importer import read_feed
        from scheduler.importer import records as rec
        from scheduler.importer.watch import first_look

        names = [check_platform(p) for p in platforms]
        if max_per_day < 1 or min_spacing_minutes < 0 or interval_minutes < 5:
            raise QueueError("--max-per-day must be 1 or more, --min-spacing 0 or more, "
                             "--interval 5 minutes or more; nothing was added")
        fetch = fetch or self._fetcher()
        got, parsed = read_feed(url, fetch)
        assert parsed is not None
        now = self.clock()
        feed_id = rec.add_feed(
            self.store, url=url, platforms=names, max_per_day=max_per_day,
            min_spacing=timedelta(minutes=min_spacing_minutes), review=review,
            posts_dir=str(posts_dir.resolve()), interval=timedelta(minutes=interval_minutes),
            backfill=backfill, now=now)
        feed = rec.list_feeds(self.store, ids=[feed_id])[0]
        report = first_look(self, feed, got, parsed, now, fetch)
        return FeedAdded(rec.list_feeds(self.store, ids=[feed_id])[0], report)

    def feeds(self) -> list[FeedRow]:
        from scheduler.importer import records as rec

        return rec.list_feeds(self.store)

    def remove_feed(self, key: str) -> FeedRow:
        from scheduler.importer import records as rec

        feed = rec.find_feed(self.store, key)
        rec.remove_feed(self.store, feed.id)
        return feed

    def poll_feeds(self, now: datetime | None = None, fetch: Fetch | None = None, *,
                   every: bool = False) -> PollReport:
        """The daemon's feed poll (the feeds due at `now`; with `every`, all of them)."""
        from scheduler.importer.watch import poll_feeds

        return poll_feeds(self, now or self.clock(), fetch, every=every)

    def drafts(self, status: Sequence[str] = ("waiting",)) -> list[DraftRow]:
        from scheduler.importer import records as rec

        return rec.list_drafts(self.store, status)

    def approve(self, ids: Sequence[int], when: When | None = None) -> Queued:
        """Queue drafts: at `when`, or by default into their feed's capped next slots."""
        from scheduler.importer import records as rec
        from scheduler.service.feedslots import CappedSlots

        found = {d.id: d for d in rec.list_drafts(self.store, ("waiting",), ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise QueueError(f"no draft waiting with id {', '.join(map(str, missing))} "
                             "(`crier queue drafts` lists them); nothing was queued")
        now = self.clock()
        feeds = {f.id: f for f in self.feeds()}
        rows: list[DeliveryRow] = []
        notes: list[str] = []
        for draft_id in ids:
            draft = found[draft_id]
            feed = feeds.get(draft.feed_id) if draft.feed_id is not None else None
            slots: SlotBook | None = None
            if when is None and feed is not None:
                from scheduler.importer.watch import feed_slots

                slots = feed_slots(self, feed, now)
            elif when is None:
                slots = CappedSlots(lambda: self.store, now, per_day=1,
                                    spacing=timedelta(0), zone=self.brand.timezone)
            done = self.queue(
                [Path(draft.path)], when or When("next_slot"), now=now, slots=slots,
                platforms=feed.platforms if feed else (),
                also=functools.partial(_approve_draft, draft, now))
            rows += done.rows
            notes += done.notes
        return Queued(rows, notes)

    def discard(self, ids: Sequence[int]) -> list[DraftRow]:
        from scheduler.importer import records as rec

        drafts = rec.list_drafts(self.store, ("waiting",), ids)
        if len(drafts) != len(set(ids)):
            raise QueueError("no such waiting draft; `crier queue drafts` lists them")
        now = self.clock()
        def change(conn: Connection) -> None:
            for draft in drafts:
                rec.decide_draft(conn, draft, "discarded", now)

        self.store.write(change)
        return drafts

    def _fetcher(self) -> Fetch:
        from scheduler.importer.fetch import Fetcher

        return Fetcher(timeout=min(self.settings.http_timeout, 30.0))


    # -- the desk (`crier web`) -------------------------------------------------------------------
    @property
    def desk_dir(self) -> Path:
        """Where the desk keeps the posts it writes and the photos uploaded to it."""
        return self.settings.data_dir / "desk"

    def read_draft(self, path: Path, *, check: bool = True) -> composing.Draft:
        """A post file as the composer edits it (the body's Markdown as written). With
        `check`, a file the CLI could not read raises the CLI's error first."""
        if check:
            load_post(path)
        return composing.draft_from_text(path.read_text(encoding="utf-8"), str(path))

    def preview_draft(self, draft: composing.Draft, base: Path | None = None, *,
                      with_images: bool = True) -> composing.DraftPreview:
        """What each chosen network would receive for the composer's draft, with its images,
        through the same parser, formatter and renderer as queueing (`base`: the folder the
        photo paths are relative to)."""
        if base is None:
            base = self.desk_dir / "posts"
            # Photo paths are relative to it ("../photos/..."): it must exist to be walked.
            base.mkdir(parents=True, exist_ok=True)
        return composing.preview_draft(draft, base, self.brand, with_images=with_images)

    def save_draft(self, draft: composing.Draft, path: Path) -> Path:
        """Write the draft as a post file (Markdown with front matter) at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(composing.draft_to_text(draft), encoding="utf-8")
        return path

    def queue_draft(self, draft: composing.Draft, path: Path, when: When) -> Queued:
        """Write the draft to `path` (the author's work is kept even when it cannot be queued)
        and queue that file, as `crier queue add` would: the file is the record of what went."""
        preview = self.preview_draft(draft, path.parent, with_images=False)
        self.save_draft(draft, path)
        if preview.problems:
            first = next(iter(preview.problems.values()))[0]
            raise QueueError(f"{first}; nothing was queued")
        return self.queue([path], when)

    def save_photo(self, data: bytes, post_folder: Path | None = None) -> Path:
        """Store an uploaded photo once it is known to be an image, in a `photos` folder beside
        the post it is for (a post's images stay inside its folder); returns its path."""
        return composing.save_photo(data, (post_folder or self.desk_dir / "posts") / "photos")

    def calendar(self, start: datetime, end: datetime) -> list[DeliveryRow]:
        """Every delivery due in [start, end)."""
        return desk.between(self.store, start, end)

    def slot_places(self, start: datetime, end: datetime) -> list[tuple[str, timing.Resolved]]:
        """The posting slots in [start, end) no delivery holds yet: places to fill."""
        zone, places = self.brand.timezone, []
        for platform, spec in get_slots(self.store).items():
            taken = taken_instants(self.store, platform, start)
            for slot in timing.next_slots(timing.parse_slots(spec), zone, start, taken):
                if slot.instant >= end:
                    break
                places.append((platform, slot))
        return sorted(places, key=lambda p: (p[1].instant, p[0]))

    def move_to_day(self, delivery_id: int, day: date) -> Moved:
        """Reschedule a delivery to another day at the same wall time of day, in its zone.
        A day already past in that zone is refused."""
        row = self.delivery(delivery_id).delivery
        zone = row.zone or self.brand.timezone
        wall = row.wall or row.due_at.astimezone(timing.load_zone(zone)).strftime(
            "%Y-%m-%d %H:%M")
        today = self.clock().astimezone(timing.load_zone(zone)).date()
        if day < today:
            raise QueueError(f"{day.isoformat()} is past ({zone}); choose today or a later day; "
                             "nothing was changed")
        return self.reschedule([delivery_id], When("at", f"{day.isoformat()} {wall[11:16]}",
                                                   zone))

    def unseen(self, limit: int = 50) -> Attention:
        """The failed, missed and needs-attention deliveries the author has not seen yet."""
        rows, total = desk.unseen(self.store, limit)
        return Attention(rows, total)

    def mark_seen(self, ids: Sequence[int]) -> int:
        return desk.mark_seen(self.store, ids, self.clock())

    def confirm_published(self, delivery_id: int, url: str) -> DeliveryRow:
        """The author's word that a needs-attention delivery is live at `url`."""
        url = url.strip()
        if not re.fullmatch(r"https?://\S+", url):
            raise QueueError("give the post's address, starting https://; nothing was changed")
        return desk.confirm_published(self.store, delivery_id, url, self.clock()).row

    def account_states(self) -> list[AccountCheck]:
        """Each network's account as configured, without calling any network (`accounts()`
        checks them); names the missing variables, never a value."""
        return check_accounts(self.settings, ask=False)

    def image(self, sha256: str) -> tuple[bytes, str] | None:
        """A queued image's bytes and format, by its content hash."""
        return desk.blob(self.store, sha256)


def _approve_draft(draft: DraftRow, now: datetime, conn: Connection, ids: list[int]) -> None:
    from scheduler.importer import records as rec

    rec.decide_draft(conn, draft, "approved", now, ids)


__all__ = ["Attention", "DeliveryDetail", "DeliveryRow", "Moved", "NoSuchDelivery", "Preview",
           "QueueError", "Queued", "Service", "SlotPlan", "When", "utc_now"]
