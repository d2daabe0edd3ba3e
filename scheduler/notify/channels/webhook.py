"""A webhook: each message is one JSON POST, in the shape the receiving service reads.

- json: Crier's own fields (type, subject, text, and per event: title, network, time,
  reason, action, link), for a script or an automation service;
- ntfy: ntfy's JSON publishing (POSTed to the server's root with the topic from the URL's
  path, so the title, message and click-through link arrive as such, not as raw JSON);
- slack, discord: their incoming webhooks' `text` and `content`.

A webhook's address is often its only secret (Slack's and Discord's are): it is never shown.
Messages and errors name the host only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from scheduler.notify.channels.base import Channel, ChannelError
from scheduler.notify.messages import Message
from scheduler.publishers.http import Redactor, guard_library_logs

DISCORD_LIMIT = 2000  # characters of a message's content
LIBRARY_LOGGERS = ("urllib3.connectionpool",)
NTFY_LIMIT = 4096  # bytes ntfy keeps as the message; longer bodies become attachments


class WebhookChannel(Channel):
    name = "webhook"

    def __init__(self, url: str, shape: str = "json", *, timeout: float = 30.0,
                 session: requests.Session | None = None) -> None:
        self.url = url
        self.shape = shape
        self.timeout = timeout
        self.session = session or requests.Session()
        parts = urlsplit(url)
        self.host = f"{parts.scheme}://{parts.hostname}" + (
            f":{parts.port}" if parts.port else "")
        # The address, and each piece of it that may be a token (a long path segment).
        tokens = [seg for seg in parts.path.split("/") if len(seg) >= 8]
        secrets = [url, parts.path.strip("/"), parts.query, parts.password, *tokens]
        self._redact = Redactor(secrets)
        # urllib3 logs each request's path at DEBUG: the token would be in `crier -v`'s log.
        guard_library_logs(LIBRARY_LOGGERS, secrets)

    def describe(self) -> str:
        return f"webhook ({self.shape}) at {self.host}"

    def send(self, message: Message) -> None:
        url, body = self._request(message)
        try:
            answer = self.session.post(url, json=body, timeout=self.timeout,
                                       allow_redirects=False)
        except requests.Timeout:
            raise ChannelError(f"webhook at {self.host}: no answer in time (it may have "
                               "taken the message: it is sent again)") from None
        except requests.RequestException as exc:
            raise ChannelError(self._redact(
                f"webhook at {self.host}: {type(exc).__name__} (is it down?)")) from None
        if not 200 <= answer.status_code < 300:
            words = self._redact(answer.text[:200].strip())
            raise ChannelError(f"webhook at {self.host}: answered {answer.status_code}"
                               + (f" {words}" if words else ""))

    def _request(self, message: Message) -> tuple[str, dict[str, Any]]:
        if self.shape == "slack":
            return self.url, {"text": f"*{message.subject}*\n{message.text}"}
        if self.shape == "discord":
            text = f"**{message.subject}**\n{message.text}"
            if len(text) > DISCORD_LIMIT:
                text = text[:DISCORD_LIMIT - 1] + "\u2026"
            return self.url, {"content": text}
        if self.shape == "ntfy":
            parts = urlsplit(self.url)
            root = urlunsplit((parts.scheme, parts.netloc, "/", parts.query, ""))
            body: dict[str, Any] = {"topic": parts.path.strip("/"), "title": message.subject,
                                    "message": message.text[:NTFY_LIMIT], "tags": ["warning"]}
            if message.link:
                body["click"] = message.link
            return root, body
        return self.url, {"type": message.kind, "subject": message.subject,
                          "text": message.text, "count": len(message.told),
                          "ids": list(message.ids),
                          "events": [t.to_json() for t in message.told], **message.extra}
