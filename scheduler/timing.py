"""When to publish: the author's wall times and weekly slots, resolved to UTC instants.

An author writes times the way a clock on their wall shows them ("2026-03-08 09:00" in
"America/New_York"); Crier stores and compares UTC instants. Twice a year a zone with daylight
saving time has wall times that do not map to exactly one instant, and the rule here is:

- a wall time that does not exist (the spring-forward gap) moves forward by the length of the
  gap: 2026-03-08 02:30 in America/New_York becomes 03:30 EDT, 07:30 UTC. The post goes out
  as soon after the intended time as the clock allows, never before it.
- a wall time that exists twice (the fall-back overlap) takes the first occurrence (fold=0):
  2026-11-01 01:30 in America/New_York is 01:30 EDT, 05:30 UTC, not 01:30 EST an hour later.

Either case sets `Resolved.note`, which says which instant was chosen and why, so the author
is told rather than surprised. Slots are a weekly posting schedule ("mon,wed,fri 09:00"),
resolved day by day with the same rule, so a 09:00 slot stays 09:00 on the wall across DST
changes while its UTC hour moves.

Nothing here reads the clock: "now" is always passed in. Zones come from zoneinfo (the system
database, or the tzdata package where there is none).
"""

from __future__ import annotations

import calendar
import difflib
import re
import zoneinfo
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WALL_FORMAT = "YYYY-MM-DD HH:MM"

_WALL = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2})", flags=re.ASCII)
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})", flags=re.ASCII)

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS: dict[str, int] = {}
for _number, _name in enumerate(_DAY_NAMES):
    _DAYS[_name] = _number
    _DAYS[_name[:3]] = _number
_DAYS.update({"tues": 1, "thur": 3, "thurs": 3})
_DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
}
_DAYS_HELP = (
    "use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, daily, weekdays or weekends"
)


class TimeError(ValueError):
    """A time, zone or schedule the author wrote cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Resolved:
    """A wall time in a zone, and the one UTC instant Crier will use for it."""

    instant: datetime  # aware, in UTC
    wall: str  # "YYYY-MM-DD HH:MM", as written
    zone: str
    note: str | None  # set when the wall time did not exist or existed twice


@dataclass(frozen=True)
class Slot:
    """A weekly posting time: a weekday (0 is Monday) and a wall-clock "HH:MM"."""

    weekday: int
    time: str

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise TimeError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        _parse_clock(self.time)


def parse_wall(text: str) -> datetime:
    """A naive datetime from exactly "YYYY-MM-DD HH:MM" (24-hour clock, leading zeros)."""
    match = _WALL.fullmatch(text)
    if match is None:
        raise TimeError(
            f'expected "{WALL_FORMAT}" (for example "2026-03-08 09:30"), got "{text}"'
        )
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        when = date(year, month, day)
    except ValueError:
        raise TimeError(f'"{text}" is not a date: {_why_not_a_date(year, month, day)}') from None
    if hour > 23 or minute > 59:
        raise TimeError(f'"{text}" is not a time of day: use 00:00 to 23:59')
    return datetime.combine(when, time(hour, minute))


def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` ("Europe/Paris"); a clear TimeError when there is none."""
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    message = f'unknown time zone "{name}"; use an IANA name such as America/New_York'
    guess = _closest_zone(name)
    if guess is not None:
        message += f' (did you mean "{guess}"?)'
    raise TimeError(message)


def resolve(wall: str, zone: str) -> Resolved:
    """The UTC instant of the wall time `wall` in `zone`, by the rule in this module's docstring."""
    naive = parse_wall(wall)
    tz = load_zone(zone)
    return _resolve(naive, tz, zone)


def parse_slots(spec: str) -> list[Slot]:
    """Weekly slots from a schedule such as "mon,wed,fri 09:00; sat 10:30".

    Groups are separated by ";" or new lines. Each group is days, then one or more times
    "HH:MM"; days are names (mon, tuesday...), ranges (mon-fri), or daily, weekdays,
    weekends, separated by commas or spaces. The slots come back sorted by weekday and time,
    without repeats.
    """
    slots: set[Slot] = set()
    groups = [group.strip() for group in re.split(r"[;\n]", spec)]
    for group in groups:
        if not group:
            continue
        # Days come first and times after; the first word starting with a digit begins the
        # times, so "mon, wed 09:00" and "mon,wed 09:00,13:00" read alike.
        words = [word for word in re.split(r"[\s,]+", group) if word]
        first_time = next(
            (index for index, word in enumerate(words) if word[0].isdigit()), len(words)
        )
        if first_time == 0:
            raise TimeError(
                f'"{group}" names no day: write the days first, then "HH:MM", as in "mon 09:00"'
            )
        days = _parse_days(words[:first_time], group)
        times = words[first_time:]
        if not times:
            raise TimeError(
                f'"{group}" has no time: write the days, then "HH:MM", as in "mon 09:00"'
            )
        for clock in times:
            _parse_clock(clock, group)
            slots.update(Slot(day, clock) for day in days)
    if not slots:
        raise TimeError(
            f'no posting slots in "{spec}": write days and times such as '
            '"mon,wed,fri 09:00; sat 10:30", "daily 09:00" or "weekdays 08:15"'
        )
    return sorted(slots, key=lambda slot: (slot.weekday, slot.time))


