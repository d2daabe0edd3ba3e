"""What the notification tests share besides fixtures: the settings that point at the
receivers, and a publisher that fails as told (its failures make the events)."""

from __future__ import annotations

from collections.abc import Callable

from receivers import WEB_URL, channel_env

from scheduler.notify.notifier import Notifier
from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingPart,
    Publisher,
    Sent,
)

MakeNotifier = Callable[..., Notifier]


class Failing(Publisher):
    """Raises what the script says for each part (None: sends); lookups answer as told."""

    name = "failing"

    def __init__(self, script: list[BaseException | None],
                 lookups: list[Lookup] | None = None) -> None:
        self.script = list(script)
        self.lookups = list(lookups or [])

    def publish_part(self, delivery: OutgoingDelivery, part: OutgoingPart,
                     previous: Sent | None) -> Sent:
        action = self.script.pop(0) if self.script else None
        if action is not None:
            raise action
        return Sent(f"r{delivery.id}-{part.index}", f"https://net.example/{delivery.id}")

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        return self.lookups.pop(0) if self.lookups else Lookup(Found.UNKNOWN, None, "no way")

    def check_account(self) -> AccountStatus:
        return AccountStatus(True, "fine")


__all__ = ["WEB_URL", "Failing", "MakeNotifier", "channel_env"]
