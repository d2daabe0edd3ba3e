"""Running the desk: uvicorn on a socket bound before it starts, and the daemon beside it in
a thread of the same process (so one `crier web` is the whole scheduler).

The socket is bound here, not by uvicorn, so the address is known (and accepting) the moment
`start` returns: a caller never waits for the server to come up.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

import uvicorn

from scheduler.daemon import Daemon
from scheduler.service import Service
from scheduler.web.app import create_app

log = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Stopped(Exception):
    """The signal that stopped the server, once uvicorn has shut down."""


def _stop_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


@dataclass
class DeskServer:
    """The desk on `host:port` (0: a free port), with the daemon unless `with_daemon=False`."""

    service: Service
    host: str = "127.0.0.1"
    port: int = 8080
    with_daemon: bool = True
    daemon: Daemon | None = field(default=None, init=False)
    _threads: list[threading.Thread] = field(default_factory=list, init=False)
    _server: uvicorn.Server | None = field(default=None, init=False)
    _socket: socket.socket | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def prepare(self) -> uvicorn.Server:
        self._socket = bind(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        app = create_app(self.service, host=self.host, port=self.port)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        if self.with_daemon:
            self.daemon = self.service.daemon(desk_url=self.url)  # links in notifications
            # Signals belong to the main thread (uvicorn's): the daemon's are not installed.
            thread = threading.Thread(target=self.daemon.run, kwargs={"install_signals": False},
                                      name="crier-daemon", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self._server

    def run(self, announce: Callable[[str], object] | None = None) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM, then stop the daemon cleanly."""
        server = self.prepare()
        if announce is not None:
            announce(self.url)
        # uvicorn shuts down on SIGINT / SIGTERM, then raises the signal again for the old
        # handler. These handlers turn that into a normal return, after the daemon below has
        # finished its deliveries in flight (SIGTERM's default would end the process first).
        previous = {sig: signal.signal(sig, _stop_signal)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            server.run(sockets=[self._socket] if self._socket else None)
        except _Stopped:
            log.info("desk stopped by a signal")
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def start(self) -> DeskServer:
        """Serve from a thread (tests, the screenshot script); `stop()` ends it."""
        server = self.prepare()
        thread = threading.Thread(target=server.run,
                                  kwargs={"sockets": [self._socket]}, name="crier-web",
                                  daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self.daemon is not None:
            self.daemon.stop()  # finishes the deliveries in flight first
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=30)
        self._threads.clear()
        if self._socket is not None:
            self._socket.close()
            self._socket = None
