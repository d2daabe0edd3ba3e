"""The daily digest, at brand `[notify] digest_at` in her zone: what went out yesterday (with
links), what goes out today, what needs her. Skipped on a day with nothing to say.

A day's digest is made once, by whichever daemon first finds its time passed (a `once_key` per
local date, so two daemons or a restart never make two), then sent like any notification. A
daemon that starts after the time still makes that day's digest, late; one for a day already
over is not made (yesterday's news is in today's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduler.notify.kinds import Kind
from scheduler.notify.messages import Wording, network_display
from scheduler.states import Status
from scheduler.store import Store
from scheduler.store import notifications as rows
from scheduler.store import queue as q
from scheduler.store.schema import deliveries, delivery_parts

NEEDS_HER = (Status.FAILED.value, Status.NEEDS_ATTENTION.value, Status.MISSED.value)
LISTED = 30  # lines per section; the rest are counted


def due_day(digest_at: str | None, zone: str, now: datetime) -> date | None:
    """The local date whose digest time has passed by `now`, or None (no digest configured,
    or today's time is still ahead)."""
    if digest_at is None:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    hour, minute = (int(p) for p in digest_at.split(":"))
    at = datetime.combine(local.date(), time(hour, minute), tz)
    # A time that does not exist that day (spring forward) is taken as the instant after the gap.
    at = at.astimezone(ZoneInfo("UTC")).astimezone(tz)
    return local.date() if local >= at else None


@dataclass(frozen=True)
class Line:
    title: str
    network: str
    when: str
    note: str = ""  # a link, or what is wrong


@dataclass(frozen=True)
class Digest:
    day: date
    went_out: list[Line]
    goes_out: list[Line]
    needs_her: list[Line]
    counts: tuple[int, int, int]

    @property
    def empty(self) -> bool:
        return not any(self.counts)


def gather(store: Store, wording: Wording, day: date) -> Digest:
    """The day's digest from the queue: published yesterday, due today, needing her now."""
    tz = ZoneInfo(wording.zone)
    start = datetime.combine(day, time(0), tz)
    yesterday, tomorrow = start - timedelta(days=1), start + timedelta(days=1)

    def read(conn: Any) -> tuple[list[q.DeliveryRow], list[q.DeliveryRow], dict[int, str]]:
        went = [q.to_row(r) for r in conn.execute(
            q.row_query().where(deliveries.c.status == Status.PUBLISHED.value,
                                deliveries.c.published_at >= yesterday,
                                deliveries.c.published_at < start)
            .order_by(deliveries.c.published_at, deliveries.c.id))]
        goes = [q.to_row(r) for r in conn.execute(
            q.row_query().where(deliveries.c.status.in_(
                [Status.QUEUED.value, Status.PUBLISHING.value]),
                deliveries.c.due_at >= start, deliveries.c.due_at < tomorrow)
            .order_by(deliveries.c.due_at, deliveries.c.id))]
        links = {r.delivery_id: r.remote_url for r in conn.execute(
            select(delivery_parts.c.delivery_id, delivery_parts.c.remote_url)
            .where(delivery_parts.c.delivery_id.in_([w.id for w in went]),
                   delivery_parts.c.idx == 0))}
        return went, goes, links

    went, goes, links = store.read(read)
    needs = q.list_deliveries(store, status=NEEDS_HER)

    def line(row: q.DeliveryRow, at: datetime | None, note: str = "") -> Line:
        return Line(row.title or row.source, network_display(row.platform),
                    at.astimezone(tz).strftime("%H:%M") if at else "", note)

    return Digest(
        day,
        [line(r, r.published_at, links.get(r.id) or "") for r in went[:LISTED]],
        [line(r, r.due_at) for r in goes[:LISTED]],
        [line(r, r.due_at, f"{r.status.replace('_', ' ')}: {r.last_error or ''}".strip()
              + f" (`crier queue show {r.id}`)") for r in needs[:LISTED]],
        (len(went), len(goes), len(needs)))


def render(digest: Digest, wording: Wording) -> dict[str, Any]:
    """The digest as a message's subject and text, with its sections as fields."""
    went, goes, needs = digest.counts
    day = digest.day.strftime("%a %d %b %Y")
    subject = f"Crier digest {day}: {went} out yesterday, {goes} today" + (
        f", {needs} need you" if needs else "")
    lines = [f"Your Crier digest for {day} ({wording.zone}).", ""]
    for heading, items, total in (("Went out yesterday", digest.went_out, went),
                                  ("Goes out today", digest.goes_out, goes),
                                  ("Needs you", digest.needs_her, needs)):
        if not total:
            continue
        lines.append(f"{heading} ({total}):")
        for item in items:
            when = f" at {item.when}" if item.when else ""
            note = f": {item.note}" if item.note else ""
            lines.append(f"  - \u201c{item.title}\u201d on {item.network}{when}{note}")
        if total > len(items):
            lines.append(f"  ... and {total - len(items)} more (`crier queue list`)")
        lines.append("")
    if wording.web_url:
        lines.append(f"The desk: {wording.web_url}/calendar")
    sections = {name: [vars(i) for i in items] for name, items in (
        ("went_out", digest.went_out), ("goes_out", digest.goes_out),
        ("needs_you", digest.needs_her))}
    return {"subject": subject, "text": "\n".join(lines).rstrip() + "\n",
            "sections": sections, "day": digest.day.isoformat()}


def make_if_due(store: Store, wording: Wording, digest_at: str | None,
                now: datetime) -> str | None:
    """Make today's digest when its time has passed and it is not made yet; returns
    "made", "skipped" (nothing to say) or None (not due, or made already)."""
    day = due_day(digest_at, wording.zone, now)
    if day is None:
        return None
    key = f"digest:{day.isoformat()}"
    if rows.once_used(store, key):
        return None
    digest = gather(store, wording, day)
    status = rows.SKIPPED if digest.empty else rows.PENDING
    event = rows.NewEvent(Kind.DIGEST, title=f"digest {day.isoformat()}",
                          data=render(digest, wording), once_key=key, status=status)
    made = store.write(lambda conn: rows.record(conn, event, now))
    if not made:
        return None  # another daemon made it a moment ago
    return "skipped" if digest.empty else "made"
