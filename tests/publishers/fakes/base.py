"""Shared plumbing of the fake network servers.

`FakeServer` is a real HTTP/1.1 server (`http.server.ThreadingHTTPServer` on 127.0.0.1, port 0,
served from a daemon thread). A subclass registers routes and shapes errors the way its network
does; the base gives it:

- a request log (`server.requests`, `server.requests_to(method, path)`),
- fault switches, each for the next N matching requests (`times=None`: until cleared), matched by
  method and by path (an `fnmatch` pattern such as ``"/2/users/*/tweets"``):
  ``slow(seconds)``, ``error(status)``, ``drop_after_store()``, ``rate_limit(reset_epoch)``,
  plus ``refuse()`` / ``resume()`` (stop listening / listen again on the same port) and
  ``clear_faults()``,
- a `FakeClock` that never moves unless the test moves it (ids, timestamps, rate-limit windows,
  idempotency windows and media expiry all read it),
- `RateLimiter`: fixed windows per key, on the fake clock.

Nothing here sleeps except a `slow` fault, and a slow handler wakes up early when the server stops.
"""

from __future__ import annotations

import fnmatch
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

MAX_BODY_BYTES = 64 * 1024 * 1024


class FakeClock:
    """Wall-clock seconds that only move when a test says so. Thread-safe."""

    def __init__(self, start: float | None = None) -> None:
        self._now = float(int(time.time())) if start is None else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, epoch: float) -> None:
        with self._lock:
            self._now = float(epoch)


@dataclass(frozen=True)
class Window:
    """The state of one rate-limit window after a request was counted."""

    limit: int
    remaining: int
    reset: float  # epoch seconds when the window ends
    exceeded: bool


class RateLimiter:
    """Fixed-window counters per (bucket, key) on a `FakeClock`.

    `aligned=True` starts windows on multiples of the period (Mastodon's rack-attack);
    otherwise a window starts with the first request in it (X's 15-minute windows).
    """

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(
        self, bucket: str, key: str, limit: int, period: float, *, aligned: bool = False
    ) -> Window:
        with self._lock:
            start, used = self._current(bucket, key, period, aligned)
            if used >= limit:
                return Window(limit, 0, start + period, exceeded=True)
            used += 1
            self._state[(bucket, key)] = (start, used)
            return Window(limit, limit - used, start + period, exceeded=False)

    def peek(
        self, bucket: str, key: str, limit: int, period: float, *, aligned: bool = False
    ) -> Window:
        with self._lock:
            start, used = self._current(bucket, key, period, aligned)
            return Window(limit, max(limit - used, 0), start + period, exceeded=used >= limit)

    def _current(self, bucket: str, key: str, period: float, aligned: bool) -> tuple[float, int]:
        """(window start, requests used in it) now; a new window once the last has ended."""
        now = self._clock.now()
        start, used = self._state.get((bucket, key), (0.0, 0))
        if now >= start + period or used == 0:
            start = (now // period) * period if aligned else now
            used = 0
        return start, used

    def reset(self) -> None:
        with self._lock:
            self._state.clear()


@dataclass(frozen=True)
class Part:
    """One field of a multipart/form-data body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """Split a multipart/form-data body into its parts (exact bytes, no re-encoding)."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ValueError("multipart body without a boundary")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2:
        raise ValueError("multipart body without a part")
    parts: list[Part] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return parts
        if not chunk.startswith(b"\r\n"):
            raise ValueError("malformed multipart delimiter")
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a header block")
        headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip()] = value.strip()
        field_name = headers.get_param("name", header="content-disposition")
        if not isinstance(field_name, str):
            raise ValueError("multipart part without a name")
        filename = headers.get_filename()
        parts.append(Part(field_name, data, filename, headers.get("content-type")))
    raise ValueError("multipart body without a closing delimiter")


@dataclass
class Request:
    """What a route handler sees."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    context: dict[str, Any] = field(default_factory=dict)  # for the subclass's own use

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, list[Part]]:
        """Fields of a multipart or urlencoded body, by name (each may repeat)."""
        fields: dict[str, list[Part]] = {}
        if self.content_type == "multipart/form-data":
            for part in parse_multipart(self.header("content-type") or "", self.body):
                fields.setdefault(part.name, []).append(part)
        elif self.content_type in ("application/x-www-form-urlencoded", ""):
            decoded = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
            for name, values in decoded.items():
                fields[name] = [Part(name, v.encode("utf-8")) for v in values]
        else:
            raise ValueError(f"not a form body: {self.content_type}")
        return fields


@dataclass
class Response:
    status: int
    body: Any = None  # bytes are sent as they are; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class HttpError(Exception):
    """Raised by a handler to answer with `response` at once."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.status}: {response.body!r}")
        self.response = response


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float  # the fake clock when it arrived
    status: int | None = None  # None: no response was sent (dropped)
    faults: list[str] = field(default_factory=list)
    handled: bool = False  # the server finished its work (a response may still be delayed)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


