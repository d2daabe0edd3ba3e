"""`crier run`: the daemon. Publishes due deliveries until stopped (SIGTERM, Ctrl-C) or idle."""

from __future__ import annotations

import argparse
import json

from scheduler.cli.queue import Sub
from scheduler.daemon import RunSummary
from scheduler.service import Service


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "run", help="the daemon: publish due deliveries",
        description="Publishes due deliveries until SIGTERM or Ctrl-C, which finish the "
        "deliveries in flight first. Several daemons may share one database.")
    parser.add_argument("--until-idle", action="store_true",
                        help="exit once nothing is due and nothing is in flight")
    parser.add_argument("--workers", type=int, help="deliveries published at once "
                        "(CRIER_WORKERS, default 4)")
    parser.add_argument("--lease", type=float, metavar="SECONDS",
                        help="how long a claim holds without renewal: a killed daemon's "
                        "deliveries come back after it (CRIER_LEASE_SECONDS, default 60)")
    parser.add_argument("--poll", type=float, metavar="SECONDS",
                        help="longest sleep between looks at the queue "
                        "(CRIER_POLL_SECONDS, default 0.5)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, service: Service) -> int:
    tell = None if args.json else _say
    if tell:
        tell(service.daemon_start_line())
    summary = service.run(until_idle=args.until_idle, workers=args.workers, poll=args.poll,
                          lease=args.lease, tell=tell)
    report(service, summary, args.json)
    return 0


def _say(line: str) -> None:
    print(line, flush=True)  # as it happens, also when stdout is a file or a pipe


def report(service: Service, summary: RunSummary, as_json: bool) -> None:
    """What this run did, and what in the queue needs the author."""
    counts = service.counts()
    if as_json:
        print(json.dumps({"this_run": summary.outcomes, "queue": counts}, indent=2))
        return
    done = ", ".join(f"{len(ids)} {outcome}" for outcome, ids in sorted(summary.outcomes.items()))
    print(f"This run: {done or 'nothing to do'}.")
    print("Queue: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    attention = service.attention()
    if attention.rows:
        print("Needs you (`crier queue show ID`, then `retry` or `reschedule`):")
        for row in attention.rows:
            print(f"  {row.id}  {row.platform}  {row.status}: {row.last_error or ''}")
        if attention.total > len(attention.rows):
            print(f"  ... and {attention.total - len(attention.rows)} more: "
                  "`crier queue list --status missed,failed,needs_attention`")
