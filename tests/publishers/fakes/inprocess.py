"""A `requests` transport that hands each request to a fake server's dispatcher: no socket.

Mounted on a session (`session_for(server)`), it serves every URL, whatever its host, from
`server.serve` - the same code path the socket handler uses, so the request log, the network's
rules and the fault switches all apply. What a socket would add is simulated without waiting:

- a server that is not listening (`refuse()`) refuses the connection (`NewConnectionError`
  inside a ConnectionError, as urllib3 raises it);
- `drop_after_store`: the work is done, then a ConnectionError, as when the peer closes;
- `slow(s)` longer than the request's read timeout: the work is done, then a ReadTimeout.
  A slow answer within the timeout comes back at once: nothing here sleeps.

Tests that are about real sockets (the drop, slow and refused faults end to end, kill -9 runs)
keep using the server's port.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3.exceptions import NewConnectionError

from .base import _REASONS, FakeServer, response_headers


class InProcessAdapter(HTTPAdapter):  # type: ignore[misc]
    def __init__(self, server: FakeServer) -> None:
        super().__init__()
        self.server = server

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        if not self.server.listening:
            refused = NewConnectionError(None, "Connection refused (in-process server not "  # type: ignore[arg-type]
                                         "listening)")
            raise requests.ConnectionError(refused, request=request)
        split = urlsplit(request.url or "")
        target = split.path + (f"?{split.query}" if split.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        record, answer, drop, delay = self.server.serve(
            request.method or "GET", target, request.headers.items(), bytes(body))
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if drop:
            record.status = None
            raise requests.ConnectionError("the server closed the connection without an answer",
                                           request=request)
        if delay and read_timeout is not None and delay > read_timeout:
            record.status = None
            raise requests.ReadTimeout(f"no answer within {read_timeout} s", request=request)
        record.status = answer.status
        payload = answer.encode()
        raw = HTTPResponse(body=io.BytesIO(payload), headers=response_headers(answer, payload),
                           status=answer.status, reason=_REASONS.get(answer.status, ""),
                           preload_content=False, decode_content=False)
        return self.build_response(request, raw)


def session_for(server: FakeServer) -> requests.Session:
    """A session whose every request is served by `server`, in this process."""
    session = requests.Session()
    session.trust_env = False
    adapter = InProcessAdapter(server)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
