"""Bluesky record keys and addresses: one deterministic record key (a TID) per part, so a second
create of the same part cannot make a second post; `at://` URIs and their web address."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

POST = "app.bsky.feed.post"

_BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
# A TID is 64 bits: a zero bit, 53 bits of microseconds since 1970, 10 bits of "clock id",
# written as 13 base32-sortable characters (atproto.com/specs/tid). Ours keep its meaning: the
# time is the delivery's scheduled second, so the key sorts where the post belongs in the
# repository; the microseconds within that second are a hash of (store, delivery), so two
# deliveries due the same second get different keys; the clock id is the part's index, so a
# thread's keys are distinct and in order. Every attempt of a part names the same key.
MAX_PARTS = 1024  # what 10 bits of clock id can index
_MICROS = 1_000_000


def record_key(store_id: str, delivery_id: int, index: int, scheduled_at: datetime) -> str:
    """The record key (a valid TID) of part `index` of a delivery: the same on every attempt."""
    if not 0 <= index < MAX_PARTS:
        raise ValueError(f"part index {index} out of range for a record key")
    if scheduled_at.tzinfo is None:
        raise ValueError("a record key's time must be an aware datetime")
    digest = hashlib.sha256(f"crier:{store_id}:{delivery_id}".encode()).digest()
    second = int(scheduled_at.timestamp())
    micros = second * _MICROS + int.from_bytes(digest[:8], "big") % _MICROS
    value = (micros << 10) | index
    return "".join(_BASE32_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def tid_time(rkey: str) -> datetime:
    """The time a TID names (to the microsecond)."""
    value = 0
    for char in rkey:
        value = value * 32 + _BASE32_SORTABLE.index(char)
    return datetime.fromtimestamp((value >> 10) / _MICROS, UTC)


def web_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def split_uri(uri: str) -> tuple[str, str, str]:
    """(repo, collection, rkey) of an `at://` URI."""
    repo, _, rest = uri.removeprefix("at://").partition("/")
    collection, _, rkey = rest.partition("/")
    if not (uri.startswith("at://") and repo and collection and rkey):
        raise ValueError(f"not a record URI: {uri!r}")
    return repo, collection, rkey


def timestamp(now: datetime) -> str:
    """`createdAt` as the reference client writes it: UTC, milliseconds, `Z`."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


__all__ = ["MAX_PARTS", "POST", "record_key", "split_uri", "tid_time", "timestamp", "web_url"]
