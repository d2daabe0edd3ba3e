"""`crier demo`: the whole job on the embedded defaults, with no account and no setup.

Queues the sample post for all seven networks now, runs the daemon until idle, and shows where
each network's output went. Everything lives in one folder (`demo-out/`), reset at each run:
a SQLite database and the outbox. Accounts in the environment are ignored: a demo never posts.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from content.errors import CrierError
from content.networks import NETWORK_NAMES
from scheduler.cli.queue import Sub
from scheduler.cli.tables import table
from scheduler.config import PROJECT_ROOT
from scheduler.publishers import account_variables
from scheduler.publishers.outbox import SENT_LOG, read_sent_log
from scheduler.service import Service, When
from scheduler.settings import Settings, sqlite_url

SAMPLE = PROJECT_ROOT / "examples" / "glutamate.md"
BRAND = PROJECT_ROOT / "brand.toml"
_OURS = {"crier.db", "crier.db-wal", "crier.db-shm", "outbox"}


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help="queue the sample post everywhere and publish it "
                            "to a local outbox (no accounts needed)")
    parser.add_argument("--dir", type=Path, default=Path("demo-out"),
                        help="the demo's folder, emptied first (default ./demo-out)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, service: Service) -> int:
    folder: Path = args.dir
    _reset(folder)
    outbox = folder / "outbox"
    # A demo never posts: every account variable and every CRIER_ setting is left out.
    settings = Settings.from_env(
        service.settings.without((*account_variables(), "CRIER_")).environ)
    settings = settings.with_values(database_url=sqlite_url(folder / "crier.db"),
                                    outbox_dir=outbox, brand=BRAND)
    demo = Service(settings, clock=service.clock)
    print(f"Queueing {SAMPLE.relative_to(PROJECT_ROOT)} for {len(NETWORK_NAMES)} networks, "
          f"now, into {folder}/ ...")
    demo.queue([SAMPLE], When("now"), platforms=NETWORK_NAMES)
    print("Running the daemon until idle ...")
    demo.run(until_idle=True, poll=0.2)
    rows = demo.deliveries()
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
