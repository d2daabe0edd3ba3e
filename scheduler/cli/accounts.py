"""`crier accounts check`: per network, where its posts go, whether the account works, whose it
is, and when its token expires (the author's zone, days left).

Names variables, never shows their values. Exit 1 when a configured account does not work.
"""

from __future__ import annotations

import argparse
import json

from content.networks import rules_for
from scheduler.cli.tables import table
from scheduler.service import Service

Sub = argparse._SubParsersAction  # noqa: SLF001 - argparse has no public name for it


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("accounts", help="the networks' accounts")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="which networks publish for real, and whether their accounts work",
        description="For each network: whether it publishes for real or to the outbox, which "
        "variables are missing, and for a configured account whether the network accepts "
        "its credentials, whose they are and when the token expires. Never prints a secret.")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--platform", action="append", default=[],
                       help="only this network (repeatable)")
    check.set_defaults(func=run)


def run(args: argparse.Namespace, service: Service) -> int:
    checks = service.accounts(args.platform)
    if args.json:
        print(json.dumps([c.to_json() for c in checks], ensure_ascii=False, indent=2))
    else:
        rows = [[rules_for(c.network).display, c.publisher,
                 {None: "-", True: "ok", False: "FAILED"}[c.ok], c.expires or "-", c.detail]
                for c in checks]
        print(table(["network", "via", "account", "token expires", "detail"], rows))
    return 1 if any(c.ok is False for c in checks) else 0
