"""Per network: where its posts go, which variables are missing, whether the account works.

Names variables, never shows their values: whatever a check says passes through a redactor
that knows every configured secret.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from content.networks import NETWORK_NAMES, rules_for
from scheduler.publishers import accounts, check_account, secret_values
from scheduler.publishers.http import Redactor
from scheduler.settings import Settings


@dataclass(frozen=True)
class AccountCheck:
    network: str
    publisher: str  # "real" or "outbox"
    missing: tuple[str, ...]  # variable names still to set
    ok: bool | None  # None: not checked (no account, or no publisher for it yet)
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "missing": list(self.missing)}


def check_accounts(settings: Settings, platforms: list[str] | None = None, *,
                   ask: bool = True) -> list[AccountCheck]:
    """Check every network (or `platforms`). A bad setting is reported, and the others are
    still checked. With `ask=False` no network is called: a configured account is shown as
    configured, not yet checked (the desk's page, drawn at every visit)."""
    names = [rules_for(p).name for p in platforms] if platforms else list(NETWORK_NAMES)
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
        elif not ask:
            checks.append(AccountCheck(name, "real", (), None, "configured; not checked yet"))
        else:
            status = check_account(name, settings)
            checks.append(AccountCheck(name, "real", (), status.ok, secrets(status.detail)))
    return checks
