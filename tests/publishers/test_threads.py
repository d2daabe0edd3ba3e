"""What only the Threads publisher does (and, through it, the Graph family's shared flow): the
container polled until FINISHED before it is published, new containers for expired or failed
ones, the quotas, the Graph error codes, the media host, and the token that is renewed and kept.
"""

from __future__ import annotations

import contextlib
import json
import stat
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from fakes.base import FakeClock
from fakes.meta_server import MetaServer
from fakes.networks import START, Net, image, make_threads
from fakes.networks import meta_server_of as server_of

from scheduler.publishers.base import (
    Found,
    OutgoingDelivery,
    OutgoingPart,
    Pending,
    Permanent,
    RateLimited,
    Sent,
    Transient,
)
from scheduler.publishers.threads import ThreadsPublisher
from scheduler.settings import Settings


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as stack:
        yield stack


@pytest.fixture
def slow_net(stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> Net:
    """Threads whose containers take 30 s of the fake clock to process."""
    return make_threads(stack, fake_clock, tmp_path, processing_seconds=30)


def one(text: str = "A post about glutamate.", *images: object) -> OutgoingDelivery:
    part = OutgoingPart(0, text, tuple(images))  # type: ignore[arg-type]
    return OutgoingDelivery(7, "threads", "threads:me", (part,), uuid.uuid4().hex, "attempt-1")


def again(part: OutgoingPart, pending: Sent | Pending) -> OutgoingPart:
    assert isinstance(pending, Pending), pending
    return replace(part, checkpoint=pending.checkpoint)


def test_a_container_is_polled_until_finished_and_only_then_published(
        slow_net: Net, fake_clock: FakeClock) -> None:
    server = server_of(slow_net)
    delivery = one()
    part = delivery.parts[0]
    created = slow_net.publisher.publish_part(delivery, part, None)
    assert isinstance(created, Pending) and created.checkpoint["container"]
    assert server.requests_to("POST", server.create_path) == []  # committed before publishing

    still = slow_net.publisher.publish_part(delivery, again(part, created), None)
    assert isinstance(still, Pending)
    assert still.retry_at == START + timedelta(seconds=10)  # the first wait is short
    fake_clock.advance(10)
    later = slow_net.publisher.publish_part(delivery, again(part, still), None)
    assert isinstance(later, Pending) and later.retry_at == START + timedelta(seconds=40)
    assert server.requests_to("POST", server.create_path) == []
    assert len(server.requests_to("GET", f"/{created.checkpoint['container']}")) == 2

    fake_clock.advance(30)
    sent = slow_net.publisher.publish_part(delivery, again(part, later), None)
    assert isinstance(sent, Sent)
    assert [p.id for p in server.live_posts()] == [sent.remote_id]
    assert sent.remote_id != created.checkpoint["container"]  # the post has an id of its own


def test_not_ready_at_publish_is_polled_again_not_a_failure(slow_net: Net,
                                                            fake_clock: FakeClock) -> None:
    server = server_of(slow_net)
    delivery = one()
    part = delivery.parts[0]
    created = slow_net.publisher.publish_part(delivery, part, None)
    fake_clock.advance(60)
    server.error(400, path=server.create_path, body={"error": {
        "message": "Media Not Found", "type": "OAuthException", "code": 24,
        "error_subcode": 4279009, "fbtrace_id": "Arace"}})
    waiting = slow_net.publisher.publish_part(delivery, again(part, created), None)
    assert isinstance(waiting, Pending)
    assert waiting.checkpoint["container"] == created.checkpoint["container"]
    sent = slow_net.publisher.publish_part(delivery, again(part, waiting), None)
    assert isinstance(sent, Sent) and len(server.live_posts()) == 1


def test_an_expired_container_is_made_anew(fake_clock: FakeClock, stack: contextlib.ExitStack,
                                           tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    delivery = one()
    part = delivery.parts[0]
    created = net.publisher.publish_part(delivery, part, None)
    fake_clock.advance(25 * 3600)  # the daemon was down for a day
    fresh = net.publisher.publish_part(delivery, again(part, created), None)
    assert isinstance(fresh, Pending) and isinstance(created, Pending)
    assert fresh.checkpoint["container"] != created.checkpoint["container"]
    assert fresh.checkpoint["remade"] == 1
    sent = net.publisher.publish_part(delivery, again(part, fresh), None)
    assert isinstance(sent, Sent) and len(server.live_posts()) == 1


def test_a_container_that_keeps_failing_ends_permanent_and_nothing_is_published(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    server.processing_failures = 10
    delivery = one()
    part = delivery.parts[0]
    result = net.publisher.publish_part(delivery, part, None)
    with pytest.raises(Permanent) as raised:
        for _ in range(5):
            result = net.publisher.publish_part(delivery, again(part, result), None)
    assert "ERROR" in str(raised.value) and "nothing was published" in str(raised.value)
    assert len(server.requests_to("POST", server.container_path)) == 3  # made twice more
    assert server.live_posts() == []


def test_images_are_fetched_by_the_server_from_the_media_host_given_in_the_body(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    delivery = one("With a picture.", image((10, 20, 30), "A brain scan."))
    sent = net.send(delivery, delivery.parts[0], None)
    (create,) = server.requests_to("POST", server.container_path)
    fields = parse_qs(create.body.decode())
    assert create.query == {} and fields["media_type"] == ["IMAGE"]
    assert fields["image_url"][0].startswith(net.env["CRIER_MEDIA_BASE_URL"])
    assert server.fetched == fields["image_url"]  # Meta's fetcher got it over HTTP
    assert fields["alt_text"] == ["A brain scan."]
    assert [p.alts for p in server.live_posts()] == [("A brain scan.",)]
    assert sent.remote_id == server.live_posts()[0].id


def test_a_failed_fetch_is_retried_since_nothing_was_published(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    server.fetch_failures = 1
    delivery = one("With a picture.", image((10, 20, 30), "A brain scan."))
    with pytest.raises(Transient) as raised:
        net.send(delivery, delivery.parts[0], None)
    assert raised.value.sent is False and "2207052" in str(raised.value)
    net.send(delivery, delivery.parts[0], None)
    assert len(server.live_posts()) == 1


def test_text_needs_no_media_host_and_an_image_without_one_is_refused_by_name(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    server = stack.enter_context(MetaServer("threads", clock=fake_clock, processing_seconds=0))
    env = {"THREADS_USER_ID": server.account_id, "THREADS_ACCESS_TOKEN": server.token,
           "THREADS_API_URL": server.base_url, "CRIER_DATA_DIR": str(tmp_path)}
    publisher = ThreadsPublisher.from_settings(Settings.from_env(env))
    net = Net("threads", publisher, server, server.create_path, lambda: [], "")
    delivery = one()
    net.send(delivery, delivery.parts[0], None)
    assert len(server.live_posts()) == 1
    pictured = one("pic", image((1, 2, 3), "alt"))
    with pytest.raises(Permanent) as raised:
        net.send(pictured, pictured.parts[0], None)
    assert "CRIER_MEDIA_DIR" in str(raised.value) and "CRIER_MEDIA_S3_BUCKET" in str(raised.value)


def test_a_spent_quota_waits_instead_of_failing(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    server.quota_total = 1
    first, second = one("first"), one("second")
    net.send(first, first.parts[0], None)
    with pytest.raises(RateLimited) as raised:
        net.publisher.publish_part(second, second.parts[0], None)
    assert raised.value.reset_at == START + timedelta(hours=1)
    assert "1 of its 1 posts" in str(raised.value)
    assert len(server.requests_to("POST", server.container_path)) == 1  # nothing made for it


def test_graph_rate_limits_wait_as_the_usage_header_says(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    server.rate_limit(START.timestamp() + 17 * 60, path=server.container_path)
    with pytest.raises(RateLimited) as raised:
        net.send(one(), one().parts[0], None)
    assert raised.value.reset_at == START + timedelta(minutes=17)
    assert "code 4" in str(raised.value)


def test_an_expired_token_says_to_reconnect_naming_the_variable_not_the_token(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    fake_clock.advance(61 * 86400)
    with pytest.raises(Permanent) as raised:
        net.send(one(), one().parts[0], None)
    message = str(raised.value)
    assert "Session has expired" in message and "reconnect" in message
    assert "THREADS_ACCESS_TOKEN" in message and server.token not in message
    status = net.publisher.check_account()
    assert not status.ok and "190" in status.detail


def test_a_policy_block_fails_in_metas_words(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    server.error(400, path=server.container_path, body={"error": {
        "message": "(#368) The action attempted has been deemed abusive or is otherwise "
                   "disallowed", "type": "OAuthException", "code": 368, "fbtrace_id": "Ablk"}})
    with pytest.raises(Permanent) as raised:
        net.send(one(), one().parts[0], None)
    assert "deemed abusive" in str(raised.value) and "policy" in str(raised.value)


def test_reconcile_without_a_container_is_certain_and_a_published_one_out_of_sight_is_not(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    delivery = one()
    assert net.lookup(delivery, delivery.parts[0]).found is Found.NO
    net.send(delivery, delivery.parts[0], None)
    for post in server.posts:
        post.text = "edited since"  # no longer recognisable
    found = net.lookup(delivery, delivery.parts[0])
    assert found.found is Found.UNKNOWN and "published" in found.detail


def test_a_long_lived_token_is_renewed_once_a_day_old_and_kept_privately(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    publisher = net.publisher
    assert publisher.refresh_token(START) is None  # first seen now: its age is unknown
    assert server.requests_to("GET", "/refresh_access_token") == []
    assert publisher.refresh_token(START + timedelta(hours=23)) is None
    expires = publisher.refresh_token(START + timedelta(hours=25))
    assert expires == START + timedelta(hours=25, days=60)

    (kept,) = (tmp_path / "data").glob("threads-*-token.json")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    renewed = json.loads(kept.read_text())["token"]
    assert renewed in server.tokens and renewed != server.token
    net.send(one(), one().parts[0], None)
    assert server.requests[-1].headers["authorization"] == f"Bearer {renewed}"
    status = publisher.check_account()
    assert status.ok and "@dr.crier" in status.detail and status.expires_at == expires
    assert renewed not in status.detail

    # A renewal the next hour is refused by the rule (a day old), not tried.
    assert publisher.refresh_token(START + timedelta(hours=26)) is None
    # The author pastes a new token: hers is used, and the kept one no longer.
    pasted = server.add_token("threads-pasted-token").value
    fresh = ThreadsPublisher.from_settings(
        Settings.from_env({**net.env, "THREADS_ACCESS_TOKEN": pasted}),
        session=net.publisher.session)  # type: ignore[attr-defined]
    assert fresh.token == pasted
    assert fresh.check_account().expires_at is None


def test_the_server_refuses_to_renew_a_token_too_young(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    """The fake's own rule, so that the publisher's is checked against something."""
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    young = server.add_token("threads-young-token")
    publisher = ThreadsPublisher.from_settings(
        Settings.from_env({**net.env, "THREADS_ACCESS_TOKEN": young.value}),
        session=net.publisher.session)  # type: ignore[attr-defined]
    with pytest.raises(Permanent) as raised:
        publisher._exchange(young.value)
    assert "too new" in str(raised.value)
    assert datetime.fromtimestamp(young.issued_at, UTC) == START


def test_the_daemon_commits_the_container_and_publishes_when_it_comes_back(
        slow_net: Net, fake_clock: FakeClock, tmp_path: Path) -> None:
    """End to end through the store: the first claim ends pending with the container id in
    the part's checkpoint and no publish call made; the worker is free; later claims poll
    and publish the thread in order."""
    from support import Clock

    from scheduler.daemon import Daemon, DaemonConfig
    from scheduler.publishers import Registry
    from scheduler.store import Store
    from scheduler.store import queue as q
    from scheduler.store.queue import NewDelivery, NewPart, NewPost, insert_posts

    server = server_of(slow_net)
    store = Store.open(f"sqlite:///{tmp_path / 'crier.db'}")
    parts = (NewPart(0, "Part one of two. (1/2)"), NewPart(1, "Part two of two. (2/2)"))
    post = NewPost("t.md", (NewDelivery("threads", slow_net.account, "threads", START, parts),))
    (delivery_id,) = store.write(lambda conn: insert_posts(conn, [post], START))
    clock = Clock(START)
    daemon = Daemon(store, Registry(Settings(), overrides={"threads": slow_net.publisher}),
                    DaemonConfig(workers=1, owner="t"), clock=clock)

    def claim() -> list[str]:
        return [f.result(timeout=30) for f in daemon.claim(clock())]

    assert claim() == ["pending"]
    (first,) = store.read(lambda conn: conn.exec_driver_sql(
        "SELECT checkpoint FROM delivery_parts WHERE delivery_id = ? AND idx = 0",
        (delivery_id,)).all())
    assert json.loads(first[0])["container"] in server.containers
    assert server.requests_to("POST", server.create_path) == []
    outcomes: list[str] = []
    for _ in range(12):
        fake_clock.advance(10)
        clock.advance(seconds=10)
        outcomes += claim()
        if "published" in outcomes:
            break
    assert outcomes[-1] == "published" and set(outcomes[:-1]) <= {"pending"}
    posts = server.live_posts()
    assert [p.text for p in posts] == [p.text for p in parts]
    assert posts[1].reply_to == posts[0].id
    assert [p.remote_id for p in q.show(store, delivery_id).parts] == [p.id for p in posts]
    store.close()


def test_a_quota_with_room_to_spare_is_read_once_in_a_while(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    server = server_of(net)
    limit = f"/{server.account_id}/threads_publishing_limit"
    for n in range(3):
        delivery = one(f"post {n}")
        net.send(delivery, delivery.parts[0], None)
    assert len(server.requests_to("GET", limit)) == 1
    fake_clock.advance(11 * 60)  # the reading is old: read again
    delivery = one("post 3")
    net.send(delivery, delivery.parts[0], None)
    assert len(server.requests_to("GET", limit)) == 2


def test_a_half_set_media_host_fails_only_posts_with_images_naming_the_variable(
        stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path) -> None:
    net = make_threads(stack, fake_clock, tmp_path)
    env = {k: v for k, v in net.env.items() if k != "CRIER_MEDIA_BASE_URL"}
    publisher = ThreadsPublisher.from_settings(Settings.from_env(env),
                                               session=net.publisher.session)  # type: ignore[attr-defined]
    half = Net("threads", publisher, net.server, net.create_path, net.posts, "")
    text = one("Words only")
    half.send(text, text.parts[0], None)
    pictured = one("pic", image((1, 2, 3), "alt"))
    with pytest.raises(Permanent) as raised:
        half.send(pictured, pictured.parts[0], None)
    assert "CRIER_MEDIA_BASE_URL is not set" in str(raised.value)
    assert [p.text for p in server_of(net).live_posts()] == ["Words only"]


def test_the_fake_enforces_its_rules_on_its_own(fake_clock: FakeClock) -> None:
    """Raw requests, no publisher: the fake's refusals are its own, so the publishers' tests
    are checked against something."""
    import requests

    with MetaServer("threads", clock=fake_clock, processing_seconds=30) as server:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {server.token}"
        base = f"{server.base_url}/{server.account_id}"

        def error(answer: requests.Response) -> tuple[int, int | None]:
            body = answer.json()["error"]
            return body["code"], body.get("error_subcode")

        made = http.post(f"{base}/threads", data={"media_type": "TEXT", "text": "hi"}).json()
        early = http.post(f"{base}/threads_publish", data={"creation_id": made["id"]})
        assert early.status_code == 400 and error(early) == (24, 4279009)
        query = http.post(f"{base}/threads", params={"image_url": "http://x/y.png"},
                          data={"media_type": "IMAGE"})
        assert query.status_code == 400 and "query string" in query.text
        links = " ".join(f"https://example{n}.com" for n in range(6))
        six = http.post(f"{base}/threads", data={"media_type": "TEXT", "text": links})
        assert "THREADS_API__LINK_LIMIT_EXCEEDED" in six.text
        stranger = requests.get(f"{server.base_url}/me",
                                headers={"Authorization": "Bearer not-a-token"})
        assert error(stranger) == (190, None)
        fake_clock.advance(25 * 3600)
        late = http.post(f"{base}/threads_publish", data={"creation_id": made["id"]})
        assert error(late) == (100, 2207008)
        assert server.posts == []
