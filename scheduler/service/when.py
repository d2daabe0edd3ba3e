"""When a delivery goes out: a wall time, the next free posting slot, or now.

Queueing and rescheduling ask the same question, so they share this answer. A `SlotBook` hands
out each network's next free slot once per command: five posts queued with --next-slot take five
successive slots, never one slot five times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from content.errors import CrierError
from scheduler import timing
from scheduler.store import Store
from scheduler.store.slots import get_slots, taken_instants


class QueueError(CrierError):
    """A post cannot be queued or moved as asked; the message says why and how to fix it."""


@dataclass(frozen=True)
class When:
    """When the author asked for: a wall time (`at`), the next free slot, or now."""

    kind: Literal["at", "next_slot", "now"]
    wall: str | None = None  # for "at"; None: the post's own `at:`
    zone: str | None = None  # --tz; None: the post's `timezone:`, else the brand's


class SlotBook:
    """Each network's next free slot after `now`, skipping instants that already hold a
    delivery and the ones handed out earlier by this book. The store is opened only when a
    slot is asked for, so bad input is reported without touching the database."""

    def __init__(self, store: Callable[[], Store], now: datetime) -> None:
        self._store = store
        self._now = now
        self._specs: dict[str, str] | None = None
        # Per (network, zone), its free slots in time order: the store is asked once what is
        # taken, and a slot handed out is behind the iterator, never handed out again.
        self._free: dict[tuple[str, str], Iterator[timing.Resolved]] = {}
        self._handed: dict[str, set[datetime]] = {}  # across zones of one network

    def take(self, platform: str, zone: str) -> timing.Resolved | None:
        """The next free slot of `platform`, now taken; None when it has no slots."""
        free = self._free.get((platform, zone))
        if free is None:
            store = self._store()
            if self._specs is None:
                self._specs = get_slots(store)
            spec = self._specs.get(platform)
            if spec is None:
                return None
            free = self._free[(platform, zone)] = timing.next_slots(
                timing.parse_slots(spec), zone, self._now,
                taken_instants(store, platform, self._now))
        handed = self._handed.setdefault(platform, set())
        for found in free:
            if found.instant not in handed:
                handed.add(found.instant)
                return found
        return None


def resolve(when: When, zone: str, now: datetime, platform: str, slots: SlotBook | None,
            *, default_wall: str | None = None) -> timing.Resolved:
    """The instant `when` means for `platform` in `zone`. Raises QueueError (without the
    caller's "nothing was queued/changed", which the caller adds) or timing.TimeError."""
    if when.kind == "now":
        wall = now.astimezone(timing.load_zone(zone)).strftime("%Y-%m-%d %H:%M")
        return timing.Resolved(now, wall, zone, None)
    if when.kind == "next_slot":
        if slots is None:
            raise QueueError("--next-slot needs the store's slots")
        found = slots.take(platform, zone)
        if found is None:
            raise QueueError(f"{platform} has no posting slots; set some with "
                             f"`crier slots set {platform} \"mon,wed,fri 09:00\"`")
        return found
    asked = when.wall or default_wall
    if asked is None:
        raise QueueError("no time given; add --at \"YYYY-MM-DD HH:MM\", --next-slot or --now "
                         "(or `at:` in the post's front matter)")
    resolved = timing.resolve(asked, zone)
    if resolved.instant < now:
        local = now.astimezone(timing.load_zone(zone))
        raise QueueError(f"{resolved.wall} {zone} is in the past (it is now "
                         f"{local:%Y-%m-%d %H:%M}); give a later time, or --now to publish "
                         "at once")
    return resolved
