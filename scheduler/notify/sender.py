"""The sender: the daemon's job that delivers pending notifications, at least once.

Each pass claims the events ready to send (with a lease, so two daemons never send the same
ones together), makes one message of them per channel, sends it and records which channels took
it. A burst is one message: events wait until the oldest of them is `window` old (60 s by
default), and then everything pending goes together, so ten failures in a minute make one
message. A digest always goes alone.

At least once, not exactly once: a daemon killed after a server took a message and before the
store recorded it leaves the events pending, and its lease expires; they are sent again. The
duplicates are bounded by the messages in flight when it died (one per channel). A channel
that fails is retried with exponential backoff (30 s doubling to an hour, with jitter),
indefinitely: an event is never given up, and `crier notifications list` shows the error.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduler.notify.channels import Channel, ChannelError
from scheduler.notify.kinds import Kind
from scheduler.notify.messages import Message, Wording
from scheduler.states import RetryPolicy, backoff
from scheduler.store import Store
from scheduler.store import notifications as rows
from scheduler.store.notifications import Event

log = logging.getLogger(__name__)
RETRY = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(hours=1), max_attempts=0)


@dataclass
class SendReport:
    """What one pass did: messages sent per channel, events delivered, errors met."""

    messages: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    logged: int = 0
    errors: list[str] = field(default_factory=list)
    retry: int = 0  # events left pending for a later pass

    def merge(self, other: SendReport) -> None:
        for name, count in other.messages.items():
            self.messages[name] = self.messages.get(name, 0) + count
        self.delivered += other.delivered
        self.logged += other.logged
        self.errors += other.errors
        self.retry += other.retry


def digest_message(event: Event) -> Message:
    """A digest's message, as written when the digest was made (the day's snapshot)."""
    return Message(str(event.data.get("subject", "Crier: your daily digest")),
                   str(event.data.get("text", "")), (), Kind.DIGEST.value,
                   {"digest": event.data.get("sections", {})}, (event.id,))


class Sender:
    def __init__(self, store: Store, channels: Sequence[Channel], wording: Wording, *,
                 window: timedelta, lease: timedelta, owner: str,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.channels = list(channels)
        self.names = frozenset(c.name for c in self.channels)
        self.wording = wording
        self.window = window
        self.lease = lease
        self.owner = owner
        self.rng = rng or random.Random()

    def send_due(self, now: datetime, *, flush: bool = False) -> SendReport:
        """Send what is ready: once the oldest pending event is `window` old, or everything
        pending at once with `flush` (`crier run --until-idle` before it exits: the window
        and the backoff are not waited out, what fails stays pending for the next run)."""
        if not flush:
            oldest = rows.oldest_due(self.store, now)
            if oldest is None or oldest + self.window > now:
                return SendReport()
        events = rows.claim(self.store, now, self.owner, self.lease,
                            due_by=None if flush else now)
        if not events:
            return SendReport()
        for event in events:
            if event.attempts == 0 and not event.channels_done:
                self._log(event)
        if not self.channels:
            rows.logged(self.store, events, now)
            return SendReport(logged=len(events))
        return self._send(events, now)

    def _send(self, events: list[Event], now: datetime) -> SendReport:
        report = SendReport()
        failed: dict[int, Event] = {}
        errors: list[str] = []
        burst = [e for e in events if e.kind is not Kind.DIGEST]
        digests = [e for e in events if e.kind is Kind.DIGEST]
        for channel in self.channels:
            todo = [e for e in burst if channel.name not in e.channels_done]
            batches: list[tuple[list[Event], Message]] = []
            if todo:
                batches.append((todo, self.wording.message(todo)))
            batches += [([d], digest_message(d)) for d in digests
                        if channel.name not in d.channels_done]
            for batch, message in batches:
                try:
                    channel.send(message)
                except ChannelError as exc:
                    log.warning("notification not sent (%d event(s)), retrying later: %s",
                                len(batch), exc)
                    errors.append(str(exc))
                    failed.update({e.id: e for e in batch})
                    continue
                # Sent: a crash from here to the commit resends this message (at least once).
                rows.delivered(self.store, batch, channel.name, self.names, now, self.owner)
                report.messages[channel.name] = report.messages.get(channel.name, 0) + 1
        if failed:
            error = "; ".join(dict.fromkeys(errors))
            # One time for all: events that failed together are retried together, as one
            # message again (a jitter each would split the burst).
            when = now + backoff(max(e.attempts for e in failed.values()) + 1, self.rng, RETRY)
            rows.not_delivered(self.store, failed.values(), error,
                               dict.fromkeys(failed, when))
        report.delivered = len([e for e in events if e.id not in failed])
        report.retry = len(failed)
        report.errors = list(dict.fromkeys(errors))
        return report

    def send_direct(self, message: Message) -> list[tuple[str, str | None]]:
        """Send `message` now on every channel, bypassing the table (the database is what
        failed, or it is `crier notify test`): (channel description, error or None) each."""
        results: list[tuple[str, str | None]] = []
        for channel in self.channels:
            try:
                channel.send(message)
            except ChannelError as exc:
                results.append((channel.describe(), str(exc)))
            else:
                results.append((channel.describe(), None))
        return results

    def _log(self, event: Event) -> None:
        if event.kind is Kind.DIGEST:
            log.info("notification: %s", event.data.get("subject"))
            return
        told = self.wording.told(event)
        log.warning("notification: %s%s; %s", told.headline,
                    f" ({told.reason})" if told.reason else "", told.action)
