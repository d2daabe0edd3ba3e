"""The one object the daemon holds for notifications: the sender, the digest, the account
watch, and the message sent directly when the database itself is what failed."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from content.brand import Brand
from scheduler.notify import accounts, digest
from scheduler.notify.channels import Channel, configured
from scheduler.notify.kinds import Kind
from scheduler.notify.messages import Message, Wording
from scheduler.notify.sender import Sender, SendReport
from scheduler.publishers import Registry
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store.notifications import Event

log = logging.getLogger(__name__)
DIGEST_LOOK = timedelta(minutes=1)  # how often the digest's time is compared with the clock


class Notifier:
    def __init__(self, store: Store, settings: Settings, brand: Brand | None,
                 registry: Registry, *,
                 owner: str, lease: timedelta, channels: Sequence[Channel] | None = None,
                 rng: random.Random | None = None, desk_url: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.registry = registry
        # Without a readable brand the daemon still publishes (each delivery carries what it
        # needs), and still tells her: in UTC, without the digest, warned 7 days ahead.
        self.digest_at = brand.digest_at if brand else None
        self.warn_days = brand.warn_days if brand else 7
        # CRIER_WEB_URL wins: the address she opens may differ from the one the desk binds.
        self.wording = Wording(brand.timezone if brand else "UTC", settings.web_url or desk_url)
        self.channels = list(configured(settings) if channels is None else channels)
        # A send may take a timeout per channel: the lease outlasts it, or a second daemon
        # would take the events over mid-send and send them twice.
        lease = lease + timedelta(seconds=settings.http_timeout * (len(self.channels) + 1))
        self.sender = Sender(store, self.channels, self.wording,
                             window=timedelta(seconds=settings.notify_window_s), lease=lease,
                             owner=owner, rng=rng)
        self._digest_looked: datetime | None = None
        self._database_told = False
        self._lock = threading.Lock()

    def tick(self, now: datetime) -> SendReport:
        """The sender job: make the digest when its time has come, send what is ready."""
        if self._digest_looked is None or now - self._digest_looked >= DIGEST_LOOK:
            self._digest_looked = now
            made = digest.make_if_due(self.store, self.wording, self.digest_at, now)
            if made:
                log.info("today's digest: %s", made)
        with self._lock:  # the job and a flush never send the same events together
            return self.sender.send_due(now)

    def flush(self, now: datetime) -> SendReport:
        """Everything pending, now: `crier run --until-idle` before it exits."""
        digest.make_if_due(self.store, self.wording, self.digest_at, now)
        with self._lock:
            return self.sender.send_due(now, flush=True)

    def watch_accounts(self, now: datetime) -> list[accounts.Watched]:
        return accounts.watch(self.store, self.settings, self.registry,
                              warn_days=self.warn_days, now=now)

    def database_down(self, error: str, now: datetime) -> None:
        """The database cannot be reached: that cannot be written to the notifications table,
        so it is sent straight to the channels, once per outage (until `database_back`)."""
        if self._database_told:
            return
        self._database_told = True
        event = Event(0, Kind.DATABASE_UNREACHABLE, None, None, None, None, error, {}, now,
                      "pending", frozenset(), 0, now, None, None)
        message = self.wording.message([event])
        log.error("notification (sent directly, not stored): %s: %s", message.subject, error)
        for where, problem in self.sender.send_direct(message):
            if problem:
                log.error("could not tell the author through %s: %s", where, problem)

    def database_back(self) -> None:
        self._database_told = False

    def test(self, now: datetime) -> list[tuple[str, str | None]]:
        """`crier notify test`: a test message on every channel, sent now."""
        event = Event(0, Kind.TEST, None, None, None, "Crier test message",
                      f"sent by `crier notify test` on {self.wording.when(now)}", {}, now,
                      "pending", frozenset(), 0, now, None, None)
        return self.sender.send_direct(self.wording.message([event]))

    def describe(self) -> list[str]:
        return [c.describe() for c in self.channels]


__all__ = ["Message", "Notifier"]
