"""Posting slots for a watched feed: the next free slots, at most N a day per network in the
author's zone, never two of the feed's posts closer than its minimum spacing.

A `CappedSlots` is a `SlotBook` (what queueing asks for a slot) that passes over the slots
the feed's cap or spacing rule out. The feed's deliveries already queued count, and so does
every slot this book handed out: five items queued in one poll take five slots, over as many
days as the cap needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from scheduler import timing
from scheduler.service.when import SlotBook
from scheduler.store import Store

# Slots looked at before giving up: years of a busy schedule, so only a cap that can never be
# met (a network whose every slot is taken) ends the search.
MAX_LOOKS = 5000


class CappedSlots(SlotBook):
    def __init__(self, store: Callable[[], Store], now: datetime, *, per_day: int,
                 spacing: timedelta, zone: str,
                 used: Mapping[str, Sequence[datetime]] | None = None) -> None:
        super().__init__(store, now)
        self.per_day = per_day
        self.spacing = spacing
        self.zone = zone
        self.used: dict[str, list[datetime]] = {k: list(v) for k, v in (used or {}).items()}

    def take(self, platform: str, zone: str) -> timing.Resolved | None:
        mine = self.used.setdefault(platform, [])
        for _ in range(MAX_LOOKS):
            found = super().take(platform, zone)
            if found is None:
                return None
            if self._fits(found.instant, mine):
                mine.append(found.instant)
                return found
        return None

    def _fits(self, instant: datetime, mine: list[datetime]) -> bool:
        day = self._day(instant)
        if sum(1 for other in mine if self._day(other) == day) >= self.per_day:
            return False
        return all(abs(instant - other) >= self.spacing for other in mine)

    def _day(self, instant: datetime) -> date:
        return instant.astimezone(timing.load_zone(self.zone)).date()
