"""The account watch: a daemon job that finds a dead or expiring token before a slot needs it.

- Once a day per live account, `refresh_token(now)` (networks whose tokens can be renewed do
  it; the others do nothing) and `check_account()`, which says whether it works and, where the
  network tells, when its token expires.
- Every hour, the accounts with a delivery due in the next CHECK_AHEAD hours are checked again:
  a token that died overnight is found hours before the 09:00 post, not at it.
- Each condition is told once: "stopped working" when two checks in a row fail (a single
  timeout is not a dead token; the second check follows the first within RECHECK), told again
  only after it has worked in between; "expires within N days" (brand `[notify] warn_days`)
  once per expiry date, so a renewed token that nears its own end is warned of again.

What was found is kept in `account_watch`, so several daemons and restarts share it, and every
event is written in the transaction that records the check. Nothing here names a network: the
accounts come from the publisher registry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from content.networks import rules_for
from scheduler.notify.kinds import Kind
from scheduler.publishers import Registry, accounts, route
from scheduler.publishers.base import AccountStatus
from scheduler.settings import Settings
from scheduler.states import Status
from scheduler.store import Store
from scheduler.store import notifications as rows
from scheduler.store.schema import account_watch, deliveries

log = logging.getLogger(__name__)

CHECK_AHEAD = timedelta(hours=6)  # deliveries due this soon get their account checked hourly
CHECK_EVERY = timedelta(hours=1)
DAILY = timedelta(days=1)
RECHECK = timedelta(minutes=10)  # after one failed check: confirm before telling her
TELL_AFTER = 2  # failed checks in a row that make "stopped working"


@dataclass(frozen=True)
class Watched:
    """What the watch did for one account, for the log and the tests."""

    account: str
    network: str
    checked: bool
    ok: bool | None
    refreshed: datetime | None
    told: tuple[str, ...]


def due_soon(store: Store, now: datetime) -> dict[str, int]:
    """Per account key, how many queued deliveries come due within CHECK_AHEAD."""
    query = (select(deliveries.c.account, func.count())
             .where(deliveries.c.status == Status.QUEUED.value,
                    deliveries.c.next_attempt_at <= now + CHECK_AHEAD)
             .group_by(deliveries.c.account))
    return store.read(lambda conn: {r[0]: int(r[1]) for r in conn.execute(query)})


def _state(store: Store) -> dict[str, Any]:
    return store.read(lambda conn: {r.account: r for r in conn.execute(select(account_watch))})


def watch(store: Store, settings: Settings, registry: Registry, *, warn_days: int,
          now: datetime) -> list[Watched]:
    """One pass over the live accounts (see the module docstring)."""
    soon = due_soon(store, now)
    state = _state(store)
    done: list[Watched] = []
    for account in accounts(settings):
        if not account.live:
            continue
        key = route(account.network, settings).account
        row = state.get(key)
        due = soon.get(key, 0)
        refresh_due = row is None or row.refreshed_at is None or row.refreshed_at <= now - DAILY
        if not (refresh_due or _check_due(row, now, due)):
            continue
        # The daily refresh first, so the check that follows sees the renewed token.
        refreshed = _refresh(registry, account.network, now) if refresh_due else None
        status = _check(registry, account.network)

        def change(conn: Connection, key: str = key, network: str = account.network,
                   status: AccountStatus = status, row: Any = row, due: int = due,
                   refresh_due: bool = refresh_due) -> list[str]:
            return _record(conn, key, network, status, row, now, warn_days, due, refresh_due)

        told = store.write(change)
        done.append(Watched(key, account.network, True, status.ok, refreshed, tuple(told)))
    return done


def _check_due(row: Any, now: datetime, due: int) -> bool:
    if row is None or row.checked_at is None:
        return True
    checked: datetime = row.checked_at
    if row.failures:  # failing: confirm soon, then keep looking hourly until it works
        return checked <= now - (RECHECK if row.failures < TELL_AFTER else CHECK_EVERY)
    return checked <= now - (CHECK_EVERY if due else DAILY)


def _refresh(registry: Registry, network: str, now: datetime) -> datetime | None:
    try:
        renewed = registry.get(network).refresh_token(now)
    except Exception as exc:  # a refresh that fails leaves the old token; the check tells
        log.warning("%s: token refresh failed: %s", rules_for(network).display, exc)
        return None
    if renewed is not None:
        log.info("%s: token renewed, now valid until %s", rules_for(network).display,
                 renewed.isoformat())
    return renewed


def _check(registry: Registry, network: str) -> AccountStatus:
    try:
        return registry.get(network).check_account()
    except Exception as exc:  # a publisher that cannot start is an account that does not work
        return AccountStatus(False, f"{type(exc).__name__}: {exc}")


def _upsert(conn: Connection, key: str, values: dict[str, Any]) -> None:
    found = conn.execute(account_watch.update().where(account_watch.c.account == key)
                         .values(**values))
    if found.rowcount == 0:
        conn.execute(account_watch.insert().values(
            **{"account": key, "failures": 0, "told_broken": False, **values}))


def _record(conn: Connection, key: str, network: str, status: AccountStatus, row: Any,
            now: datetime, warn_days: int, due: int, refreshed: bool) -> list[str]:
    """Store the check and write the events its change of condition makes, together."""
    told: list[str] = []
    values: dict[str, Any] = {"checked_at": now}
    if refreshed:
        values["refreshed_at"] = now
    failures = (row.failures if row is not None else 0)
    if not status.ok:
        failures += 1
        values["failures"] = failures
        values["failing_since"] = row.failing_since if row is not None and row.failing_since \
            else now
        if failures >= TELL_AFTER and not (row is not None and row.told_broken):
            values["told_broken"] = True
            rows.record(conn, rows.NewEvent(
                Kind.ACCOUNT_BROKEN, detail=status.detail, platform=network, account=key,
                data={"due_soon": due, "failing_since": values["failing_since"].isoformat()}),
                now)
            told.append(Kind.ACCOUNT_BROKEN.value)
    else:
        values.update(failures=0, failing_since=None, told_broken=False)
        expires = status.expires_at
        warned = row.warned_expiry if row is not None else None
        if expires is not None and expires - now <= timedelta(days=warn_days) \
                and warned != expires:
            values["warned_expiry"] = expires
            days = max(0, (expires - now).days)
            rows.record(conn, rows.NewEvent(
                Kind.TOKEN_EXPIRING, detail=status.detail, platform=network, account=key,
                data={"expires_at": expires.isoformat(), "days": days}), now)
            told.append(Kind.TOKEN_EXPIRING.value)
    _upsert(conn, key, values)
    return told
