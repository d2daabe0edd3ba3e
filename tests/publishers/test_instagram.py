"""What only the Instagram publisher does: JPEG at a shape Instagram takes, an image on every
post, carousels, the quota Instagram reports, and the link's first comment."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.base import FakeClock
from fakes.networks import ALTS, START, Net, image, jpeg, make_instagram
from fakes.networks import meta_server_of as server_of

from scheduler.publishers.base import (
    Found,
    OutgoingDelivery,
    OutgoingPart,
    Permanent,
    RateLimited,
)


@pytest.fixture
def net(fake_clock: FakeClock, tmp_path: Path) -> Iterator[Net]:
    with contextlib.ExitStack() as stack:
        yield make_instagram(stack, fake_clock, tmp_path)


def post(text: str, *images: object, **payload: object) -> OutgoingDelivery:
    part = OutgoingPart(0, text, tuple(images), dict(payload))  # type: ignore[arg-type]
    return OutgoingDelivery(3, "instagram", "instagram:me", (part,), uuid.uuid4().hex, "a")


def test_a_carousel_has_its_children_their_alt_texts_and_one_caption(net: Net) -> None:
    server = server_of(net)
    delivery = post("Caption #Psychiatry", jpeg((1, 2, 3), ALTS[0]), jpeg((4, 5, 6), ALTS[1]))
    sent = net.send(delivery, delivery.parts[0], None)
    (live,) = server.live_posts()
    assert (live.id, live.text, live.alts) == (sent.remote_id, "Caption #Psychiatry", ALTS)
    containers = list(server.containers.values())
    assert [c.media_type for c in containers] == ["IMAGE", "IMAGE", "CAROUSEL"]
    assert [c.text for c in containers] == ["", "", "Caption #Psychiatry"]  # none on children
    assert len(server.fetched) == 2


def test_png_and_a_shape_instagram_refuses_fail_in_its_words(net: Net) -> None:
    png = post("A PNG", image((1, 2, 3), "alt", size=(400, 400)))
    with pytest.raises(Permanent) as raised:
        net.send(png, png.parts[0], None)
    assert "only JPEG" in str(raised.value)
    wide = post("Too wide", jpeg((1, 2, 3), "alt", size=(800, 400)))
    with pytest.raises(Permanent) as raised:
        net.send(wide, wide.parts[0], None)
    assert "2207009" in str(raised.value) and "aspect ratio" in str(raised.value)
    assert server_of(net).live_posts() == []


def test_a_post_without_an_image_is_refused_before_any_request(net: Net) -> None:
    bare = post("Only words")
    with pytest.raises(Permanent) as raised:
        net.send(bare, bare.parts[0], None)
    assert "needs an image" in str(raised.value)
    assert server_of(net).requests_to("POST") == []


def test_the_quota_is_what_instagram_reports(net: Net) -> None:
    server = server_of(net)
    server.quota_total = 2  # neither 50 nor 100: the publisher must read it
    for n in range(2):
        done = post(f"post {n}", jpeg((n, 0, 0), "alt"))
        net.send(done, done.parts[0], None)
    third = post("post 2", jpeg((9, 0, 0), "alt"))
    with pytest.raises(RateLimited) as raised:
        net.send(third, third.parts[0], None)
    assert "2 of its 2 posts" in str(raised.value)
    assert raised.value.reset_at == START + timedelta(hours=1)
    assert len(server.requests_to("GET", f"/{server.account_id}/content_publishing_limit")) == 3


def test_the_link_goes_in_a_first_comment_and_its_failure_never_resends_the_post(
        net: Net, caplog: pytest.LogCaptureFixture) -> None:
    server = server_of(net)
    link = "https://www.example.com/post/glutamate"
    first = post("With the link below", jpeg((1, 1, 1), "alt"), first_comment=link)
    net.send(first, first.parts[0], None)
    assert server.live_posts()[0].comments == [link]

    server.error(500, path="/*/comments", method="POST")
    second = post("Its comment fails", jpeg((2, 2, 2), "alt"), first_comment=link)
    sent = net.send(second, second.parts[0], None)
    assert [p.id for p in server.live_posts()][-1] == sent.remote_id
    assert len(server.live_posts()) == 2 and server.live_posts()[1].comments == []
    assert "first comment failed" in caplog.text


def test_the_token_is_renewed_with_instagrams_grant(net: Net) -> None:
    server = server_of(net)
    assert net.publisher.refresh_token(START) is None
    assert net.publisher.refresh_token(START + timedelta(days=1)) is not None
    (renewal,) = server.requests_to("GET", "/refresh_access_token")
    assert renewal.query["grant_type"] == ["ig_refresh_token"]
    assert "access_token" not in renewal.query  # the token travels in a header


def test_a_container_that_cannot_be_read_leaves_reconcile_to_the_author(
        net: Net, fake_clock: FakeClock) -> None:
    delivery = post("Out of sight", jpeg((3, 3, 3), "alt"))
    net.send(delivery, delivery.parts[0], None)
    fake_clock.advance(61 * 86400)  # the token has expired since
    found = net.lookup(delivery, delivery.parts[0])
    assert found.found is Found.UNKNOWN and "cannot read its container" in found.detail
