"""`crier feeds`: the blog feeds the daemon watches; and `crier queue drafts|approve|discard`
for the posts imported from them that wait for the author's review."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scheduler.cli.queue import Sub, when_of
from scheduler.cli.tables import delivery_table, local, short, table
from scheduler.importer.watch import FeedReport
from scheduler.service import Service, When


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("feeds", help="blog feeds the daemon watches and imports from",
                            description="The daemon polls each feed (every 30 minutes by "
                            "default), imports every new item and queues it into the next "
                            "free slots, or keeps it as a draft for review.")
    cmds = parser.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    add = cmds.add_parser("add", help="watch a feed (RSS or Atom)",
                          description="Fetches the feed now; what it holds is recorded as "
                          "seen and nothing is queued, unless --backfill.")
    add.add_argument("url", metavar="URL")
    add.add_argument("--platforms", help="only these networks, comma-separated")
    add.add_argument("--max-per-day", type=int, default=1, metavar="N",
                     help="at most N posts from this feed a day per network (default 1)")
    add.add_argument("--min-spacing", type=int, default=240, metavar="MINUTES",
                     help="never two of its posts closer than this (default 240)")
    add.add_argument("--interval", type=int, default=30, metavar="MINUTES",
                     help="how often to look at the feed (default 30)")
    add.add_argument("--review", action=argparse.BooleanOptionalAction, default=True,
                     help="keep imported posts as drafts until `crier queue approve ID` "
                     "(default: --review)")
    add.add_argument("--backfill", action="store_true",
                     help="import what the feed holds now too")
    add.add_argument("--posts", type=Path, default=Path("posts"), metavar="DIR",
                     help="where the post files go (default ./posts)")
    _json(add)
    add.set_defaults(func=run_add)
    listing = cmds.add_parser("list", help="the feeds watched")
    _json(listing)
    listing.set_defaults(func=run_list)
    remove = cmds.add_parser("remove", help="stop watching a feed (by id or URL)")
    remove.add_argument("feed", metavar="ID|URL")
    remove.set_defaults(func=run_remove)
    check = cmds.add_parser("check", help="poll every feed now, as the daemon would")
    _json(check)
    check.set_defaults(func=run_check)
    _drafts_in_queue(sub)


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _drafts_in_queue(sub: Sub[argparse.ArgumentParser]) -> None:
    """`crier queue drafts|approve|discard`: beside the queue's other actions."""
    queue = sub.choices.get("queue")
    if queue is None:
        return
    actions = next(a for a in queue._actions  # noqa: SLF001 - argparse keeps them there
                   if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    drafts = actions.add_parser("drafts", help="imported posts waiting for your review")
    _json(drafts)
    drafts.set_defaults(func=run_drafts)
    approve = actions.add_parser(
        "approve", help="queue drafts (by default into their feed's next free slots)")
    approve.add_argument("ids", nargs="+", type=int, metavar="ID")
    group = approve.add_mutually_exclusive_group()
    group.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"')
    group.add_argument("--next-slot", action="store_true")
    group.add_argument("--now", action="store_true")
    approve.add_argument("--tz", metavar="ZONE")
    _json(approve)
    approve.set_defaults(func=run_approve)
    discard = actions.add_parser("discard", help="drop drafts without queueing them")
    discard.add_argument("ids", nargs="+", type=int, metavar="ID")
    discard.set_defaults(func=run_discard)


def run_add(args: argparse.Namespace, service: Service) -> int:
    platforms = [p.strip() for p in (args.platforms or "").split(",") if p.strip()]
    added = service.add_feed(args.url, platforms=platforms, max_per_day=args.max_per_day,
                             min_spacing_minutes=args.min_spacing, review=args.review,
                             posts_dir=args.posts, interval_minutes=args.interval,
                             backfill=args.backfill)
    if args.json:
        print(json.dumps({"feed": added.feed.to_json(), "first_look": added.report.to_json()},
                         ensure_ascii=False, indent=2))
        return 0
    feed = added.feed
    print(f"Watching feed {feed.id}: {feed.url}")
    if args.backfill:
        _show_report(added.report)
    else:
        print(f"  {added.report.new} item(s) there now, recorded as seen (not queued); new "
              "ones are imported as they appear (`crier run`).")
    print("  " + ("new posts wait as drafts for `crier queue approve ID`" if feed.review
                  else "new posts are queued into the next free slots"))
    return 0


def run_list(args: argparse.Namespace, service: Service) -> int:
    feeds = service.feeds()
    if args.json:
        print(json.dumps([f.to_json() for f in feeds], ensure_ascii=False, indent=2))
        return 0
    if not feeds:
        print("No feed is watched; add one with `crier feeds add URL`.")
        return 0
    zone = service.brand.timezone
    print(table(["id", "feed", "networks", "per day", "review", "items", "next look", "error"],
                [[str(f.id), short(f.url, 40), ",".join(f.platforms) or "all",
                  str(f.max_per_day), "yes" if f.review else "no",
                  " ".join(f"{n} {s}" for s, n in sorted(f.counts.items())),
                  local(f.next_check_at, zone), short(f.last_error or "", 50)]
                 for f in feeds]))
    return 0


def run_remove(args: argparse.Namespace, service: Service) -> int:
    feed = service.remove_feed(args.feed)
    print(f"No longer watching {feed.url}; what it queued stays queued.")
    return 0


def run_check(args: argparse.Namespace, service: Service) -> int:
    report = service.poll_feeds(every=True)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        if not report.feeds:
            print("No feed is watched.")
        for one in report.feeds:
            _show_report(one)
    for error in report.errors:
        print(f"crier: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def _show_report(one: FeedReport) -> None:
    print(f"{one.url}: {one.status}, {one.new} new")
    for q in one.queued:
        print(f"  queued {q['path']} (deliveries {', '.join(map(str, q['deliveries']))})")
    for d in one.drafts:
        print(f"  draft {d['draft']}: {d['path']} (`crier queue approve {d['draft']}`)")


def run_drafts(args: argparse.Namespace, service: Service) -> int:
    drafts = service.drafts()
    if args.json:
        print(json.dumps([d.to_json() for d in drafts], ensure_ascii=False, indent=2))
        return 0
    if not drafts:
        print("No draft is waiting.")
        return 0
    print(table(["id", "post", "file", "imported"],
                [[str(d.id), short(d.title or "", 40), d.path,
                  local(d.created_at, service.brand.timezone)] for d in drafts]))
    print("Read (and edit) the file, `crier preview FILE`, then `crier queue approve ID`.")
    return 0


def run_approve(args: argparse.Namespace, service: Service) -> int:
    when: When | None = when_of(args) if (args.at or args.next_slot or args.now) else None
    done = service.approve(args.ids, when)
    if args.json:
        print(json.dumps({"queued": [r.to_json() for r in done.rows], "notes": done.notes},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"Queued {len(done.rows)} deliver{'y' if len(done.rows) == 1 else 'ies'}:")
    print(delivery_table(done.rows))
    for note in done.notes:
        print(f"note: {note}")
    return 0


def run_discard(args: argparse.Namespace, service: Service) -> int:
    for draft in service.discard(args.ids):
        print(f"Discarded draft {draft.id} ({draft.path}); the file is kept.")
    return 0