FaultKind = Literal["slow", "error", "drop_after_store", "rate_limit"]


@dataclass
class Fault:
    """One armed fault switch. `times=None` keeps it armed until `clear_faults()`."""

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    times: int | None = 1
    seconds: float = 0.0
    status: int = 0
    reset_epoch: float = 0.0
    body: Any = None
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: str  # e.g. "POST /2/tweets", used for rate-limit buckets


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeServer) -> None:
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self.connections_lock:
            sockets = list(self.open_connections)
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client waits
    # about 40 ms for the second one, which real servers do not make it do.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            data = bytearray()
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                if len(data) + size > MAX_BODY_BYTES:
                    raise ValueError("body too large")
                data += self.rfile.read(size)
                self.rfile.readline(1024)
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        fake = self.server.fake
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._write(Response(413, {"error": "request body too large"}))
            return
        record, response, drop, delay = fake.serve(self.command, self.path, self.headers.items(),
                                                   body)
        if delay > 0:
            fake._stopping.wait(delay)
        if drop:
            # The work is done (the post is stored); the client never hears about it.
            record.status = None
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        record.status = response.status
        self._write(response)

    def _write(self, response: Response) -> None:
        payload = response.encode()
        try:
            self.send_response(response.status)
            for name, value in response_headers(response, payload).items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            # A client that timed out (slow fault) has gone away; nothing to tell it.
            self.close_connection = True


def response_headers(response: Response, payload: bytes) -> dict[str, str]:
    """The headers an answer goes out with: its own, a default content type, the length."""
    headers: dict[str, str] = {}
    names = {k.lower() for k in response.headers}
    if response.body is not None and "content-type" not in names:
        headers["Content-Type"] = (
            "application/octet-stream"
            if isinstance(response.body, bytes)
            else "application/json; charset=utf-8"
        )
    headers.update(response.headers)
    headers["Content-Length"] = str(len(payload))
    return headers


