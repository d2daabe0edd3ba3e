"""X on its fake: a 403 duplicate confirmed by reading the account, never mistaken for an
older thread's identical text."""

from __future__ import annotations

import pytest
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
    UnknownOutcome,
)

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


