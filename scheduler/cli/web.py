"""`crier web`: the author's desk (calendar, composer, queue) in the browser, with the daemon
running in the same process unless --no-daemon."""

from __future__ import annotations

import argparse
import getpass
import sys

from scheduler.cli.queue import Sub
from scheduler.service import QueueError, Service
from scheduler.web import security


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "web", help="the desk: calendar, composer and queue in your browser",
        description="Serves the desk on http://127.0.0.1:8080 and runs the daemon in the same "
        "process. The same database as the other commands: use both together.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; any other needs a "
                        "password first)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--no-daemon", action="store_true",
                        help="do not publish from this process (run `crier run` elsewhere)")
    parser.add_argument("--set-password", action="store_true",
                        help="set the desk's password (asked for, or read from stdin) and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, service: Service) -> int:
    data_dir = service.settings.data_dir
    if args.set_password:
        if sys.stdin.isatty():
            password = getpass.getpass("New desk password: ")
            if getpass.getpass("Again: ") != password:
                raise QueueError("the two passwords differ; nothing was changed")
        else:
            password = sys.stdin.readline().rstrip("\n")
        try:
            path = security.set_password(data_dir, password)
        except ValueError as exc:
            raise QueueError(f"{exc}; nothing was changed") from None
        print(f"Password set: its argon2 hash is in {path} (mode 0600).")
        return 0
    if not security.is_loopback(args.host) and security.password_hash(data_dir) is None:
        raise QueueError(f"refusing to listen on {args.host} without a password: anyone who can "
                         "reach it could post as you; set one with `crier web --set-password`")
    from scheduler.web.server import DeskServer

    server = DeskServer(service, args.host, args.port, with_daemon=not args.no_daemon)
    where = (" (the daemon publishes from this process)" if not args.no_daemon
             else " (no daemon here: run `crier run` to publish)")
    try:
        server.run(announce=lambda url: print(f"Crier desk on {url}{where}", flush=True))
    except OSError as exc:
        raise QueueError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}; "
                         "choose another --port") from None
    return 0
