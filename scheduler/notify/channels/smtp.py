"""Email over SMTP (the standard library's smtplib): a short subject, a plain-text body.

smtps:// speaks TLS from the first byte; smtp:// upgrades with STARTTLS whenever the server
offers it (and logs in only after, so the password never crosses in clear to a server that
offers TLS). Each send is one connection: notifications are rare, and a connection held open
would time out between them anyway.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from scheduler.notify.channels.base import Channel, ChannelError
from scheduler.notify.messages import Message
from scheduler.publishers.http import Redactor
from scheduler.settings import SmtpServer


class EmailChannel(Channel):
    name = "email"

    def __init__(self, server: SmtpServer, sender: str, recipients: tuple[str, ...], *,
                 timeout: float = 30.0, tls_context: ssl.SSLContext | None = None) -> None:
        self.server = server
        self.sender = sender
        self.recipients = recipients
        self.timeout = timeout
        # The system's trusted authorities by default; a test passes its own authority's.
        self.tls_context = tls_context or ssl.create_default_context()
        self._redact = Redactor([server.password])

    def describe(self) -> str:
        return f"email to {', '.join(self.recipients)} through {self.server.where}"

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail["X-Crier-Kind"] = message.kind
        if message.ids:  # the notification ids: a resent message can be told from a new one
            mail["X-Crier-Notifications"] = ",".join(map(str, message.ids))
        mail.set_content(message.text)
        try:
            self._deliver(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(self._redact(
                f"email through {self.server.where}: {_reason(exc)}")) from None

    def _deliver(self, mail: EmailMessage) -> None:
        server = self.server
        client: smtplib.SMTP
        if server.tls:
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout,
                                      context=self.tls_context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        with client:
            client.ehlo()
            secure = server.tls
            if not server.tls and client.has_extn("starttls"):
                client.starttls(context=self.tls_context)
                client.ehlo()
                secure = True
            if server.user and not secure and not _loopback(server.host):
                raise ChannelError(
                    f"email through {server.where}: the server offers no STARTTLS, and the "
                    "password is not sent in clear; use smtps:// or a server that offers TLS")
            if server.user:
                client.login(server.user, server.password or "")
            refused = client.send_message(mail, self.sender, list(self.recipients))
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


def _loopback(host: str) -> bool:
    """This machine: a password in clear never leaves it (a local relay, a test server)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        words = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"the server answered {exc.smtp_code} {words}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"the server refused {', '.join(exc.recipients)}"
    if isinstance(exc, TimeoutError):
        return "no answer in time (it may have taken the message: it is sent again)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server down?)"
    return f"{type(exc).__name__}: {exc}"
