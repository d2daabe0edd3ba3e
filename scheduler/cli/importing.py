"""`crier import SOURCE`: a post file written from a blog page, its feed, or pasted text."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from content.errors import CrierError
from scheduler.cli.queue import Sub, when_of
from scheduler.importer import Imported, Options
from scheduler.service import Service
from scheduler.service.when import QueueError


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "import", help="write a post file from a blog page, its feed, or pasted text",
        description="SOURCE is a page's address, a saved .html file, a feed (address or file, "
        "RSS or Atom) or a text file pasted from the page. Page chrome, share and comment "
        "widgets and your own disclaimer and calls to action are left out (Crier appends "
        "them); the images are downloaded beside the post with their alt text.")
    parser.add_argument("source", metavar="SOURCE")
    parser.add_argument("-o", "--output", type=Path, metavar="PATH",
                        help="the post file to write (default: a new file in --posts)")
    parser.add_argument("--posts", type=Path, default=Path("posts"), metavar="DIR",
                        help="your posts folder (default ./posts)")
    parser.add_argument("--image", type=Path, metavar="PHOTO",
                        help="pasted text: the photo its description lines describe")
    parser.add_argument("--link", metavar="URL", help="the post's address, when the source "
                        "does not give it (pasted text, a saved page)")
    parser.add_argument("--all", action="store_true", help="a feed: every item, not only "
                        "the newest")
    parser.add_argument("--force", action="store_true", help="replace an existing post file")
    parser.add_argument("--extractor", choices=("trafilatura", "readability"),
                        default="trafilatura", help="for a page no site rule knows")
    parser.add_argument("--queue", action="store_true",
                        help="queue the post at once (with --at, --next-slot or --now)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"')
    group.add_argument("--next-slot", action="store_true")
    group.add_argument("--now", action="store_true")
    parser.add_argument("--tz", metavar="ZONE")
    parser.add_argument("--platforms", help="with --queue: only these networks")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run_import)


def run_import(args: argparse.Namespace, service: Service) -> int:
    timed = args.at or args.next_slot or args.now
    if timed and not args.queue:
        raise QueueError("--at, --next-slot and --now go with --queue; nothing was imported")
    if args.queue and not timed:
        raise QueueError("--queue needs a time: --at \"YYYY-MM-DD HH:MM\", --next-slot or "
                         "--now; nothing was imported")
    options = Options(posts_dir=args.posts, out=args.output, image=args.image, link=args.link,
                      force=args.force, every_item=args.all, extractor=args.extractor)
    done = service.import_post(args.source, options)
    queued: list[dict[str, object]] = []
    notes: list[str] = []
    if args.queue:
        platforms = [p.strip() for p in (args.platforms or "").split(",") if p.strip()]
        try:
            result = service.queue([d.path for d in done], when_of(args), platforms=platforms)
        except CrierError as exc:
            raise QueueError(f"imported to {', '.join(str(d.path) for d in done)}, but not "
                             f"queued: {exc}") from None
        queued = [row.to_json() for row in result.rows]
        notes = result.notes
    if args.json:
        reports = [_report(d, queued) for d in done]
        print(json.dumps(reports[0] if len(reports) == 1 else reports, ensure_ascii=False,
                         indent=2))
        return 0
    for d in done:
        _show(d)
    if args.queue:
        print(f"Queued {len(queued)} deliver{'y' if len(queued) == 1 else 'ies'} "
              "(`crier queue list`).")
        for note in notes:
            print(f"note: {note}")
    return 0


def _report(done: Imported, queued: list[dict[str, object]]) -> dict[str, object]:
    data = done.to_json()
    if queued:
        data["queued"] = [q for q in queued if q.get("source") == str(done.path)]
    return data


def _show(done: Imported) -> None:
    a = done.article
    print(f"Wrote {done.path}")
    print(f"  title: {a.title or '(none)'}")
    print(f"  link: {a.link or '(none: add link: to the front matter)'}")
    if a.published:
        print(f"  published: {a.published}")
    print(f"  read as: {a.site}; {len(a.paragraphs)} paragraphs")
    for photo in done.photos:
        print(f"  image: {done.path.parent / photo.name} (alt: {photo.alt or '(none)'})")
    if done.quote:
        print(f"  quote: {done.quote}")
    for d in a.dropped:
        text = " ".join(d.text.split())
        print(f"  left out ({d.reason}): {text[:70] + '…' if len(text) > 70 else text}")
    for note in a.notes:
        print(f"note: {note}")
