"""The outbox publisher: a local folder that stands in for every network with no account set up.

It is a real publisher behind the same interface as the others. For each delivery it writes
`OUTBOX/<network>/<delivery-id>/` (every part's text, its images and alt texts, and the payload
that would be sent), and for each part it "sends" it appends one JSON line to
`OUTBOX/<network>/sent.jsonl`: that log is the network's view of what it received, the one that
duplicates and gaps are counted from, and the one `lookup` reads to reconcile.

`settings.outbox_dir` (CRIER_OUTBOX_DIR) is the folder, `outbox/` in the working directory by
default. `settings.outbox_delay_ms` (CRIER_OUTBOX_DELAY_MS) makes each send take that long, half
before the line is appended (the request on its way) and half after (the answer on its way
back), so that a process killed in the second half has sent a part it never heard about: the
case reconcile exists for.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingPart,
    Permanent,
    Publisher,
    PublisherSpec,
    Sent,
)
from scheduler.settings import Settings

log = logging.getLogger(__name__)

SENT_LOG = "sent.jsonl"
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "JPG": "jpg", "WEBP": "webp", "GIF": "gif"}


class OutboxPublisher(Publisher):
    name = "outbox"

    def __init__(
        self, root: Path, delay_ms: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.root = root
        self.delay = max(0, delay_ms) / 1000
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxPublisher:
        return cls(settings.outbox_dir, settings.outbox_delay_ms)

    def folder(self, platform: str, delivery_id: int) -> Path:
        """Where a delivery's files go."""
        return self.root / platform / str(delivery_id)

    def sent_log(self, platform: str) -> Path:
        return self.root / platform / SENT_LOG

    def publish_part(
        self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> Sent:
        folder = self.folder(delivery.platform, delivery.id)
        try:
            payload = self._write_files(folder, delivery, part, previous)
        except OSError as exc:
            raise Permanent(f"cannot write the outbox folder {folder}: {exc.strerror}") from None
        if self.delay:
            self._sleep(self.delay / 2)
        remote_id = f"outbox:{delivery.store_id[:12]}:{delivery.id}:{part.index}"
        line = {
            "delivery_id": delivery.id,
            "part": part.index,
            "parts": len(delivery.parts),
            "text_sha256": part.text_sha256,
            "sent_at": self._clock().isoformat(),
            "store": delivery.store_id,
            "remote_id": remote_id,
            "in_reply_to": payload["in_reply_to"],
        }
        _append(self.sent_log(delivery.platform), line)
        if self.delay:
            self._sleep(self.delay / 2)
        return Sent(remote_id, (folder / f"part-{part.index}.txt").resolve().as_uri())

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        path = self.sent_log(delivery.platform)
        for entry in _read_log(path):
            if (entry.get("store") == delivery.store_id and entry.get("delivery_id") == delivery.id
                    and entry.get("part") == part.index):
                sent = Sent(str(entry.get("remote_id", "")),
                            (self.folder(delivery.platform, delivery.id)
                             / f"part-{part.index}.txt").resolve().as_uri())
                return Lookup(Found.YES, sent, f"found in {path} (sent {entry.get('sent_at')})")
        # The log is the whole truth for the outbox: absent from it means never received.
        return Lookup(Found.NO, None, f"not in {path}")

    def check_account(self) -> AccountStatus:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return AccountStatus(False, f"cannot create {self.root}: {exc.strerror}")
        if not os.access(self.root, os.W_OK):
            return AccountStatus(False, f"{self.root} is not writable")
        return AccountStatus(True, f"writes to {self.root.resolve()}")

    def _write_files(
        self, folder: Path, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        media = []
        for position, image in enumerate(part.images, 1):
            ext = _EXTENSIONS.get(image.format.upper(), image.format.lower())
            name = f"part-{part.index}-image-{position}.{ext}"
            _write_atomic(folder / name, image.data)
            _write_atomic(folder / f"part-{part.index}-image-{position}.alt.txt",
                          image.alt.encode("utf-8"))
            media.append({"file": name, "alt": image.alt, "format": image.format,
                          "width": image.width, "height": image.height,
                          "sha256": image.sha256})
        payload = {
            "network": delivery.platform,
            "account": delivery.account,
            "delivery_id": delivery.id,
            "part": part.index,
            "parts": len(delivery.parts),
            "in_reply_to": previous.remote_id if previous else None,
            "text": part.text,
            "media": media,
            "composed": part.payload,
        }
        _write_atomic(folder / f"part-{part.index}.txt", part.text.encode("utf-8"))
        _write_atomic(folder / f"part-{part.index}.json",
                      json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"))
        return payload


# No variables: the outbox is what a network without an account uses.
PUBLISHER = PublisherSpec(network="outbox", variables=(), account_variable=None, secrets=(),
                          factory=OutboxPublisher.from_settings)


def _append(path: Path, entry: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # Several daemons append to the same log: one locked write per line keeps lines whole.
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # A writer killed mid-write (kill -9 can cut a write short) left half a line: start
            # a new one, or this line would be glued to it and unreadable.
            data = b"\n" + data
        os.write(fd, data)
    finally:
        os.close(fd)  # closing releases the lock


def _read_log(path: Path) -> list[dict[str, Any]]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        raw = handle.read()
    entries = []
    for line in raw.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning("skipping an unreadable line in %s", path)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def read_sent_log(path: Path) -> list[dict[str, Any]]:
    """Every entry of a `sent.jsonl`, in order (for summaries and for counting duplicates)."""
    return _read_log(path)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
