"""What only the Facebook Page publisher does: text to the feed, one photo uploaded with its
caption, several uploaded unpublished and attached to one post, the Page's own first comment,
the duplicate refusal read as a sign the post landed, and a reconcile that cannot prove
absence."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.base import FakeClock, parse_multipart
from fakes.networks import ALTS, Net, jpeg, make_facebook
from fakes.networks import meta_server_of as server_of

from scheduler.publishers.base import Found, OutgoingDelivery, OutgoingPart


@pytest.fixture
def net(fake_clock: FakeClock, tmp_path: Path) -> Iterator[Net]:
    with contextlib.ExitStack() as stack:
        yield make_facebook(stack, fake_clock, tmp_path)


def post(text: str, *images: object, **payload: object) -> OutgoingDelivery:
    part = OutgoingPart(0, text, tuple(images), dict(payload))  # type: ignore[arg-type]
    return OutgoingDelivery(5, "facebook", "facebook:page", (part,), uuid.uuid4().hex, "a")


def test_text_goes_to_the_feed(net: Net) -> None:
    server = server_of(net)
    delivery = post("Words only")
    sent = net.send(delivery, delivery.parts[0], None)
    assert [(p.id, p.text) for p in server.live_posts()] == [(sent.remote_id, "Words only")]
    assert server.requests_to("POST", f"/{server.account_id}/photos") == []


def test_one_photo_is_uploaded_with_its_caption_and_alt_text(net: Net) -> None:
    server = server_of(net)
    photo = jpeg((1, 2, 3), ALTS[0])
    delivery = post("A photo post", photo)
    sent = net.send(delivery, delivery.parts[0], None)
    (upload,) = server.requests_to("POST", f"/{server.account_id}/photos")
    fields = {p.name: p for p in parse_multipart(upload.headers["content-type"], upload.body)}
    assert fields["source"].data == photo.data  # the bytes themselves: no public address
    assert fields["caption"].text == "A photo post"
    assert fields["alt_text_custom"].text == ALTS[0]
    assert "published" not in fields
    (live,) = server.live_posts()
    assert (live.id, live.alts) == (sent.remote_id, (ALTS[0],))


def test_several_photos_are_uploaded_unpublished_and_attached_to_one_post(net: Net) -> None:
    server = server_of(net)
    delivery = post("Two photos", jpeg((1, 2, 3), ALTS[0]), jpeg((4, 5, 6), ALTS[1]))
    sent = net.send(delivery, delivery.parts[0], None)
    assert [p.published for p in server.photos.values()] == [False, False]
    assert all(p.attached for p in server.photos.values())
    (live,) = server.live_posts()
    assert (live.id, live.text, live.alts) == (sent.remote_id, "Two photos", ALTS)


def test_the_page_comments_the_link_under_its_post(net: Net) -> None:
    server = server_of(net)
    delivery = post("See below", first_comment="https://www.example.com/post/glutamate")
    net.send(delivery, delivery.parts[0], None)
    assert server.live_posts()[0].comments == ["https://www.example.com/post/glutamate"]


def test_a_resend_refused_as_a_duplicate_is_the_post_that_landed(net: Net) -> None:
    server = server_of(net)
    delivery = post("Said once")
    sent = net.send(delivery, delivery.parts[0], None)
    again = net.publisher.publish_part(delivery, delivery.parts[0], None)
    assert again == sent and len(server.live_posts()) == 1
    assert server.requests_to("POST", f"/{server.account_id}/feed")[-1].status == 400


def test_not_found_in_the_ranked_feed_is_left_to_the_author(net: Net) -> None:
    delivery = post("Never sent")
    found = net.lookup(delivery, delivery.parts[0])
    assert found.found is Found.UNKNOWN and "ranked" in found.detail
    net.send(delivery, delivery.parts[0], None)
    assert net.lookup(delivery, delivery.parts[0]).found is Found.YES


def test_the_account_check_names_the_page(net: Net) -> None:
    status = net.publisher.check_account()
    assert status.ok and "Dr. Crier" in status.detail and status.expires_at is None
