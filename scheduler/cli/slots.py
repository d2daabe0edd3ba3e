"""`crier slots`: the weekly posting schedule per network, in the author's zone.

`crier queue add --next-slot` takes each network's next free slot (Buffer's "add to queue").
Slots are wall times, so a 09:00 slot stays at 09:00 local across DST changes.
"""

from __future__ import annotations

import argparse
import json

from content.networks import NETWORK_NAMES
from scheduler import timing
from scheduler.cli.queue import Sub
from scheduler.cli.tables import table
from scheduler.service import QueueError, Service


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
        f'crier slots set all "weekdays 08:15"; crier slots set {NETWORK_NAMES[1]} --clear')
    put.add_argument("networks", help="a network, several comma-separated, or all")
    put.add_argument("spec", nargs="?", help='days and times, e.g. "mon,wed,fri 09:00"')
    put.add_argument("--clear", action="store_true", help="remove the network's slots")
    put.add_argument("--json", action="store_true", help="machine-readable output")
    put.set_defaults(func=run_set)


def run_set(args: argparse.Namespace, service: Service) -> int:
    if args.clear == bool(args.spec):
        raise QueueError('give either the slots ("mon,wed,fri 09:00") or --clear')
    names = service.set_slots(args.networks, None if args.clear else args.spec)
    if args.spec and not args.json:
        print(f"{', '.join(names)}: {len(timing.parse_slots(args.spec))} slot(s) a week")
    return run_show(argparse.Namespace(next=3, json=args.json), service)


def run_show(args: argparse.Namespace, service: Service) -> int:
    plans = service.slots(args.next)
    if args.json:
        print(json.dumps([p.to_json() for p in plans], ensure_ascii=False, indent=2))
        return 0
    if not plans:
        print('No posting slots yet; set some with `crier slots set all "weekdays 09:00"`.')
        return 0
    rows = [[p.network, p.slots, ", ".join(r.wall[5:] for r in p.upcoming)] for p in plans]
    print(f"Posting slots ({plans[0].zone}):")
    print(table(["network", "slots", "next free"], rows))
    for p in plans:
        for r in p.upcoming:
            if r.note:
                print(f"note: {p.network}: {r.note}")
    return 0
