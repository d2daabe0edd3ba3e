"""The Bluesky session cache: one login kept in a private file, shared by every process.

`createSession` is limited (about 100 a day): the tokens are kept in
`settings.data_dir/bluesky-session-*.json` (mode 0600: they are secrets; the app password is
never written), read by every daemon of this account, and renewed under a file lock so that
two processes never spend the one-use refresh token twice.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scheduler.publishers.http import write_private

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Session:
    service: str  # where the login was made
    handle: str
    did: str
    pds: str  # where the account's repository lives: every call but the login goes there
    access_jwt: str
    refresh_jwt: str


def jwt_expiry(token: str) -> datetime | None:
    """When a JWT expires, read from its payload (not verified: only to renew it in time)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(float(claims["exp"]), UTC)
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def pds_endpoint(answer: Mapping[str, Any], fallback: str) -> str:
    """The `#atproto_pds` service of the DID document in a session answer, else `fallback`."""
    doc = answer.get("didDoc")
    services = doc.get("service") if isinstance(doc, dict) else None
    for service in services if isinstance(services, list) else []:
        if (isinstance(service, dict) and str(service.get("id", "")).endswith("#atproto_pds")
                and isinstance(service.get("serviceEndpoint"), str)):
            return str(service["serviceEndpoint"]).rstrip("/")
    return fallback


class SessionFile:
    """Where the session of one (service, handle) is kept between runs."""

    def __init__(self, path: Path, service: str, handle: str) -> None:
        self.path = path
        self.service = service
        self.handle = handle

    def load(self) -> Session | None:
        """The kept session, if there is one for this service and handle."""
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            session = Session(**stored)
        except (OSError, ValueError, TypeError):
            return None
        if session.service != self.service or session.handle.lower() != self.handle.lower():
            return None
        return session

    def save(self, session: Session) -> None:
        try:
            write_private(self.path, json.dumps(asdict(session)).encode())
        except OSError as exc:  # the session still works; the next process logs in again
            log.warning("Bluesky: cannot keep the session in %s: %s", self.path, exc.strerror)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Across processes: one login or renewal at a time (a refresh token works once)."""
        path = self.path.with_name(self.path.name + ".lock")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a")
        except OSError:
            yield  # no shared folder: each process keeps its own session
            return
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield


__all__ = ["Session", "SessionFile", "jwt_expiry", "pds_endpoint"]