class FakeServer:
    """Base of the fakes: lifecycle, routing, request log, fault switches, clock.

    Subclasses call `add_route` in `__init__` and override `error_response` (the network's error
    body for a status and message), `fault_rate_limit_response` (429 for the `rate_limit` fault)
    and `finish` (headers every response carries, e.g. rate-limit headers).
    """

    host = "127.0.0.1"

    def __init__(self, *, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.limiter = RateLimiter(self.clock)
        self.lock = threading.RLock()  # guards the fake's state; handlers run under it
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.errors: list[Exception] = []  # exceptions raised by handlers (bugs in the fake)
        self._routes: list[Route] = []
        self._log_lock = threading.Condition()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        with self._lifecycle:
            if self._httpd is not None:
                return self
            self._stopping.clear()
            self._listen()
        return self

    def stop(self) -> None:
        with self._lifecycle:
            self._stopping.set()
            self._close_listener()

    def refuse(self) -> None:
        """Stop listening (and drop open keep-alive connections): connections are refused."""
        with self._lifecycle:
            self._close_listener()

    def resume(self) -> None:
        """Listen again on the same port after `refuse()`."""
        with self._lifecycle:
            if self._httpd is None:
                self._listen()

    @contextmanager
    def refusing(self) -> Iterator[None]:
        self.refuse()
        try:
            yield
        finally:
            self.resume()

    def _listen(self) -> None:
        httpd = _HTTPServer((self.host, self._port), self)
        self._port = httpd.server_address[1]
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self._port}",
            daemon=True,
        )
        thread.start()
        self._httpd, self._thread = httpd, thread

    def _close_listener(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_open_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("server not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def listening(self) -> bool:
        return self._httpd is not None

    # ---- fault switches --------------------------------------------------------------------

    def _arm(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def slow(
        self,
        seconds: float,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer the next matching requests `seconds` late. The request is handled (and a post
        stored) first, so a client whose timeout is shorter gives up on a post that landed."""
        return self._arm(Fault("slow", method, path, times, seconds=seconds))

    def error(
        self,
        status: int = 503,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int | None = 1,
        body: Any = None,
    ) -> Fault:
        """Answer the next matching requests with `status` without handling them (nothing is
        stored). `body` overrides the network-shaped error body."""
        return self._arm(Fault("error", method, path, times, status=status, body=body))

    def drop_after_store(
        self,
        *,
        path: str | None = None,
        method: str | None = "POST",
        times: int | None = 1,
    ) -> Fault:
        """Handle the next matching requests (the post is stored), then close the connection
        without a response: the client sees a connection error."""
        return self._arm(Fault("drop_after_store", method, path, times))

    def rate_limit(
        self,
        reset_epoch: float,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer the next matching requests 429 with the network's headers, resetting at
        `reset_epoch` (nothing is stored)."""
        return self._arm(Fault("rate_limit", method, path, times, reset_epoch=reset_epoch))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take_faults(self, method: str, path: str) -> list[Fault]:
        taken: list[Fault] = []
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    # At most one of error / rate_limit / drop per request; any number of slows.
                    if fault.kind != "slow" and any(f.kind != "slow" for f in taken):
                        continue
                    fault.fired += 1
                    taken.append(fault)
        return taken

    # ---- request log -----------------------------------------------------------------------

    def _log(self, record: RecordedRequest) -> None:
        with self._log_lock:
            self.requests.append(record)

    def _mark_handled(self, record: RecordedRequest) -> None:
        with self._log_lock:
            record.handled = True
            self._log_lock.notify_all()

    def wait_handled(
        self,
        count: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        timeout: float = 5.0,
    ) -> list[RecordedRequest]:
        """Block until `count` matching requests have been handled by the server (their effects
        are stored), e.g. after a client gave up on a `slow` response. Returns them."""

        def done() -> list[RecordedRequest]:
            return [r for r in self._matching(method, path) if r.handled]

        with self._log_lock:
            if not self._log_lock.wait_for(lambda: len(done()) >= count, timeout=timeout):
                raise TimeoutError(f"{count} request(s) to {method} {path} not handled in time")
            return done()

    def _matching(self, method: str | None, path: str | None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or fnmatch.fnmatchcase(r.path, path))
        ]

    def requests_to(
        self, method: str | None = None, path: str | None = None
    ) -> list[RecordedRequest]:
        """Logged requests, filtered by method and `fnmatch` path pattern."""
        with self._log_lock:
            return self._matching(method, path)

    # ---- routing ---------------------------------------------------------------------------

    def add_route(self, method: str, template: str, handler: Handler) -> None:
        """`template` like ``/2/users/:id/tweets``; `:name` matches one path segment."""
        regex = "^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template) + "$"
        self._routes.append(
            Route(method.upper(), re.compile(regex), handler, f"{method} {template}")
        )

    def route_for(self, request: Request) -> Route | None:
        for route in self._routes:
            if route.method == request.method and route.pattern.match(request.path):
                return route
        return None

    def serve(
        self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> tuple[RecordedRequest, Response, bool, float]:
        """Handle one request (logged, faults applied, dispatched): what both transports call,
        the socket handler and the in-process one. Returns the log entry, the answer, whether
        to drop it after the work is done, and how late to send it."""
        split = urlsplit(target)
        lowered = {k.lower(): v for k, v in headers}
        query = parse_qs(split.query, keep_blank_values=True)
        record = RecordedRequest(method, split.path, query, lowered, body, self.clock.now())
        request = Request(method, split.path, query, lowered, body)
        self._log(record)
        try:
            response, drop, delay = self._exchange(request, record)
        except Exception as exc:  # a bug in the fake: say so instead of dropping the connection
            self.errors.append(exc)
            response, drop, delay = (
                Response(500, {"error": f"fake server bug: {exc!r}"}),
                False,
                0.0,
            )
        self._mark_handled(record)
        return record, response, drop, delay

    def _exchange(self, request: Request, record: RecordedRequest) -> tuple[Response, bool, float]:
        faults = self._take_faults(request.method, request.path)
        record.faults = [f.kind for f in faults]
        delay = sum(f.seconds for f in faults if f.kind == "slow")
        drop = any(f.kind == "drop_after_store" for f in faults)
        route = self.route_for(request)
        with self.lock:
            for fault in faults:
                if fault.kind == "error":
                    response = (
                        Response(fault.status, fault.body)
                        if fault.body is not None
                        else self.error_response(fault.status, _REASONS.get(fault.status, "Error"))
                    )
                    return self.finish(request, route, response), False, delay
                if fault.kind == "rate_limit":
                    response = self.fault_rate_limit_response(request, route, fault.reset_epoch)
                    return response, False, delay
            response = self.dispatch(request, route)
            return self.finish(request, route, response), drop, delay

    def dispatch(self, request: Request, route: Route | None) -> Response:
        if route is None:
            if any(r.pattern.match(request.path) for r in self._routes):
                return self.error_response(405, "Method Not Allowed")
            return self.error_response(404, "Not Found")
        match = route.pattern.match(request.path)
        request.params = match.groupdict() if match else {}
        try:
            return route.handler(request)
        except HttpError as err:
            return err.response

    # ---- hooks for subclasses --------------------------------------------------------------

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, {"error": message})

    def fault_rate_limit_response(
        self, request: Request, route: Route | None, reset_epoch: float
    ) -> Response:
        return Response(429, {"error": "Too Many Requests"}, {"Retry-After": "0"})

    def finish(self, request: Request, route: Route | None, response: Response) -> Response:
        return response


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def sniff_image(data: bytes) -> str | None:
    """The MIME type of an image from its first bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None
