"""The publishers, keyed by name, and the rule that picks one for each network.

The registry is built from what each publisher module declares (its `PUBLISHER`, a
`PublisherSpec`): for every network of the content table, `scheduler.publishers.<name>` is
imported if it exists; a network without one is formatted and queued like the others and goes
to the outbox. Nothing here names a network.

The rule: a network whose declared variables are all set uses its own publisher; any other
network goes to the outbox, and queueing says so aloud, naming the variables to set. With
`--live` (or CRIER_LIVE=1) a network without an account is an error instead. Variable names
are shown, values never.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module

from content.errors import CrierError
from content.networks import NETWORK_NAMES, rules_for
from scheduler.media import SECRET_VARIABLES as MEDIA_SECRETS
from scheduler.publishers.base import AccountStatus, Publisher, PublisherSpec
from scheduler.publishers.outbox import PUBLISHER as OUTBOX
from scheduler.settings import Settings


def _declared() -> dict[str, PublisherSpec]:
    specs = {OUTBOX.network: OUTBOX}
    for name in NETWORK_NAMES:
        module_name = f"{__name__}.{name}"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # the module exists and one of its imports is missing
                raise
            continue
        spec: PublisherSpec = module.PUBLISHER
        if spec.network != name:
            raise RuntimeError(f"{module_name} declares the network {spec.network!r}")
        specs[name] = spec
    return specs


# Every declared publisher by registry key; "outbox" included. A plain dict: tests register a
# spec of their own with monkeypatch.setitem.
DECLARATIONS: dict[str, PublisherSpec] = _declared()


class NotConfigured(CrierError):
    """A network asked to publish live has no usable account."""


@dataclass(frozen=True)
class Route:
    """Where one network's delivery goes: which publisher, as which account."""

    platform: str
    publisher: str  # a key of DECLARATIONS
    account: str  # the per-account lock's key
    note: str | None = None  # what the author is told (the outbox, and how to leave it)


@dataclass(frozen=True)
class NetworkAccount:
    """One network as `crier accounts check` shows it: its variables and where it goes."""

    network: str
    variables: tuple[str, ...]  # () for a network without a publisher
    missing: tuple[str, ...]
    live: bool  # its own publisher would be used


def live_requested(settings: Settings) -> bool:
    return settings.live


def route(platform: str, settings: Settings, *,
          live: bool = False) -> Route:
    """The publisher and account for `platform` under the rule in this module's docstring."""
    display = rules_for(platform).display
    spec = DECLARATIONS.get(platform)
    names = spec.variables if spec else ()
    missing = spec.missing(settings) if spec else []
    if spec is not None and not missing:
        return Route(platform, platform, spec.account(settings))
    if live:
        if spec is None:
            raise NotConfigured(
                f"{display}: this Crier has no {display} publisher yet; leave out --live "
                "(and CRIER_LIVE) to write it to the outbox")
        raise NotConfigured(
            f"{display}: no account configured for live publishing; set "
            f"{', '.join(missing)} in .env or the environment, or leave out --live "
            "(and CRIER_LIVE) to write it to the outbox"
        )
    folder = settings.outbox_dir / platform
    if spec is None:
        why = f"this Crier has no {display} publisher yet"
    elif missing == list(names):
        why = f"no account configured; to publish for real set {', '.join(names)}"
    else:
        why = f"account incomplete; still to set: {', '.join(missing)}"
    return Route(platform, OUTBOX.network, f"outbox:{platform}",
                 f"{display} goes to the outbox ({folder}): {why}")


def accounts(settings: Settings, platforms: list[str] | None = None) -> list[NetworkAccount]:
    """Per network (every one of the content table, or `platforms`): its declared variables,
    which are missing, and whether its own publisher would be used."""
    out = []
    for name in platforms or list(NETWORK_NAMES):
        spec = DECLARATIONS.get(name)
        if spec is None:
            out.append(NetworkAccount(name, (), (), False))
            continue
        missing = tuple(spec.missing(settings))
        out.append(NetworkAccount(name, spec.variables, missing, not missing))
    return out


def check_account(platform: str, settings: Settings) -> AccountStatus:
    """Whether the configured account of `platform` works (never posts). Its publisher is
    built for the check, not kept; a setting it cannot start with is a failed check."""
    spec = DECLARATIONS.get(platform)
    if spec is None:
        return AccountStatus(False, f"this Crier has no {rules_for(platform).display} "
                                    "publisher yet")
    try:
        return spec.factory(settings).check_account()
    except Exception as exc:  # a bad setting: report it, whatever it is
        return AccountStatus(False, f"{type(exc).__name__}: {exc}")


def secret_values(settings: Settings) -> list[str]:
    """The values of every declared secret that is set, and of the media host's credentials,
    for a Redactor (never to be shown)."""
    names = [*(name for spec in DECLARATIONS.values() for name in spec.secrets),
             *MEDIA_SECRETS]
    return [value for name in names if (value := settings.value(name))]


def account_variables() -> set[str]:
    """Every variable some publisher declares (the demo and the tests clear them)."""
    return {name for spec in DECLARATIONS.values()
            for name in (*spec.variables, *spec.optional)}


def server_limits(platform: str, settings: Settings) -> Mapping[str, int]:
    """The limits the configured account's own server sets for `platform` (field names of the
    network's rules: limit, url_length, max_images...); {} when its rules hold everywhere."""
    spec = DECLARATIONS.get(platform)
    if spec is None or spec.server_limits is None:
        return {}
    return spec.server_limits(settings)


class Registry:
    """The publishers a daemon uses, built once each on first use (thread-safe)."""

    def __init__(self, settings: Settings | None = None,
                 overrides: Mapping[str, Publisher] | None = None) -> None:
        self._settings = settings or Settings()
        self._built: dict[str, Publisher] = dict(overrides or {})
        self._lock = threading.Lock()

    def get(self, name: str) -> Publisher:
        with self._lock:
            publisher = self._built.get(name)
            if publisher is None:
                spec = DECLARATIONS.get(name)
                if spec is None:
                    raise NotConfigured(f"no publisher named {name!r}; known: "
                                        f"{', '.join(sorted(DECLARATIONS))}")
                publisher = self._built[name] = spec.factory(self._settings)
            return publisher


__all__ = ["DECLARATIONS", "NetworkAccount", "NotConfigured", "Registry", "Route", "accounts",
           "account_variables", "check_account", "live_requested", "route", "secret_values",
           "server_limits"]
