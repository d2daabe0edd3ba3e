"""`crier run`: the daemon. Publishes due deliveries until stopped (SIGTERM, Ctrl-C) or idle."""

from __future__ import annotations

import argparse
import json
import os
from datetime import timedelta

from scheduler.cli.queue import Sub
from scheduler.daemon import Daemon, DaemonConfig, RunSummary
from scheduler.publishers import Registry
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.intake import QueueError


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


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env(os.environ)
        config = DaemonConfig.from_settings(
            settings, until_idle=args.until_idle, workers=args.workers, poll=args.poll,
            lease=timedelta(seconds=args.lease) if args.lease else None)
    except ValueError as exc:
        raise QueueError(str(exc)) from None
    store = Store.open()
    summary = Daemon(store, Registry(settings), config).run()
    report(store, summary, args.json)
    return 0


def report(store: Store, summary: RunSummary, as_json: bool) -> None:
    """What this run did, and what in the queue needs the author."""
    counts = q.counts(store)
    if as_json:
        print(json.dumps({"this_run": summary.outcomes, "queue": counts}, indent=2))
        return
    done = ", ".join(f"{len(ids)} {outcome}" for outcome, ids in sorted(summary.outcomes.items()))
    print(f"This run: {done or 'nothing to do'}.")
    print("Queue: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    states = ["missed", "failed", "needs_attention"]
    total = sum(counts.get(s, 0) for s in states)
    attention = q.list_deliveries(store, status=states, limit=20)
    if attention:
        print("Needs you (`crier queue show ID`, then `retry` or `reschedule`):")
        for row in attention:
            print(f"  {row.id}  {row.platform}  {row.status}: {row.last_error or ''}")
        if total > len(attention):
            print(f"  ... and {total - len(attention)} more: "
                  "`crier queue list --status missed,failed,needs_attention`")
