"""Per network: where its posts go, which variables are missing, whether the account works,
and when its token expires (in the author's zone, with the days left).

Names variables, never shows their values: whatever a check says passes through a redactor
that knows every configured secret.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from content.networks import NETWORK_NAMES, rules_for
from scheduler import timing
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
    expires_at: datetime | None = None  # when the token stops working, where it is known
    days_left: int | None = None  # whole days from the check to `expires_at` (< 0: expired)
    expires: str = ""  # `expires_at` for the author: her zone's time and the days left

    def to_json(self) -> dict[str, Any]:
        expires_at = self.expires_at.isoformat() if self.expires_at else None
        return {**asdict(self), "missing": list(self.missing), "expires_at": expires_at}


def describe_expiry(expires_at: datetime, zone: str, now: datetime) -> tuple[int, str]:
    """(whole days left, the words): "2027-01-29 19:00 EST, 59 days left"; a past one
    "expired 2027-01-29 19:00 EST, 3 days ago". An unknown zone shows UTC."""
    try:
        here = expires_at.astimezone(timing.load_zone(zone)).strftime("%Y-%m-%d %H:%M %Z")
    except timing.TimeError:
        here = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    left = expires_at - now
    days = left.days  # floor: 59.6 days is 59 whole days
    if left.total_seconds() <= 0:
        ago = -days - 1 if left.seconds else -days  # whole days since it passed
        return days, f"expired {here}, " + ("today" if ago == 0 else _days(ago) + " ago")
    if days == 0:
        return 0, f"{here}, less than a day left"
    return days, f"{here}, {_days(days)} left"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def check_accounts(settings: Settings, platforms: list[str] | None = None, *,
                   ask: bool = True, zone: str = "UTC",
                   now: datetime | None = None) -> list[AccountCheck]:
    """Check every network (or `platforms`). A bad setting is reported, and the others are
    still checked. With `ask=False` no network is called: a configured account is shown as
    configured, not yet checked (the desk's page, drawn at every visit). A token's expiry is
    shown in `zone` (the author's), its days counted from `now`."""
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
            days, expires = None, ""
            if status.expires_at is not None:
                days, expires = describe_expiry(status.expires_at, zone,
                                                now or datetime.now(UTC))
            checks.append(AccountCheck(name, "real", (), status.ok, secrets(status.detail),
                                       status.expires_at, days, expires))
    return checks
