"""A renewed token, kept in a private file (mode 0600) so that it outlives the process.

A network whose long-lived tokens can be renewed (once at least a day old, for another 60
days) gets a new token the author never sees: it must be kept somewhere, and never in the
database, the outbox or a log. The file remembers which configured token it was renewed from
(by hash): while the author's variable still holds that one, the renewed token is newer and is
used instead; once she pastes a new token, hers wins and the file starts again from it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from scheduler.publishers.http import write_private

log = logging.getLogger(__name__)

# A token may be renewed once it is at least this old (PLATFORMS.md, the Meta networks' auth).
MIN_AGE = timedelta(hours=24)

Exchange = Callable[[str], tuple[str, timedelta]]  # current token -> (new token, valid for)


@dataclass(frozen=True)
class _Record:
    source: str  # sha256 of the configured token this record started from
    seen_at: str  # when that token was first seen (its age is otherwise unknown)
    token: str | None = None  # the renewed token
    issued_at: str | None = None
    expires_at: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KeptToken:
    """The renewed token of one account, in `path`. Thread-safe within a process; between
    processes the file is replaced atomically, and the last renewal wins (both are valid)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def token_for(self, configured: str) -> str:
        record = self._read()
        if record is not None and record.source == _digest(configured) and record.token:
            return record.token
        return configured

    def expires_at(self, configured: str) -> datetime | None:
        """When the token in use expires, when a renewal said so."""
        record = self._read()
        if record is None or record.source != _digest(configured) or not record.expires_at:
            return None
        return datetime.fromisoformat(record.expires_at)

    def refresh(self, configured: str, now: datetime, exchange: Exchange) -> datetime | None:
        """Renew the token in use if it is old enough; the new expiry, or None if not yet."""
        with self._lock:
            record = self._read()
            if record is None or record.source != _digest(configured):
                record = _Record(_digest(configured), now.isoformat())
                self._write(record)
            since = datetime.fromisoformat(record.issued_at or record.seen_at)
            if now - since < MIN_AGE:
                return None
            fresh, valid = exchange(record.token or configured)
            expires = now + valid
            self._write(_Record(record.source, record.seen_at, fresh, now.isoformat(),
                                expires.isoformat()))
            log.info("renewed the token kept in %s; it now expires %s", self.path.name,
                     expires.isoformat())
            return expires

    def _read(self) -> _Record | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return _Record(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def _write(self, record: _Record) -> None:
        write_private(self.path, json.dumps(asdict(record)).encode())


__all__ = ["KeptToken", "MIN_AGE"]
