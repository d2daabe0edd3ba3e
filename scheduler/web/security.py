"""The desk's guards: the password (an argon2 hash at rest), sessions, CSRF tokens, and the
Host / Origin checks that keep another web page (or a DNS-rebinding name) from driving it.

The desk is one author's tool on her own machine. It binds to 127.0.0.1; any other address
needs a password first. Every state-changing request needs the session's CSRF token, and every
request's Host must be one of the desk's own names, so a page elsewhere cannot post to it and
a rebinding domain cannot read it.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_FILE = "desk-password"
SESSION_COOKIE = "crier_desk"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY = 16 * 1024 * 1024  # a request larger than this is refused before it is read

_hasher = PasswordHasher()


def password_path(data_dir: Path) -> Path:
    return data_dir / PASSWORD_FILE


def set_password(data_dir: Path, password: str) -> Path:
    """Store the argon2 hash of `password` (never the password) at mode 0600."""
    if len(password) < 8:
        raise ValueError("the password must be at least 8 characters")
    data_dir.mkdir(parents=True, exist_ok=True)
    path = password_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(_hasher.hash(password) + "\n")
    os.chmod(tmp, 0o600)  # O_CREAT's mode is narrowed by the umask, never widened: be sure
    os.replace(tmp, path)
    return path


def password_hash(data_dir: Path) -> str | None:
    path = password_path(data_dir)
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def check_password(stored: str, given: str) -> bool:
    try:
        return _hasher.verify(stored, given)
    except (VerificationError, InvalidHashError):
        return False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host header values the desk answers to: its own address and, on loopback, the
    loopback names. A DNS-rebinding page reaches 127.0.0.1 under a foreign name: refused."""
    names = {host}
    if is_loopback(host):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    return frozenset({f"{n}:{port}" for n in names} | ({*names} if port == 80 else set()))


@dataclass
class Session:
    csrf: str
    authed: bool = False
    flash: list[str] = field(default_factory=list)


class Sessions:
    """Sessions in memory: a restart signs everyone out, which is what a local tool wants."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Session] = {}

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            return self._by_id.get(sid)

    def new(self) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32))
        with self._lock:
            if len(self._by_id) > 1000:  # one author: many sessions means a script; forget
                self._by_id.clear()
            self._by_id[sid] = session
        return sid, session

    def drop(self, sid: str | None) -> None:
        with self._lock:
            self._by_id.pop(sid or "", None)


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