def next_slots(
    slots: Sequence[Slot],
    zone: str,
    after: datetime,
    taken: Collection[datetime] = (),
) -> Iterator[Resolved]:
    """Every occurrence of `slots` in `zone` strictly after `after`, in time order, forever.

    Instants in `taken` are skipped (a slot already holding a post); two slots that land on
    the same instant (02:30 and 03:30 on a spring-forward day) come out once. `after` and
    every instant in `taken` must be aware datetimes.
    """
    tz = load_zone(zone)
    start = _to_utc(after, "after")
    busy = {_to_utc(instant, "taken") for instant in taken}
    by_day: dict[int, list[time]] = {}
    for slot in slots:
        by_day.setdefault(slot.weekday, []).append(_parse_clock(slot.time))
    if not by_day:
        return
    # From the day before `after`'s local date: that day's slots are all before `after`, so
    # nothing is missed whatever the offset, and the filter below drops what has passed.
    day = start.astimezone(tz).date() - timedelta(days=1)
    while True:
        instants: dict[datetime, Resolved] = {}
        for clock in sorted(by_day.get(day.weekday(), [])):
            resolved = _resolve(datetime.combine(day, clock), tz, zone)
            # 02:30 pushed onto 03:30 by a gap is the 03:30 slot: keep the wall time that
            # exists, whose Resolved carries no note about a move.
            known = instants.get(resolved.instant)
            if known is None or (known.note is not None and resolved.note is None):
                instants[resolved.instant] = resolved
        for instant in sorted(instants):
            if instant > start and instant not in busy:
                yield instants[instant]
        day += timedelta(days=1)


def _resolve(naive: datetime, tz: ZoneInfo, zone: str) -> Resolved:
    wall = naive.strftime("%Y-%m-%d %H:%M")
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    first_offset = first.utcoffset()
    second_offset = second.utcoffset()
    instant = first.astimezone(UTC)
    note: str | None = None
    if first_offset != second_offset and first_offset is not None and second_offset is not None:
        local = instant.astimezone(tz)
        if local.replace(tzinfo=None) != naive:
            # A gap. With fold=0 zoneinfo reads the wall time at the offset in force before the
            # jump, which lands exactly one gap-length later on the new clock: what the rule wants.
            gap = second_offset - first_offset
            note = (
                f"{wall} does not exist in {zone}: the clocks jump forward {_span(gap)} that day; "
                f"moved forward by the same {_span(gap)} to {_clock(local)} ({_utc(instant)})"
            )
        else:
            later = second.astimezone(UTC)
            note = (
                f"{wall} happens twice in {zone}: the clocks go back "
                f"{_span(first_offset - second_offset)} that day; took the first, "
                f"{_clock(local)} ({_utc(instant)}), not "
                f"{_clock(later.astimezone(tz))} ({_utc(later)})"
            )
    return Resolved(instant=instant, wall=wall, zone=zone, note=note)


def _to_utc(when: datetime, what: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise TimeError(
            f"{what} must be an aware datetime (with a time zone), got the naive {when.isoformat()}"
        )
    return when.astimezone(UTC)


def _parse_clock(text: str, group: str | None = None) -> time:
    match = _CLOCK.fullmatch(text)
    where = f' in "{group}"' if group is not None else ""
    if match is None:
        raise TimeError(f'expected a time "HH:MM" (for example 09:30){where}, got "{text}"')
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise TimeError(f'"{text}"{where} is not a time of day: use 00:00 to 23:59')
    return time(hour, minute)


def _parse_days(words: list[str], group: str) -> list[int]:
    days: set[int] = set()
    for token in (word.lower() for word in words):
        if token in _DAY_GROUPS:
            days.update(_DAY_GROUPS[token])
        elif token in _DAYS:
            days.add(_DAYS[token])
        elif "-" in token:
            first, _, last = token.partition("-")
            if first not in _DAYS or last not in _DAYS:
                raise TimeError(f'unknown day range "{token}" in "{group}"; {_DAYS_HELP}')
            day = _DAYS[first]
            days.add(day)
            while day != _DAYS[last]:  # wraps past Sunday: "fri-mon" is fri, sat, sun, mon
                day = (day + 1) % 7
                days.add(day)
        else:
            raise TimeError(f'unknown day "{token}" in "{group}"; {_DAYS_HELP}')
    return sorted(days)


def _why_not_a_date(year: int, month: int, day: int) -> str:
    if not 1 <= month <= 12:
        return f"there is no month {month:02d}; months run 01 to 12"
    if year < 1:
        return "the year must be 0001 or later"
    length = calendar.monthrange(year, month)[1]
    return f"{date(year, month, 1):%B %Y} has {length} days, so day {day:02d} does not exist"


def _closest_zone(name: str) -> str | None:
    # Only reached on an error, so the directory walk of available_timezones() costs nothing
    # in normal use.
    try:
        known = zoneinfo.available_timezones()
    except OSError:
        return None
    lowered = {zone.lower(): zone for zone in known}
    if name.lower() in lowered:
        return lowered[name.lower()]
    matches = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return matches[0] if matches else None


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    if minutes == 0:
        return f"{hours} hour" + ("" if hours == 1 else "s")
    return f"{hours}:{minutes:02d}"


def _clock(local: datetime) -> str:
    return f"{local:%H:%M} {local.tzname()}"


def _utc(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%H:%M} UTC"
