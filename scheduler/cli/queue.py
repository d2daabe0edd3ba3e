"""`crier queue`: add posts to the queue, list, show, cancel, retry and reschedule deliveries."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from content.networks import NETWORK_NAMES
from scheduler.cli.tables import both, delivery_table, local, short, table
from scheduler.service import DeliveryRow, Service, When
from scheduler.states import Status

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
    add.add_argument("--platforms", help="only these networks, comma-separated "
                     f"({','.join(NETWORK_NAMES[:2])})")
    add.add_argument("--live", action="store_true",
                     help="refuse to queue a network with no account (also CRIER_LIVE=1) "
                     "instead of sending it to the outbox")
    add.add_argument("--again", action="store_true",
                     help="queue it even if the same content is already queued or published "
                     "for a network (a repost)")
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

    evergreen = cmds.add_parser(
        "repeats", help="evergreen posts (repeat: in the front matter) and their next rounds",
        description="Lists every evergreen series; --stop ID stops one (no more rounds, and a "
        "round queued and not yet started is cancelled).")
    evergreen.add_argument("--stop", type=int, metavar="ID", help="stop this series")
    _json(evergreen)
    evergreen.set_defaults(func=run_repeats)

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


def when_of(args: argparse.Namespace) -> When:
    if args.now:
        return When("now", zone=args.tz)
    if args.next_slot:
        return When("next_slot", zone=args.tz)
    return When("at", wall=args.at, zone=args.tz)


def _csv(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def run_add(args: argparse.Namespace, service: Service) -> int:
    # Every file is checked and composed before anything is stored: all or nothing.
    done = service.queue(args.posts, when_of(args), platforms=_csv(args.platforms),
                         live=args.live, again=args.again)
    rows, notes = done.rows, done.notes
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


def run_list(args: argparse.Namespace, service: Service) -> int:
    wanted = _csv(args.status)
    rows = service.deliveries(status=wanted, limit=args.limit)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("The queue is empty." if not wanted else "No delivery in that state.")
        return 0
    print(delivery_table(rows))
    print(" · ".join(f"{n} {s}" for s, n in sorted(service.counts().items())))
    return 0


def run_show(args: argparse.Namespace, service: Service) -> int:
    detail = service.delivery(args.id)
    if args.json:
        print(json.dumps(detail.to_json(), ensure_ascii=False, indent=2))
        return 0
    d = detail.delivery
    print(f"delivery {d.id}: {d.platform} via {d.publisher} ({d.account}), {d.status}")
    print(f"post {d.post_id}: {d.source}" + (f" ({d.title})" if d.title else ""))
    print(f"due: {local(d.due_at, d.zone)}  ({d.due_at:%Y-%m-%d %H:%M} UTC)")
    if d.time_note:
        print(f"time: {d.time_note}")
    if d.published_at:
        print(f"published: {both(d.published_at, d.zone)}")
    if d.status == Status.QUEUED and d.next_attempt_at != d.due_at:
        print(f"next attempt: {both(d.next_attempt_at, d.zone)}")
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
            ended = both(a.ended_at, d.zone) if a.ended_at else "(in flight)"
            print(f"  {both(a.started_at, d.zone)} -> {ended}  {a.outcome or ''}  "
                  f"{a.owner}" + (f"  {a.detail}" if a.detail else ""))
    return 0


def run_repeats(args: argparse.Namespace, service: Service) -> int:
    if args.stop is not None:
        cancelled = service.stop_repeat(args.stop)
        if args.json:
            print(json.dumps({"stopped": args.stop, "cancelled": cancelled}))
            return 0
        print(f"Stopped repeat {args.stop}" + (
            f"; cancelled its queued round (delivery {', '.join(map(str, cancelled))})"
            if cancelled else "") + ".")
        return 0
    rows = service.repeats()
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No evergreen post. Add repeat: {every: \"90 days\", times: 3} to a post's "
              "front matter and queue it.")
        return 0
    print(table(["id", "post", "network", "every", "published", "status", "next"], [
        [str(r.id), short(r.title or Path(r.source).name, 28), r.platform, r.every,
         f"{r.published}/{r.times + 1}", r.status,
         (f"delivery {r.next_delivery} {r.next_status}, due {r.next_due:%Y-%m-%d %H:%M} UTC"
          if r.next_due else "")]
        for r in rows]))
    return 0


def run_cancel(args: argparse.Namespace, service: Service) -> int:
    return _changed(args, service.cancel(args.ids), "Cancelled")


def run_retry(args: argparse.Namespace, service: Service) -> int:
    return _changed(args, service.retry(args.ids), "Queued again")


def run_reschedule(args: argparse.Namespace, service: Service) -> int:
    moved = service.reschedule(args.ids, when_of(args))
    if not args.json:
        for note in moved.notes:
            print(f"note: {note}")
    return _changed(args, moved.rows, "Rescheduled")


def _changed(args: argparse.Namespace, rows: Sequence[DeliveryRow], verb: str) -> int:
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
    else:
        print(f"{verb}:")
        print(delivery_table(rows))
    return 0
