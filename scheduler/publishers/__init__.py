"""The publishers, keyed by name, and the rule that picks one for each network.

The rule: a network whose credentials are all in the environment uses its own publisher; any
other network goes to the outbox, and queueing says so aloud, naming the variables to set. With
`--live` (or CRIER_LIVE=1) a network without an account is an error instead. Variable names
are shown, values never.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module

from content.errors import CrierError
from content.networks import NETWORK_NAMES as PLATFORM_NAMES
from content.networks import rules_for
from scheduler.publishers.base import Publisher
from scheduler.publishers.outbox import OutboxPublisher, outbox_dir

# The variables each network's publisher needs (documented in .env.example).
CREDENTIALS: dict[str, tuple[str, ...]] = {
    "x": ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"),
    "bluesky": ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"),
    "mastodon": ("MASTODON_BASE_URL", "MASTODON_ACCESS_TOKEN"),
    "threads": ("THREADS_USER_ID", "THREADS_ACCESS_TOKEN"),
    "linkedin": ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_AUTHOR_URN"),
    "facebook": ("FACEBOOK_PAGE_ID", "FACEBOOK_PAGE_TOKEN"),
    "instagram": ("INSTAGRAM_USER_ID", "INSTAGRAM_ACCESS_TOKEN"),
}
# The one variable, not a secret, that names the account: part of the per-account lock's key,
# so two accounts on one network are two queues. X has none without a network call.
ACCOUNT_NAME: dict[str, str | None] = {
    "x": None,
    "bluesky": "BLUESKY_HANDLE",
    "mastodon": "MASTODON_BASE_URL",
    "threads": "THREADS_USER_ID",
    "linkedin": "LINKEDIN_AUTHOR_URN",
    "facebook": "FACEBOOK_PAGE_ID",
    "instagram": "INSTAGRAM_USER_ID",
}
assert set(CREDENTIALS) == set(PLATFORM_NAMES) == set(ACCOUNT_NAME)

PublisherFactory = Callable[[Mapping[str, str]], Publisher]
# The real networks' publishers register here under the network's name as they are written.
PUBLISHERS: dict[str, PublisherFactory] = {
    "outbox": OutboxPublisher.from_env,
    # Imported when first built: tweepy and the X counter cost a fifth of a second to load.
    "x": lambda env: import_module("scheduler.publishers.x").XPublisher.from_env(env),
    "bluesky": lambda env: import_module("scheduler.publishers.bluesky").BlueskyPublisher
    .from_env(env),
    "mastodon": lambda env: import_module("scheduler.publishers.mastodon").MastodonPublisher
    .from_env(env),
}


class NotConfigured(CrierError):
    """A network asked to publish live has no usable account."""


@dataclass(frozen=True)
class Route:
    """Where one network's delivery goes: which publisher, as which account."""

    platform: str
    publisher: str  # a key of PUBLISHERS
    account: str  # the per-account lock's key
    note: str | None = None  # what the author is told (the outbox, and how to leave it)


def live_requested(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("CRIER_LIVE", "").strip().lower() in ("1", "true", "yes", "on")


def route(platform: str, env: Mapping[str, str] | None = None, *, live: bool = False) -> Route:
    """The publisher and account for `platform` under the rule in this module's docstring."""
    env = os.environ if env is None else env
    display = rules_for(platform).display
    names = CREDENTIALS[platform]
    missing = [name for name in names if not env.get(name, "").strip()]
    if not missing and platform in PUBLISHERS:
        ident = ACCOUNT_NAME[platform]
        account = f"{platform}:{env[ident].strip()}" if ident else platform
        return Route(platform, platform, account)
    if live:
        if missing:
            raise NotConfigured(
                f"{display}: no account configured for live publishing; set "
                f"{', '.join(missing)} in .env or the environment, or leave out --live "
                "(and CRIER_LIVE) to write it to the outbox"
            )
        raise NotConfigured(
            f"{display}: an account is configured but this Crier has no {display} publisher "
            "yet; leave out --live (and CRIER_LIVE) to write it to the outbox"
        )
    folder = outbox_dir(env) / platform
    if missing == list(names):
        why = f"no account configured; to publish for real set {', '.join(names)}"
    elif missing:
        why = f"account incomplete; still to set: {', '.join(missing)}"
    else:
        why = f"this Crier has no {display} publisher yet"
    return Route(platform, "outbox", f"outbox:{platform}",
                 f"{display} goes to the outbox ({folder}): {why}")


class Registry:
    """The publishers a daemon uses, built once each on first use (thread-safe)."""

    def __init__(self, env: Mapping[str, str] | None = None,
                 overrides: Mapping[str, Publisher] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        self._built: dict[str, Publisher] = dict(overrides or {})
        self._lock = threading.Lock()

    def get(self, name: str) -> Publisher:
        with self._lock:
            publisher = self._built.get(name)
            if publisher is None:
                factory = PUBLISHERS.get(name)
                if factory is None:
                    raise NotConfigured(f"no publisher named {name!r}; known: "
                                        f"{', '.join(sorted(PUBLISHERS))}")
                publisher = self._built[name] = factory(self._env)
            return publisher


__all__ = ["CREDENTIALS", "PUBLISHERS", "NotConfigured", "Registry", "Route", "live_requested",
           "route"]
