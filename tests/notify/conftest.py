"""Fixtures of the notification tests: the SMTP server and webhook receiver on 127.0.0.1, the
brand, and a notifier on a store with the clock passed in (helpers: notify_support.py)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from notify_support import MakeNotifier
from receivers import HookReceiver, MailServer, hook_receiver, mail_server

from content.brand import Brand
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.notify.notifier import Notifier
from scheduler.publishers import Registry
from scheduler.settings import Settings
from scheduler.store import Store


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with mail_server() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    with hook_receiver() as receiver:
        yield receiver


@pytest.fixture
def brand() -> Brand:
    """The sample brand (America/New_York) without its digest: the digest's tests set one."""
    return dataclasses.replace(load_brand(PROJECT_ROOT / "brand.toml"), digest_at=None)


@pytest.fixture
def make_notifier(brand: Brand) -> MakeNotifier:
    def make(store: Store, env: dict[str, str], registry: Registry | None = None,
             brand_: Brand | None = None, **kwargs: Any) -> Notifier:
        settings = Settings.from_env(env)
        return Notifier(store, settings, brand_ or brand, registry or Registry(settings),
                        owner="test-daemon", lease=timedelta(seconds=60),
                        rng=random.Random(7), **kwargs)

    return make
