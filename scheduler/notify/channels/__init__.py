"""Where notifications go: every channel the settings configure (email, a webhook).

A channel sends one `Message` or raises `ChannelError`, whose text never holds a secret (the
SMTP credential, a webhook's token); the sender then retries it later. No channel at all is
a real configuration: the events then go only to the log and `crier notifications list`.
"""

from __future__ import annotations

from scheduler.notify.channels.base import Channel, ChannelError
from scheduler.settings import Settings


def configured(settings: Settings) -> list[Channel]:
    """The channels `settings` configure, email first."""
    channels: list[Channel] = []
    if settings.smtp is not None:
        from scheduler.notify.channels.smtp import EmailChannel

        sender = settings.sender_address
        assert sender is not None  # Settings.check_notify refused this already
        channels.append(EmailChannel(settings.smtp, sender, settings.notify_email,
                                     timeout=settings.http_timeout))
    if settings.webhook_url is not None:
        from scheduler.notify.channels.webhook import WebhookChannel

        channels.append(WebhookChannel(settings.webhook_url, settings.webhook_format,
                                       timeout=settings.http_timeout))
    return channels


__all__ = ["Channel", "ChannelError", "configured"]
