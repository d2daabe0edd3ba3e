"""Where an evergreen round goes: the same wall time some days later, and the first candidate
slot that keeps a network's day under its cap and every two posts apart by the spacing.

Pure (the store asks it inside the transaction that publishes the round before); a zone's
DST is handled by `timing`, so 09:00 stays 09:00 on either side of a change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from itertools import islice

from scheduler import timing

MAX_LOOKS = 5000  # slots looked at before settling for the earliest time itself


def days_later(instant: datetime, days: int, zone: str) -> datetime:
    """The same wall time `days` calendar days later in `zone` (09:00 stays 09:00 across DST;
    a wall time that does not exist that day moves forward, by the documented rule)."""
    local = instant.astimezone(timing.load_zone(zone))
    wall = (local.replace(tzinfo=None) + timedelta(days=days)).strftime("%Y-%m-%d %H:%M")
    return timing.resolve(wall, zone).instant


def same_time_daily(earliest: datetime, zone: str,
                    clock: str | None) -> Iterator[timing.Resolved]:
    """A time of day (`earliest`'s unless given) on `earliest`'s day and every day after, from
    `earliest` on: a network without slots."""
    local = earliest.astimezone(timing.load_zone(zone))
    clock, day = clock or local.strftime("%H:%M"), local.date()
    while True:
        resolved = timing.resolve(f"{day.isoformat()} {clock}", zone)
        if resolved.instant >= earliest:
            yield resolved
        day += timedelta(days=1)


def first_free(candidates: Iterable[timing.Resolved], busy: Sequence[datetime], per_day: int,
               spacing: timedelta, zone: str, earliest: datetime) -> timing.Resolved:
    """The first candidate keeping at most `per_day` posts on its local day and none closer
    than `spacing`; `earliest` itself when none does within MAX_LOOKS."""
    tz = timing.load_zone(zone)

    def day(at: datetime) -> date:
        return at.astimezone(tz).date()

    for candidate in islice(candidates, MAX_LOOKS):
        instant = candidate.instant
        if sum(1 for other in busy if day(other) == day(instant)) >= per_day:
            continue
        if all(abs(instant - other) >= spacing for other in busy):
            return candidate
    local = earliest.astimezone(tz)
    return timing.Resolved(earliest, local.strftime("%Y-%m-%d %H:%M"), zone, None)
