"""`crier accounts check`: per network, where its posts go and whether the account works.

Names variables, never shows their values. Exit 1 when a configured account does not work.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from typing import Any

from content.platforms import PLATFORM_NAMES, rules_for
from scheduler.publishers import accounts, check_account, secret_values
from scheduler.publishers.http import Redactor
from scheduler.settings import Settings

Sub = argparse._SubParsersAction  # noqa: SLF001 - argparse has no public name for it


@dataclass(frozen=True)
class AccountCheck:
    network: str
    publisher: str  # "real" or "outbox"
    missing: tuple[str, ...]  # variable names still to set
    ok: bool | None  # None: not checked (no account, or no publisher for it yet)
    detail: str


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("accounts", help="the networks' accounts")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="which networks publish for real, and whether their accounts work",
        description="For each network: whether it publishes for real or to the outbox, which "
        "variables are missing, and for a configured account whether the network accepts "
        "its credentials. Never prints a secret.")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--platform", action="append", default=[],
                       help="only this network (repeatable)")
    check.set_defaults(func=run)


def check_accounts(env: dict[str, str], platforms: list[str] | None = None) -> list[AccountCheck]:
    """Check every network (or `platforms`): the library entry point behind the command."""
    names = [rules_for(p).name for p in platforms] if platforms else list(PLATFORM_NAMES)
    settings = Settings.from_env(env)
    secrets = Redactor(secret_values(settings))
    checks = []
    for account in accounts(settings, names):
        name, missing = account.network, account.missing
        if missing:
            detail = (f"goes to the outbox ({settings.outbox_dir / name}); "
                      f"set {', '.join(missing)}")
            checks.append(AccountCheck(name, "outbox", missing, None, detail))
        elif not account.live:
            checks.append(AccountCheck(name, "outbox", (), None,
                                       "this Crier has no publisher for it yet; "
                                       "it goes to the outbox"))
        else:
            status = check_account(name, settings)
            checks.append(AccountCheck(name, "real", (), status.ok, secrets(status.detail)))
    return checks


def run(args: argparse.Namespace) -> int:
    checks = check_accounts(dict(os.environ), args.platform)
    if args.json:
        out: list[dict[str, Any]] = [{**asdict(c), "missing": list(c.missing)} for c in checks]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"{'network':<10} {'via':<7} {'account':<7} detail")
        for c in checks:
            display = rules_for(c.network).display
            verdict = {None: "-", True: "ok", False: "FAILED"}[c.ok]
            print(f"{display:<10} {c.publisher:<7} {verdict:<7} {c.detail}")
    return 1 if any(c.ok is False for c in checks) else 0
