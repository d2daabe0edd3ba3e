"""Evergreen reposts as the front matter writes them: `repeat: {every: "90 days", times: 3}`.

How each round differs is `content/rounds.py`; when it goes out is the scheduler's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from content.errors import PostError

MAX_TIMES = 20
MIN_EVERY = timedelta(days=1)  # more often than daily is a burst, not an evergreen post
_EVERY = re.compile(r"^\s*(\d+)\s*(day|days|week|weeks)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Repeat:
    """Re-queue the post `times` more times, `every` after each publication."""

    every: timedelta
    times: int
    written: str  # as the author wrote it, for listings: "90 days"


def parse_every(text: str, where: str) -> timedelta:
    match = _EVERY.match(text)
    if match is None:
        raise PostError(f"{where} repeat.every must be a number of days or weeks, like "
                        f"\"90 days\" or \"12 weeks\"; got {text!r}")
    count, unit = int(match.group(1)), match.group(2).lower()
    every = timedelta(days=count * (7 if unit.startswith("week") else 1))
    if every < MIN_EVERY:
        raise PostError(f"{where} repeat.every must be at least 1 day; got {text!r}")
    return every


def parse_repeat(value: Any, source: str) -> Repeat | None:
    """The front matter's `repeat:`; PostError says what is wrong and how to write it."""
    if value is None:
        return None
    where = f"{source}:"
    if not isinstance(value, dict) or set(map(str, value)) - {"every", "times"}:
        raise PostError(f"{where} repeat must be {{every: \"90 days\", times: 3}}")
    every = value.get("every")
    if not isinstance(every, str):
        raise PostError(f"{where} repeat.every is needed, as text like \"90 days\"")
    times = value.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= MAX_TIMES:
        raise PostError(f"{where} repeat.times must be a whole number from 1 to {MAX_TIMES}; "
                        f"got {times!r}")
    return Repeat(parse_every(every, where), times, " ".join(every.split()))
