"""Wall times and weekly slots resolved to UTC, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.timing import (
    Resolved,
    Slot,
    TimeError,
    load_zone,
    next_slots,
    parse_slots,
    parse_wall,
    resolve,
)

NY = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- resolve ------------------------------------------------------------------------------


def test_an_ordinary_wall_time() -> None:
    assert resolve("2026-07-01 09:00", NY) == Resolved(
        instant=utc(2026, 7, 1, 13, 0), wall="2026-07-01 09:00", zone=NY, note=None
    )
    assert resolve("2026-01-15 09:00", NY).instant == utc(2026, 1, 15, 14, 0)
    assert resolve("2026-01-15 09:00", "UTC").instant == utc(2026, 1, 15, 9, 0)


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    resolved = resolve("2026-03-08 02:30", NY)
    assert resolved.instant == utc(2026, 3, 8, 7, 30)
    assert resolved.instant.tzinfo is UTC
    local = resolved.instant.astimezone(ZoneInfo(NY))
    assert (local.hour, local.minute, local.tzname()) == (3, 30, "EDT")
    assert resolved.wall == "2026-03-08 02:30"
    assert resolved.note is not None
    assert "does not exist" in resolved.note
    assert "03:30 EDT" in resolved.note and "07:30 UTC" in resolved.note


def test_a_time_in_the_fall_back_overlap_takes_the_first_occurrence() -> None:
    resolved = resolve("2026-11-01 01:30", NY)
    assert resolved.instant == utc(2026, 11, 1, 5, 30)
    local = resolved.instant.astimezone(ZoneInfo(NY))
    assert (local.hour, local.minute, local.tzname()) == (1, 30, "EDT")
    assert resolved.note is not None
    assert "twice" in resolved.note
    assert "01:30 EDT (05:30 UTC)" in resolved.note
    assert "01:30 EST (06:30 UTC)" in resolved.note


def test_the_edges_of_the_gap_and_the_overlap() -> None:
    assert resolve("2026-03-08 01:59", NY) == Resolved(
        utc(2026, 3, 8, 6, 59), "2026-03-08 01:59", NY, None
    )
    assert resolve("2026-03-08 02:00", NY).instant == utc(2026, 3, 8, 7, 0)  # = 03:00 EDT
    assert resolve("2026-03-08 02:00", NY).note is not None
    assert resolve("2026-03-08 03:00", NY) == Resolved(
        utc(2026, 3, 8, 7, 0), "2026-03-08 03:00", NY, None
    )
    assert resolve("2026-11-01 00:59", NY).note is None
    assert resolve("2026-11-01 01:00", NY).instant == utc(2026, 11, 1, 5, 0)
    assert resolve("2026-11-01 01:00", NY).note is not None
    assert resolve("2026-11-01 02:00", NY) == Resolved(
        utc(2026, 11, 1, 7, 0), "2026-11-01 02:00", NY, None
    )


def test_a_half_hour_gap() -> None:
    # Lord Howe Island moves its clocks by 30 minutes.
    resolved = resolve("2026-10-04 02:15", "Australia/Lord_Howe")
    assert resolved.note is not None and "30" in resolved.note
    local = resolved.instant.astimezone(ZoneInfo("Australia/Lord_Howe"))
    assert (local.hour, local.minute) == (2, 45)


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2026-3-8 09:00",
        "2026-03-08 9:00",
        "2026-03-08T09:00",
        "2026-03-08 09:00:00",
        "2026-03-08  09:00",
        " 2026-03-08 09:00",
        "2026-03-08",
        "٢٠٢٦-٠٣-٠٨ ٠٩:٠٠",  # Arabic-Indic digits
    ],
)
def test_unparsable_wall_times(text: str) -> None:
    with pytest.raises(TimeError, match='expected "YYYY-MM-DD HH:MM"') as caught:
        parse_wall(text)
    assert f'got "{text}"' in str(caught.value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-02-30 09:00", "February 2026 has 28 days"),
        ("2028-02-30 09:00", "February 2028 has 29 days"),
        ("2026-04-31 09:00", "April 2026 has 30 days"),
        ("2026-13-01 09:00", "no month 13"),
        ("2026-00-10 09:00", "no month 00"),
        ("2026-03-00 09:00", "day 00 does not exist"),
        ("2026-03-08 24:00", "00:00 to 23:59"),
        ("2026-03-08 09:60", "00:00 to 23:59"),
    ],
)
def test_impossible_dates_and_times(text: str, why: str) -> None:
    with pytest.raises(TimeError, match=why):
        parse_wall(text)


def test_parse_wall_is_naive() -> None:
    assert parse_wall("2026-02-28 23:59") == datetime(2026, 2, 28, 23, 59)
    assert parse_wall("2028-02-29 00:00").tzinfo is None


def test_unknown_zone_says_how_to_fix_it() -> None:
    with pytest.raises(TimeError) as caught:
        resolve("2026-03-08 09:00", "Amercia/New_York")
    message = str(caught.value)
    assert 'unknown time zone "Amercia/New_York"' in message
    assert "use an IANA name such as America/New_York" in message
    assert 'did you mean "America/New_York"' in message


@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "../etc/passwd", "America", "EST5EDT/x"])
def test_other_unknown_zones(name: str) -> None:
    with pytest.raises(TimeError, match="unknown time zone"):
        load_zone(name)


def test_a_zone_in_the_wrong_case_gets_a_suggestion() -> None:
    with pytest.raises(TimeError, match='did you mean "Europe/Paris"'):
        load_zone("europe/paris")


def test_time_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_wall("nope")


# --- slots --------------------------------------------------------------------------------


def test_parse_slots() -> None:
    assert parse_slots("mon,wed,fri 09:00; sat 10:30") == [
        Slot(0, "09:00"),
        Slot(2, "09:00"),
        Slot(4, "09:00"),
        Slot(5, "10:30"),
    ]
    assert parse_slots("daily 09:00") == [Slot(day, "09:00") for day in range(7)]
    assert parse_slots("weekdays 08:15") == [Slot(day, "08:15") for day in range(5)]
    assert parse_slots("weekends 11:00") == [Slot(5, "11:00"), Slot(6, "11:00")]
    assert parse_slots("Monday 07:00 12:30") == [Slot(0, "07:00"), Slot(0, "12:30")]
    assert parse_slots("mon-wed 09:00") == [Slot(0, "09:00"), Slot(1, "09:00"), Slot(2, "09:00")]
    assert parse_slots("sat-mon 09:00") == [Slot(0, "09:00"), Slot(5, "09:00"), Slot(6, "09:00")]
    assert parse_slots("mon, wed 09:00,13:00") == [
        Slot(0, "09:00"),
        Slot(0, "13:00"),
        Slot(2, "09:00"),
        Slot(2, "13:00"),
    ]
    # Repeats collapse; new lines separate groups like ";".
    assert parse_slots("mon 09:00\nmon 09:00; monday 09:00;") == [Slot(0, "09:00")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no posting slots"),
        (" ; ", "no posting slots"),
        ("mnday 09:00", 'unknown day "mnday"'),
        ("mon-funday 09:00", 'unknown day range "mon-funday"'),
        ("mon", "has no time"),
        ("mon 9am", 'expected a time "HH:MM"'),
        ("daily 25:00", "00:00 to 23:59"),
        ("09:00 mon", "names no day"),
        ("mon 09:00 tue", 'expected a time "HH:MM"'),
    ],
)
def test_bad_slot_specs(spec: str, message: str) -> None:
    with pytest.raises(TimeError, match=message):
        parse_slots(spec)


def test_slot_validates_itself() -> None:
    with pytest.raises(TimeError, match="weekday"):
        Slot(7, "09:00")
    with pytest.raises(TimeError, match="HH:MM"):
        Slot(0, "9:00")


def test_09_00_stays_09_00_local_across_both_dst_changes() -> None:
    slots = parse_slots("daily 09:00")
    after = utc(2026, 3, 6, 0, 0)
    got = list(islice(next_slots(slots, NY, after), 4))
    assert [r.wall for r in got] == [
        "2026-03-06 09:00",
        "2026-03-07 09:00",
        "2026-03-08 09:00",
        "2026-03-09 09:00",
    ]
    assert [r.instant.hour for r in got] == [14, 14, 13, 13]  # EST, then EDT
    assert all(r.note is None for r in got)

    got = list(islice(next_slots(slots, NY, utc(2026, 10, 30, 0, 0)), 4))
    assert [r.wall[:10] for r in got] == ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]
    assert [r.instant.hour for r in got] == [13, 13, 14, 14]  # EDT, then EST
    for resolved in got:
        local = resolved.instant.astimezone(ZoneInfo(NY))
        assert (local.hour, local.minute) == (9, 0)


def test_a_slot_at_02_30_on_the_spring_forward_day() -> None:
    slots = parse_slots("sun 02:30")
    got = list(islice(next_slots(slots, NY, utc(2026, 3, 1, 8, 0)), 2))
    assert got[0].wall == "2026-03-08 02:30"
    assert got[0].instant == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
    assert got[0].note is not None and "does not exist" in got[0].note
    assert got[1].wall == "2026-03-15 02:30"
    assert got[1].instant == utc(2026, 3, 15, 6, 30)
    assert got[1].note is None


def test_slots_pushed_together_by_the_gap_come_out_once() -> None:
    slots = parse_slots("sun 02:30 03:30 09:00")
    got = list(islice(next_slots(slots, NY, utc(2026, 3, 8, 0, 0)), 3))
    assert [(r.wall, r.instant) for r in got] == [
        ("2026-03-08 03:30", utc(2026, 3, 8, 7, 30)),  # the one that exists, not the moved one
        ("2026-03-08 09:00", utc(2026, 3, 8, 13, 0)),
        ("2026-03-15 02:30", utc(2026, 3, 15, 6, 30)),
    ]


def test_strictly_after_and_in_order() -> None:
    slots = parse_slots("mon,wed,fri 09:00; sat 10:30")
    # Monday 2026-03-02 09:00 EST is 14:00 UTC: asking from exactly then skips it.
    got = list(islice(next_slots(slots, NY, utc(2026, 3, 2, 14, 0)), 4))
    assert [r.wall for r in got] == [
        "2026-03-04 09:00",
        "2026-03-06 09:00",
        "2026-03-07 10:30",
        "2026-03-09 09:00",
    ]
    one_minute_before = list(islice(next_slots(slots, NY, utc(2026, 3, 2, 13, 59)), 1))
    assert one_minute_before[0].wall == "2026-03-02 09:00"


def test_after_may_be_in_any_zone() -> None:
    tokyo = timezone(timedelta(hours=9))
    after = datetime(2026, 3, 2, 23, 0, tzinfo=tokyo)  # = 14:00 UTC, Monday 09:00 in New York
    [first] = islice(next_slots(parse_slots("mon,wed 09:00"), NY, after), 1)
    assert first.wall == "2026-03-04 09:00"


def test_taken_instants_are_skipped() -> None:
    slots = parse_slots("daily 09:00")
    taken = [utc(2026, 3, 6, 14, 0), datetime(2026, 3, 7, 9, 0, tzinfo=ZoneInfo(NY))]
    got = list(islice(next_slots(slots, NY, utc(2026, 3, 6, 0, 0), taken), 2))
    assert [r.wall for r in got] == ["2026-03-08 09:00", "2026-03-09 09:00"]


def test_naive_times_are_refused() -> None:
    with pytest.raises(TimeError, match="aware"):
        next(next_slots([Slot(0, "09:00")], NY, datetime(2026, 3, 1)))
    with pytest.raises(TimeError, match="aware"):
        next(next_slots([Slot(0, "09:00")], NY, utc(2026, 3, 1), [datetime(2026, 3, 2)]))


def test_no_slots_means_no_occurrences() -> None:
    assert list(next_slots([], NY, utc(2026, 3, 1))) == []


def test_unknown_zone_in_next_slots() -> None:
    with pytest.raises(TimeError, match="unknown time zone"):
        next(next_slots([Slot(0, "09:00")], "Nowhere/Land", utc(2026, 3, 1)))


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from([NY, "Europe/Paris", "Australia/Sydney", "Asia/Kolkata", "UTC"]),
)
def test_every_resolved_wall_time_reads_back_or_says_why(when: datetime, zone: str) -> None:
    wall = when.strftime("%Y-%m-%d %H:%M")
    resolved = resolve(wall, zone)
    local = resolved.instant.astimezone(ZoneInfo(zone))
    if resolved.note is None:
        assert local.strftime("%Y-%m-%d %H:%M") == wall
    else:
        # Moved forward, never back, and by at most the largest DST shift.
        naive = parse_wall(wall)
        assert timedelta(0) <= local.replace(tzinfo=None) - naive <= timedelta(hours=2)


@given(
    st.lists(
        st.builds(Slot, st.integers(0, 6), st.sampled_from(["00:00", "02:30", "09:00", "23:59"])),
        min_size=1,
        max_size=6,
    ),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
)
def test_next_slots_are_increasing_and_after(slots: list[Slot], when: datetime) -> None:
    after = when.replace(tzinfo=UTC)
    got = list(islice(next_slots(slots, NY, after), 10))
    instants = [r.instant for r in got]
    assert all(instant > after for instant in instants)
    assert instants == sorted(set(instants))
    weekdays = {slot.weekday for slot in slots}
    assert all(datetime.strptime(r.wall, "%Y-%m-%d %H:%M").weekday() in weekdays for r in got)
