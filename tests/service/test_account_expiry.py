"""A token's expiry as `crier accounts check` and the desk show it: the author's zone, the whole
days left, and the day it passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.service.accounts import describe_expiry

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("left", "days", "words"), [
    (timedelta(days=59, hours=10), 59, "59 days left"),
    (timedelta(days=1, minutes=1), 1, "1 day left"),
    (timedelta(hours=23), 0, "less than a day left"),
    (timedelta(hours=-5), -1, "expired 2026-07-01 03:00 EDT, today"),
    (timedelta(days=-1, hours=-2), -2, "expired 2026-06-30 06:00 EDT, 1 day ago"),
    (timedelta(days=-3), -3, "3 days ago"),
])
def test_days_left_are_whole_days_and_the_time_is_the_authors(
        left: timedelta, days: int, words: str) -> None:
    got_days, got_words = describe_expiry(NOW + left, "America/New_York", NOW)
    assert got_days == days and words in got_words


def test_summer_and_winter_and_an_unknown_zone() -> None:
    assert describe_expiry(datetime(2026, 7, 30, tzinfo=UTC), "America/New_York", NOW)[1] \
        .startswith("2026-07-29 20:00 EDT")
    assert describe_expiry(datetime(2027, 1, 30, tzinfo=UTC), "America/New_York", NOW)[1] \
        .startswith("2027-01-29 19:00 EST")
    assert describe_expiry(datetime(2027, 1, 30, tzinfo=UTC), "Nowhere/Atlantis", NOW)[1] \
        .startswith("2027-01-30 00:00 UTC")
