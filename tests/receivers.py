"""What notifications are sent to in the tests, all on 127.0.0.1: a real SMTP server (aiosmtpd)
that can refuse, stop or require a login; a listener that accepts and never answers (a
timeout); and an HTTP receiver for webhooks that can fail, hang or be down. Each records what
it received. Faults are switched by the test; nothing waits on the wall clock except the
client's own timeout against the silent listener and the hanging receiver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

WEB_URL = "http://desk.test:8080"  # the desk, as the links in notifications name it
WAIT = 30.0  # seconds a test waits for something that must happen soon


class _Mailbox:
    def __init__(self, owner: MailServer) -> None:
        self.owner = owner

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        owner = self.owner
        with owner.lock:
            if owner.refusals:
                owner.refusals -= 1
                owner.refused += 1
                return "451 4.3.0 mailbox busy, try again later"
        content = envelope.content if isinstance(envelope.content, bytes) else \
            str(envelope.content).encode()
        mail = message_from_bytes(content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with owner.lock:
            owner.messages.append(mail)
            owner.recipients.append(list(envelope.rcpt_tos))
            owner.arrived.notify_all()
        if owner.on_message is not None:  # the crash test: hold the answer until it has killed
            await asyncio.get_running_loop().run_in_executor(None, owner.on_message, mail)
        return "250 2.0.0 queued"


@dataclass
class MailServer:
    """aiosmtpd on an ephemeral port, in its own thread and event loop."""

    login: tuple[str, str] | None = None  # (user, password) it requires, over plain SMTP
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refusals: int = 0  # the next N messages get a 451
    refused: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)
    on_message: Callable[[EmailMessage], None] | None = None
    port: int = 0
    tls: ssl.SSLContext | None = None  # set: STARTTLS offered and required (or implicit TLS)
    implicit_tls: bool = False  # smtps: TLS from the first byte

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def _smtp(self) -> SMTP:
        kwargs: dict[str, Any] = {}
        if self.tls is not None and not self.implicit_tls:
            kwargs.update(tls_context=self.tls, require_starttls=True)
        if self.login is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=False)
        with warnings.catch_warnings():  # AUTH without TLS: on 127.0.0.1 in a test, on purpose
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(_Mailbox(self), hostname="mail.test", **kwargs)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            given = (data.login.decode(), data.password.decode())
            self.logins.append(given)
            # handled=False: aiosmtpd answers 535 itself (True would leave the client waiting).
            return AuthResult(success=given == self.login, handled=False)
        return AuthResult(success=False, handled=False)

    def start(self) -> MailServer:
        self._thread.start()
        self._open()
        return self

    def _open(self) -> None:
        async def serve() -> asyncio.AbstractServer:
            return await self._loop.create_server(
                self._smtp, "127.0.0.1", self.port,
                ssl=self.tls if self.implicit_tls else None)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(WAIT)
        self.port = self._server.sockets[0].getsockname()[1]

    def down(self) -> None:
        """Stop listening: the next send finds the connection refused."""
        assert self._server is not None
        server = self._server

        async def close() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(WAIT)
        self._server = None

    def up(self) -> None:
        """Listen again on the same port."""
        self._open()

    def stop(self) -> None:
        if self._server is not None:
            self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT)

    def wait_for(self, count: int) -> list[EmailMessage]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, WAIT), \
                f"{len(self.messages)} message(s) arrived, {count} expected"
            return list(self.messages)

    def url(self, user: str | None = None, password: str | None = None) -> str:
        credential = f"{user}:{password}@" if user else ""
        return f"smtp://{credential}127.0.0.1:{self.port}"


@contextlib.contextmanager
def mail_server(**kwargs: Any) -> Iterator[MailServer]:
    server = MailServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections and never says a word: an SMTP client times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


class HookReceiver:
    """A webhook receiver: records each POST's JSON; can answer an error or hang."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.failures: list[tuple[int, str]] = []  # the next answers: (status, body)
        self.hangs = 0  # the next N requests get no answer until the receiver stops
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver.lock:
                    hang = receiver.hangs > 0
                    receiver.hangs -= hang
                    failure = receiver.failures.pop(0) if receiver.failures else None
                if hang:
                    receiver._release.wait(WAIT)
                    return
                if failure is not None:
                    self._answer(*failure)
                    return
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers),
                                                      json.loads(raw or b"null")))
                    receiver.arrived.notify_all()
                self._answer(200, "ok")

            def _answer(self, status: int, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def fail(self, status: int, body: str = "", times: int = 1) -> None:
        with self.lock:
            self.failures += [(status, body)] * times

    def hang(self, times: int = 1) -> None:
        with self.lock:
            self.hangs += times

    def wait_for(self, count: int) -> list[Received]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, WAIT), \
                f"{len(self.received)} webhook(s) arrived, {count} expected"
            return list(self.received)

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def hook_receiver() -> Iterator[HookReceiver]:
    receiver = HookReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()


def free_port() -> int:
    """A port nothing listens on (a webhook that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
