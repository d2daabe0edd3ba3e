"""Per network: where its posts go, which variables are missing, whether the account works.

Names variables, never shows their values: whatever a check says passes through a redactor
that knows every configured secret.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from content.networks import NETWORK_NAMES, rules_for
from scheduler.publishers import CREDENTIALS, PUBLISHERS
from scheduler.publishers.http import Redactor
from scheduler.publishers.outbox import outbox_dir
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


def check_accounts(settings: Settings, platforms: list[str] | None = None) -> list[AccountCheck]:
    """Check every network (or `platforms`). A bad setting is reported, and the others are
    still checked."""
    env = settings.environ
    names = [rules_for(p).name for p in platforms] if platforms else list(NETWORK_NAMES)
    secrets = Redactor(value for network in CREDENTIALS.values() for name in network
                       if (value := env.get(name)))
    checks = []
    for name in names:
        missing = tuple(settings.missing(CREDENTIALS[name]))
        factory = PUBLISHERS.get(name)
        if missing:
            detail = f"goes to the outbox ({outbox_dir(env) / name}); set {', '.join(missing)}"
            checks.append(AccountCheck(name, "outbox", missing, None, detail))
        elif factory is None:
            checks.append(AccountCheck(name, "outbox", (), None,
                                       "account set, but this Crier has no publisher for it yet; "
                                       "it goes to the outbox"))
        else:
            try:
                status = factory(env).check_account()
                ok, detail = status.ok, status.detail
            except Exception as exc:  # a bad setting: report it, keep checking the others
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            checks.append(AccountCheck(name, "real", (), ok, secrets(detail)))
    return checks
