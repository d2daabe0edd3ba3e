"""`crier slots`: the weekly posting schedule per network, in the author's zone.

`crier queue add --next-slot` takes each network's next free slot (Buffer's "add to queue").
Slots are wall times, so a 09:00 slot stays at 09:00 local across DST changes.
"""

from __future__ import annotations

import argparse
import json
from itertools import islice
from typing import Any

from content.networks import NETWORK_NAMES as PLATFORM_NAMES
from content.networks import check_platform
from scheduler import timing
from scheduler.cli.queue import Sub, table
from scheduler.config import load_brand
from scheduler.store import Store
from scheduler.store.intake import QueueError, utc_now
from scheduler.store.slots import get_slots, set_slots, taken_instants


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("slots", help="the weekly posting schedule per network")
    cmds = parser.add_subparsers(dest="slots_command", required=True, metavar="ACTION")
    show = cmds.add_parser("show", help="each network's slots and its next free ones")
    show.add_argument("--next", type=int, default=3, metavar="N", help="free slots to show")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=run_show)
    put = cmds.add_parser(
        "set", help="set a network's slots",
        description='Examples: crier slots set x "mon,wed,fri 09:00; sat 10:30"; '
        'crier slots set all "weekdays 08:15"; crier slots set bluesky --clear')
    put.add_argument("networks", help="a network, several comma-separated, or all")
    put.add_argument("spec", nargs="?", help='days and times, e.g. "mon,wed,fri 09:00"')
    put.add_argument("--clear", action="store_true", help="remove the network's slots")
    put.add_argument("--json", action="store_true", help="machine-readable output")
    put.set_defaults(func=run_set)


def run_set(args: argparse.Namespace) -> int:
    if args.clear == bool(args.spec):
        raise QueueError('give either the slots ("mon,wed,fri 09:00") or --clear')
    names = (list(PLATFORM_NAMES) if args.networks.strip().lower() == "all"
             else [check_platform(n) for n in args.networks.split(",") if n.strip()])
    spec = None
    if args.spec:
        try:
            slots = timing.parse_slots(args.spec)
        except timing.TimeError as exc:
            raise QueueError(f"{exc}; nothing was changed") from None
        spec = args.spec.strip()
        if args.json is False:
            print(f"{', '.join(names)}: {len(slots)} slot(s) a week")
    set_slots(Store.open(), names, spec, utc_now())
    return run_show(argparse.Namespace(next=3, json=args.json))


def run_show(args: argparse.Namespace) -> int:
    store = Store.open()
    specs = get_slots(store)
    zone = load_brand().timezone
    now = utc_now()
    out: list[dict[str, Any]] = []
    for platform, spec in specs.items():
        taken = taken_instants(store, platform, now)
        upcoming = list(islice(timing.next_slots(timing.parse_slots(spec), zone, now, taken),
                               max(0, args.next)))
        out.append({"network": platform, "slots": spec, "zone": zone,
                    "next": [{"wall": r.wall, "utc": r.instant.isoformat(), "note": r.note}
                             for r in upcoming]})
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if not out:
        print('No posting slots yet; set some with `crier slots set all "weekdays 09:00"`.')
        return 0
    rows = [[o["network"], o["slots"], ", ".join(n["wall"][5:] for n in o["next"])]
            for o in out]
    print(f"Posting slots ({zone}):")
    print(table(["network", "slots", "next free"], rows))
    for o in out:
        for n in o["next"]:
            if n["note"]:
                print(f"note: {o['network']}: {n['note']}")
    return 0
