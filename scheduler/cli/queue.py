"""`crier queue`: add posts to the queue, list, show, cancel, retry and reschedule deliveries."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from content.errors import CrierError
from scheduler import timing
from scheduler.config import load_brand
from scheduler.publishers import live_requested
from scheduler.settings import Settings
from scheduler.states import Status
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.intake import Plan, QueueError, When, plan_post, utc_now
from scheduler.store.slots import get_slots, taken_instants

Sub = argparse._SubParsersAction  # noqa: SLF001 - argparse has no public name for it


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("queue", help="queue posts and manage the queue",
                            description="Queue posts for publishing and manage the queue.")
    cmds = parser.add_subparsers(dest="queue_command", required=True, metavar="ACTION")

    add = cmds.add_parser("add", help="queue post files for every target network",
                          description="Formats each post for every target network first; if "
                          "any network cannot take it, nothing is queued.")
    add.add_argument("posts", nargs="+", type=Path, metavar="POST.md")
    _when_options(add)
    add.add_argument("--platforms", help="only these networks, comma-separated (x,bluesky)")
    add.add_argument("--live", action="store_true",
                     help="refuse to queue a network with no account (also CRIER_LIVE=1) "
                     "instead of sending it to the outbox")
    _json(add)
    add.set_defaults(func=run_add)

    listing = cmds.add_parser("list", help="the queue, in due order")
    listing.add_argument("--status", help="only these states, comma-separated "
                         f"({', '.join(s.value for s in Status)})")
    listing.add_argument("--limit", type=int, help="at most this many")
    _json(listing)
    listing.set_defaults(func=run_list)

    show = cmds.add_parser("show", help="one delivery: its parts, remote ids and attempts")
    show.add_argument("id", type=int)
    _json(show)
    show.set_defaults(func=run_show)

    for name, help_text, func in (
        ("cancel", "cancel deliveries not yet published", run_cancel),
        ("retry", "send failed, missed, cancelled or needs-attention deliveries again now "
                  "(resuming after the last live part)", run_retry),
    ):
        cmd = cmds.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("ids", nargs="+", type=int, metavar="ID")
        _json(cmd)
        cmd.set_defaults(func=func)

    move = cmds.add_parser("reschedule", help="move deliveries to another time")
    move.add_argument("ids", nargs="+", type=int, metavar="ID")
    _when_options(move)
    _json(move)
    move.set_defaults(func=run_reschedule)


def _when_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"', help="the wall time to publish at")
    group.add_argument("--next-slot", action="store_true",
                       help="the next free posting slot of each network (`crier slots`)")
    group.add_argument("--now", action="store_true", help="publish as soon as possible")
    parser.add_argument("--tz", metavar="ZONE",
                        help="IANA zone of --at (default: the post's, else the brand's)")


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _when(args: argparse.Namespace) -> When:
    if args.now:
        return When("now", zone=args.tz)
    if args.next_slot:
        return When("next_slot", zone=args.tz)
    return When("at", wall=args.at, zone=args.tz)


def slot_finder(store: Store | Callable[[], Store], now: datetime) -> Any:
    """Next free slot of a network after `now`, skipping instants already holding a delivery."""
    specs: dict[str, str] | None = None

    def find(platform: str, zone: str, busy: set[datetime]) -> timing.Resolved | None:
        nonlocal specs, store
        if callable(store):
            store = store()
        if specs is None:
            specs = get_slots(store)
        spec = specs.get(platform)
        if spec is None:
            return None
        taken = taken_instants(store, platform, now) | busy
        return next(timing.next_slots(timing.parse_slots(spec), zone, now, taken), None)

    return find


def run_add(args: argparse.Namespace) -> int:
    brand = load_brand()
    now = utc_now()
    live = args.live or live_requested(Settings.from_env(os.environ))
    platforms = [p.strip() for p in (args.platforms or "").split(",") if p.strip()]
    taken: dict[str, set[datetime]] = {}
    opened: list[Store] = []

    def store() -> Store:  # opened only when needed: bad input is reported without it
        if not opened:
            opened.append(Store.open())
        return opened[0]

    # Every file is checked and composed before anything is stored: all or nothing.
    plans: list[Plan] = [
        plan_post(path, brand, _when(args), now=now, platforms=platforms,
                  slot_finder=slot_finder(store, now), live=live, taken=taken)
        for path in args.posts
    ]
    rows = q.queue_posts(store(), [plan.post for plan in plans], now)
    notes = [note for plan in plans for note in plan.notes]
    if args.json:
        print(json.dumps({"queued": [r.to_json() for r in rows], "notes": notes},
                         ensure_ascii=False, indent=2))
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        return 0
    posts = sorted({r.post_id for r in rows})
    print(f"Queued {len(rows)} deliver{'y' if len(rows) == 1 else 'ies'} "
          f"of {len(posts)} post{'s' * (len(posts) != 1)}:")
    print(delivery_table(rows))
    for note in notes:
        print(f"note: {note}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    store = Store.open()
    wanted = [s.strip() for s in (args.status or "").split(",") if s.strip()]
    try:
        statuses = [Status(s).value for s in wanted]
    except ValueError:
        raise QueueError(f"unknown status in {args.status!r}; the states are "
                         f"{', '.join(s.value for s in Status)}") from None
    rows = q.list_deliveries(store, status=statuses, limit=args.limit)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("The queue is empty." if not wanted else "No delivery in that state.")
        return 0
    print(delivery_table(rows))
    counts = q.counts(store)
    print(" · ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0


def run_show(args: argparse.Namespace) -> int:
    detail = q.show(Store.open(), args.id)
    if args.json:
        print(json.dumps(detail.to_json(), ensure_ascii=False, indent=2))
        return 0
    d = detail.delivery
    print(f"delivery {d.id}: {d.platform} via {d.publisher} ({d.account}), {d.status}")
    print(f"post {d.post_id}: {d.source}" + (f" ({d.title})" if d.title else ""))
    print(f"due: {_local(d.due_at, d.zone)}  ({d.due_at:%Y-%m-%d %H:%M} UTC)")
    if d.time_note:
        print(f"time: {d.time_note}")
    if d.status == Status.QUEUED and d.next_attempt_at != d.due_at:
        print(f"next attempt: {d.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC")
    if d.last_error:
        print(f"last error: {d.last_error}")
    for part in detail.parts:
        where = f"live {part.remote_id}" if part.remote_id else "not sent"
        print(f"-- part {part.index + 1}/{d.parts} ({where})")
        for line in part.text.splitlines() or [""]:
            print(f"   | {line}")
        for image in part.images:
            print(f"   [image {image['width']}x{image['height']} {image['format']}, "
                  f"alt: {image['alt']}]")
    if detail.attempts:
        print("attempts:")
        for a in detail.attempts:
            ended = f"{a.ended_at:%Y-%m-%d %H:%M:%S}" if a.ended_at else "(in flight)"
            print(f"  {a.started_at:%Y-%m-%d %H:%M:%S} -> {ended} UTC  {a.outcome or ''}  "
                  f"{a.owner}" + (f"  {a.detail}" if a.detail else ""))
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    return _changed(args, q.cancel(Store.open(), args.ids, utc_now()), "Cancelled")


def run_retry(args: argparse.Namespace) -> int:
    return _changed(args, q.retry(Store.open(), args.ids, utc_now()), "Queued again")


def run_reschedule(args: argparse.Namespace) -> int:
    store = Store.open()
    now = utc_now()
    rows = q.list_deliveries(store, ids=args.ids)
    known = {r.id for r in rows}
    missing = [i for i in args.ids if i not in known]
    if missing:
        raise q.NoSuchDelivery(f"no delivery {', '.join(map(str, missing))}; nothing was changed")
    when = _when(args)
    if when.kind == "at" and not when.wall:
        raise QueueError("give the new time: --at \"YYYY-MM-DD HH:MM\", --next-slot or --now")
    taken: dict[str, set[datetime]] = {}
    finder = slot_finder(store, now)
    targets: list[tuple[q.DeliveryRow, timing.Resolved]] = []
    for row in sorted(rows, key=lambda r: args.ids.index(r.id)):
        zone = when.zone or row.zone or load_brand().timezone
        targets.append((row, _resolve(when, zone, now, row.platform, finder, taken)))
    changed = q.reschedule(store, [
        q.Move(row.id, res.instant, res.wall, res.zone, res.note) for row, res in targets], now)
    notes = [f"{r.platform}: {res.note}" for r, res in targets if res.note]
    if not args.json:
        for note in notes:
            print(f"note: {note}")
    return _changed(args, changed, "Rescheduled")


def _resolve(when: When, zone: str, now: datetime, platform: str, finder: Any,
             taken: dict[str, set[datetime]]) -> timing.Resolved:
    try:
        if when.kind == "now":
            wall = now.astimezone(timing.load_zone(zone)).strftime("%Y-%m-%d %H:%M")
            return timing.Resolved(now, wall, zone, None)
        if when.kind == "next_slot":
            busy = taken.setdefault(platform, set())
            found: timing.Resolved | None = finder(platform, zone, busy)
            if found is None:
                raise QueueError(f"{platform} has no posting slots; set some with "
                                 f"`crier slots set {platform} \"mon,wed,fri 09:00\"`")
            busy.add(found.instant)
            return found
        resolved = timing.resolve(when.wall or "", zone)
    except timing.TimeError as exc:
        raise QueueError(f"{exc}; nothing was changed") from None
    if resolved.instant < now:
        raise QueueError(f"{resolved.wall} {zone} is in the past; give a later time or --now; "
                         "nothing was changed")
    return resolved


def _changed(args: argparse.Namespace, rows: Sequence[q.DeliveryRow], verb: str) -> int:
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
    else:
        print(f"{verb}:")
        print(delivery_table(rows))
    return 0


def _local(when: datetime, zone: str | None) -> str:
    if not zone:
        return f"{when:%Y-%m-%d %H:%M} UTC"
    try:
        return when.astimezone(timing.load_zone(zone)).strftime("%Y-%m-%d %H:%M %Z")
    except timing.TimeError:
        return f"{when:%Y-%m-%d %H:%M} UTC"


def delivery_table(rows: Sequence[q.DeliveryRow]) -> str:
    """The readable queue: one line per delivery."""
    body = []
    for r in rows:
        status = r.status
        if r.status == Status.QUEUED and r.reconcile:
            status += " (check)"
        parts = f"{r.live_parts}/{r.parts}" if r.live_parts else str(r.parts)
        body.append([str(r.id), _short(r.title or Path(r.source).name, 28), r.platform, parts,
                     f"{_local(r.due_at, r.zone)} ({r.due_at:%H:%M} UTC)", status, r.publisher,
                     _short(r.last_error or "", 60)])
    return table(["id", "post", "network", "parts", "due", "status", "via", "note"], body)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in rows])


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


__all__ = ["register", "table", "delivery_table", "CrierError"]
