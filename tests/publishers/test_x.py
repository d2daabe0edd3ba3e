"""X on its fake: a 403 duplicate confirmed by reading the account, never mistaken for an
older thread's identical text; a 429 from the daily cap waits for the daily reset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes.base import FakeClock
from fakes.networks import (
    Net,
    parts_of,
    publish_all,
)
from fakes.x_server import XServer

from content.brand import Brand
from scheduler.publishers.base import (
    Found,
    Permanent,
    RateLimited,
    UnknownOutcome,
)
from scheduler.publishers.x import daily_reset

# ---- X: duplicates --------------------------------------------------------------------------

def test_x_a_403_duplicate_on_a_blind_retry_is_already_live(
        sockets: bool, x_net: Net, brand: Brand) -> None:
    server: XServer = x_net.extra["server"]
    delivery = x_net.delivery(parts_of(x_net, brand))
    server.drop_after_store(path="/2/tweets")
    with pytest.raises(UnknownOutcome):
        x_net.publisher.publish_part(delivery, delivery.parts[0], None)
    # The retry without a lookup: X answers 403 duplicate; confirmed by reading the account.
    sent = x_net.publisher.publish_part(delivery, delivery.parts[0], None)
    assert [t.id for t in server.tweets] == [sent.remote_id]
    assert len(server.requests_to("POST", "/2/tweets")) == 2


def test_x_the_same_closing_text_in_an_older_thread_is_not_this_one(
        x_net: Net, brand: Brand) -> None:
    server: XServer = x_net.extra["server"]
    older = x_net.delivery(parts_of(x_net, brand, " (older)"), delivery_id=1)
    publish_all(x_net, older)
    newer = x_net.delivery(parts_of(x_net, brand, " (newer)"), delivery_id=2)
    first = x_net.publisher.publish_part(newer, newer.parts[0], None)
    second = x_net.publisher.publish_part(newer, newer.parts[1], first)
    third = x_net.publisher.publish_part(newer, newer.parts[2], second)
    # The closing part is word for word the older thread's: lookup must not take that one.
    assert x_net.publisher.lookup(newer, newer.parts[3]).found is Found.NO
    with pytest.raises(Permanent) as raised:
        x_net.publisher.publish_part(newer, newer.parts[3], third)
    assert "duplicate of an earlier post" in str(raised.value)
    assert len(server.tweets) == 7


def test_x_a_duplicate_out_of_sight_needs_the_author(x_net: Net, brand: Brand) -> None:
    server: XServer = x_net.extra["server"]
    delivery = x_net.delivery(parts_of(x_net, brand))
    server.seed_tweet(delivery.parts[0].text)
    for n in range(210):  # newer posts push it out of the 200 that reconcile reads
        server.seed_tweet(f"later post {n}")
    with pytest.raises(UnknownOutcome):
        x_net.publisher.publish_part(delivery, delivery.parts[0], None)
    found = x_net.publisher.lookup(delivery, delivery.parts[0])
    assert found.found is Found.UNKNOWN
    assert "duplicate" in found.detail


# ---- X: rate limits -------------------------------------------------------------------------

def test_x_a_429_from_the_daily_cap_waits_for_the_daily_reset(
        x_net: Net, brand: Brand, fake_clock: FakeClock) -> None:
    server: XServer = x_net.extra["server"]
    server.user_limit_24h = 2  # the free tier's kind of cap, small enough to reach
    delivery = x_net.delivery(parts_of(x_net, brand))
    start = fake_clock.now()
    first = x_net.publisher.publish_part(delivery, delivery.parts[0], None)
    fake_clock.advance(60)
    second = x_net.publisher.publish_part(delivery, delivery.parts[1], first)
    fake_clock.advance(60)
    with pytest.raises(RateLimited) as limited:
        x_net.publisher.publish_part(delivery, delivery.parts[2], second)
    # The answer named both: the 15-minute window (not exhausted) and the day's.
    assert limited.value.reset_at == datetime.fromtimestamp(start + 86400, UTC)
    assert "daily cap" in str(limited.value)
    assert len(server.tweets) == 2


def test_x_a_429_from_the_15_minute_window_keeps_its_own_reset(
        x_net: Net, brand: Brand, fake_clock: FakeClock) -> None:
    server: XServer = x_net.extra["server"]
    server.limits["POST /2/tweets"] = (1, 900)
    delivery = x_net.delivery(parts_of(x_net, brand))
    start = fake_clock.now()
    first = x_net.publisher.publish_part(delivery, delivery.parts[0], None)
    with pytest.raises(RateLimited) as limited:
        x_net.publisher.publish_part(delivery, delivery.parts[1], first)
    assert limited.value.reset_at == datetime.fromtimestamp(start + 900, UTC)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"x-user-limit-24hour-reset": "1800000000", "x-user-limit-24hour-remaining": "0",
      "x-app-limit-24hour-reset": "1800000500", "x-app-limit-24hour-remaining": "9000"},
     1800000000),
    ({"X-App-Limit-24hour-Reset": "1800000500", "X-App-Limit-24hour-Remaining": "0",
      "x-user-limit-24hour-reset": "1800000000", "x-user-limit-24hour-remaining": "0"},
     1800000500),
    ({"x-user-limit-24hour-reset": "1800000000"}, 1800000000),  # no count given
    ({"x-user-limit-24hour-reset": "1800000000", "x-user-limit-24hour-remaining": "3"}, None),
    ({"x-rate-limit-reset": "1800000000"}, None),
])
def test_x_daily_reset_reads_the_exhausted_cap(headers: dict[str, str],
                                               expected: int | None) -> None:
    found = daily_reset(headers)
    assert found == (None if expected is None else datetime.fromtimestamp(expected, UTC))
