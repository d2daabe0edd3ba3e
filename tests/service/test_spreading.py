"""Where an evergreen round goes: wall-time days across DST, and the first slot under the cap
and the spacing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import spreading, timing

ZONE = "America/New_York"


def test_days_later_keeps_the_wall_time_across_both_dst_changes() -> None:
    start = timing.resolve("2027-10-01 09:00", ZONE).instant  # EDT
    winter = spreading.days_later(start, 90, ZONE)  # after the fall back: EST
    spring = spreading.days_later(winter, 90, ZONE)  # after the spring forward: EDT
    assert [local.strftime("%Y-%m-%d %H:%M %Z") for local in (
        winter.astimezone(timing.load_zone(ZONE)), spring.astimezone(timing.load_zone(ZONE)))
    ] == ["2027-12-30 09:00 EST", "2028-03-29 09:00 EDT"]
    assert winter - start == timedelta(days=90, hours=1)  # the instants differ by the change
    # A wall time the spring-forward day lacks moves forward, by the documented rule.
    gap = spreading.days_later(timing.resolve("2028-03-11 02:30", ZONE).instant, 1, ZONE)
    assert gap.astimezone(timing.load_zone(ZONE)).strftime("%H:%M") == "03:30"


@settings(max_examples=50, deadline=None)
@given(offsets=st.lists(st.integers(0, 24 * 20), max_size=12),
       per_day=st.integers(1, 3), spacing_hours=st.integers(0, 30))
def test_the_first_free_slot_keeps_the_cap_and_the_spacing(
        offsets: list[int], per_day: int, spacing_hours: int) -> None:
    earliest = datetime(2028, 3, 1, 14, 0, tzinfo=UTC)
    busy = [earliest + timedelta(hours=h) for h in offsets]
    spacing = timedelta(hours=spacing_hours)
    found = spreading.first_free(spreading.same_time_daily(earliest, ZONE, "09:00"), busy,
                                 per_day, spacing, ZONE, earliest)
    tz = timing.load_zone(ZONE)
    assert found.instant >= earliest and found.instant.astimezone(tz).strftime("%H:%M") == "09:00"
    same_day = [b for b in busy if b.astimezone(tz).date() == found.instant.astimezone(tz).date()]
    assert len(same_day) < per_day
    assert all(abs(found.instant - b) >= spacing for b in busy)
    # And no earlier candidate would have done.
    for earlier in islice(spreading.same_time_daily(earliest, ZONE, "09:00"), 40):
        if earlier.instant >= found.instant:
            break
        day = earlier.instant.astimezone(tz).date()
        assert sum(1 for b in busy if b.astimezone(tz).date() == day) >= per_day or any(
            abs(earlier.instant - b) < spacing for b in busy)
