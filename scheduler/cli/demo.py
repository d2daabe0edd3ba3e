"""`crier demo`: the whole job on the embedded defaults, with no account and no setup.

Queues the sample post for all seven networks now, runs the daemon until idle, and shows where
each network's output went. Everything lives in one folder (`demo-out/`), reset at each run:
a SQLite database and the outbox. Accounts in the environment are ignored: a demo never posts.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from content.errors import CrierError
from content.platforms import PLATFORM_NAMES
from scheduler.cli.queue import Sub, table
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publishers import Registry, account_variables
from scheduler.publishers.outbox import SENT_LOG, read_sent_log
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.engine import sqlite_url
from scheduler.store.intake import When, plan_post, utc_now

SAMPLE = PROJECT_ROOT / "examples" / "glutamate.md"
BRAND = PROJECT_ROOT / "brand.toml"
_OURS = {"crier.db", "crier.db-wal", "crier.db-shm", "outbox"}


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help="queue the sample post everywhere and publish it "
                            "to a local outbox (no accounts needed)")
    parser.add_argument("--dir", type=Path, default=Path("demo-out"),
                        help="the demo's folder, emptied first (default ./demo-out)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    _reset(folder)
    outbox = folder / "outbox"
    env = {k: v for k, v in os.environ.items()
           if k not in account_variables()
           and not k.startswith("CRIER_")}
    env["CRIER_OUTBOX_DIR"] = str(outbox)
    store = Store.open(sqlite_url(folder / "crier.db"), env=env)
    brand = load_brand(BRAND)
    now = utc_now()
    print(f"Queueing {SAMPLE.relative_to(PROJECT_ROOT)} for {len(PLATFORM_NAMES)} networks, "
          f"now, into {folder}/ ...")
    plan = plan_post(SAMPLE, brand, When("now"), now=now, platforms=PLATFORM_NAMES, env=env)
    q.queue_posts(store, [plan.post], now)
    print("Running the daemon until idle ...")
    Daemon(store, Registry(Settings.from_env(env)), DaemonConfig(until_idle=True, poll=0.2)).run()
    rows = q.list_deliveries(store)
    body = []
    for row in rows:
        log = read_sent_log(outbox / row.platform / SENT_LOG)
        sent = sum(1 for e in log if e.get("delivery_id") == row.id)
        body.append([row.platform, str(row.parts), row.status, f"{sent}/{row.parts}",
                     f"{outbox / row.platform / str(row.id)}/"])
    print()
    print(table(["network", "parts", "status", "sent", "output"], body))
    print()
    print(f"Each folder holds every part's text, images, alt texts and the payload; "
          f"{outbox}/<network>/{SENT_LOG} is what each network received.")
    print("To publish for real, set a network's variables (see .env.example) and use "
          "`crier queue add POST.md --at ...` then `crier run`.")
    bad = [r for r in rows if r.status != "published"]
    return 1 if bad else 0


def _reset(folder: Path) -> None:
    if folder.exists():
        stray = sorted(p.name for p in folder.iterdir() if p.name not in _OURS)
        if stray:
            raise CrierError(f"{folder} holds files the demo did not make ({', '.join(stray)}); "
                             "pick another folder with --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
