"""What the notification tests share besides fixtures: the settings that point at the
receivers, and a publisher that fails as told (its failures make the events)."""

from __future__ import annotations

from collections.abc import Callable

from receivers import HookReceiver, MailServer

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

WEB_URL = "http://desk.test:8080"


def channel_env(mail: MailServer | None, hook: HookReceiver | None,
                **extra: str) -> dict[str, str]:
    env = {"CRIER_HTTP_TIMEOUT": "0.5", "CRIER_WEB_URL": WEB_URL}
    if mail is not None:
        env.update(CRIER_SMTP_URL=mail.url(), CRIER_NOTIFY_FROM="crier@example.com",
                   CRIER_NOTIFY_EMAIL="author@example.com, assistant@example.org")
    if hook is not None:
        env.update(CRIER_NOTIFY_WEBHOOK_URL=hook.url())
    env.update(extra)
    return env


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
