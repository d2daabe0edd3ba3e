"""One contract for every publisher (outbox, X, Mastodon, Bluesky via the reference PDS), run
against servers that speak the networks' APIs (`fakes/networks.py`), in-process unless a test
is about sockets.

The same scenarios then run end to end: queued in a real store, published by the daemon, each
fault ending in its state (published / queued for later / needs_attention / failed with the
network's words), and every server holding each part exactly once.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.base import FakeClock
from fakes.networks import (
    ALTS,
    NETWORKS,
    SINGLE_POST,
    SLOW,
    START,
    Net,
    Run,
    _png,
    assert_each_part_once,
    jpeg,
    make_bluesky,
    make_facebook,
    make_instagram,
    make_linkedin,
    make_mastodon,
    make_threads,
    make_x,
    parts_of,
    publish_all,
    settle,
)
from fakes.pds import missing_tools
from fakes.x_server import XServer
from sqlalchemy import select
from support import Clock, Fleet, until_idle

from content.brand import Brand
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.publishers.base import (
    Found,
    OutgoingDelivery,
    OutgoingPart,
    Permanent,
    RateLimited,
    Transient,
)
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.queue import NewDelivery, NewImage, NewPart, NewPost, insert_posts

# ---- the contract ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [*NETWORKS, "outbox"])
def test_a_thread_goes_out_in_order_with_alt_text_and_the_disclaimer_last(
        name: str, net_factory: Callable[[str], Net], brand: Brand) -> None:
    net = net_factory(name)
    delivery = net.delivery(parts_of(net, brand))
    sent = publish_all(net, delivery)

    posts = net.posts()
    assert [p.text for p in posts] == [p.text for p in delivery.parts]
    assert [p.id for p in posts] == [s.remote_id for s in sent]
    assert [p.parent for p in posts] == [None] + [s.remote_id for s in sent[:-1]]
    assert posts[0].alts == ALTS
    assert all(p.alts == () for p in posts[1:])
    assert brand.disclaimer in posts[-1].text
    assert all(brand.disclaimer not in p.text for p in posts[:-1])
    # Reconcile finds every part where it is.
    for part, where in zip(delivery.parts, sent, strict=True):
        found = net.lookup(delivery, part)
        assert found.found is Found.YES, found.detail
        assert found.sent is not None and found.sent.remote_id == where.remote_id


def test_a_5xx_before_storing_is_retried_later_and_nothing_lands(
        net: Net, brand: Brand) -> None:
    assert net.server is not None
    delivery = net.delivery(parts_of(net, brand))
    net.server.error(503, path=net.create_path)
    with pytest.raises(Transient) as raised:
        net.send(delivery, delivery.parts[0], None)
    assert raised.value.sent  # it went out: the daemon looks before sending again
    assert "503" in str(raised.value)
    assert net.posts() == []
    absent = Found.NO if net.proves_absence else Found.UNKNOWN
    assert net.lookup(delivery, delivery.parts[0]).found is absent

    sent = net.send(delivery, delivery.parts[0], None)
    assert [p.id for p in net.posts()] == [sent.remote_id]


def test_a_dropped_answer_is_found_by_lookup_and_never_sent_twice(
        sockets: bool, net: Net, brand: Brand) -> None:
    assert net.server is not None
    delivery = net.delivery(parts_of(net, brand))
    if len(delivery.parts) == 1:  # a network of single posts: the drop on its one part
        net.server.drop_after_store(path=net.create_path)
        only = settle(net, delivery, delivery.parts[0], None)
        again = net.send(delivery, delivery.parts[0], None)
        assert again.remote_id == only.remote_id
        assert [p.id for p in net.posts()] == [only.remote_id]
        return
    first = net.send(delivery, delivery.parts[0], None)
    net.server.drop_after_store(path=net.create_path)
    second = settle(net, delivery, delivery.parts[1], first)
    assert [p.id for p in net.posts()] == [first.remote_id, second.remote_id]

    # Even a blind resend (no lookup) does not make a second copy: X refuses the duplicate
    # and finds the original, Mastodon honours the Idempotency-Key, Bluesky's record key is
    # taken, LinkedIn refuses the duplicate naming the original, a Meta container that reads
    # PUBLISHED is found instead of published again, Facebook refuses the duplicate and the
    # Page's feed has the original.
    again = net.send(delivery, delivery.parts[1], first)
    assert again.remote_id == second.remote_id
    third = net.send(delivery, delivery.parts[2], second)
    posts = net.posts()
    assert [p.id for p in posts] == [first.remote_id, second.remote_id, third.remote_id]
    assert [p.parent for p in posts] == [None, first.remote_id, second.remote_id]


def test_a_slow_answer_is_an_unknown_outcome_settled_by_lookup(
        sockets: bool, net: Net, brand: Brand) -> None:
    assert net.server is not None
    delivery = net.delivery(parts_of(net, brand))
    net.server.slow(SLOW, path=net.create_path, method="POST")
    sent = settle(net, delivery, delivery.parts[0], None)
    net.wait_stored()
    assert [p.id for p in net.posts()] == [sent.remote_id]


def test_a_refused_connection_was_not_sent(sockets: bool, net: Net, brand: Brand) -> None:
    assert net.server is not None
    delivery = net.delivery(parts_of(net, brand))
    with net.server.refusing(), pytest.raises(Transient) as raised:
        net.send(delivery, delivery.parts[0], None)
    assert raised.value.sent is False
    assert net.posts() == []
    sent = net.send(delivery, delivery.parts[0], None)
    assert [p.id for p in net.posts()] == [sent.remote_id]


def test_a_429_gives_the_networks_reset_time(net: Net, brand: Brand) -> None:
    assert net.server is not None
    delivery = net.delivery(parts_of(net, brand))
    reset = int(START.timestamp()) + 600
    net.server.rate_limit(reset, path=net.create_path)
    with pytest.raises(RateLimited) as raised:
        net.send(delivery, delivery.parts[0], None)
    assert raised.value.reset_at == net.reset_at(reset)
    assert net.posts() == []


LIMITS = {"x": 280, "mastodon": 500, "bluesky": 300, "linkedin": 3000, "threads": 500,
          "instagram": 2200, "facebook": 63206}


def test_too_long_is_permanent_in_the_networks_words(net: Net, brand: Brand) -> None:
    limit = LIMITS[net.name]
    images = (jpeg((1, 2, 3), "alt"),) if net.needs_image else ()
    delivery = net.delivery((OutgoingPart(0, "a" * (limit + 1), images),))
    with pytest.raises(Permanent) as raised:
        net.send(delivery, delivery.parts[0], None)
    assert net.too_long_words in str(raised.value)
    assert net.posts() == []


def test_a_rejected_image_upload_is_not_a_sent_post(net: Net, brand: Brand) -> None:
    assert net.server is not None
    upload = {"x": "/2/media/upload", "mastodon": "/api/v2/media",
              "bluesky": "/xrpc/com.atproto.repo.uploadBlob",
              "linkedin": "/rest/images"}.get(net.name) or net.extra["upload"]
    delivery = net.delivery(parts_of(net, brand))
    net.server.error(503, path=upload)
    with pytest.raises(Transient) as raised:
        net.send(delivery, delivery.parts[0], None)
    assert raised.value.sent is False  # the post itself was never asked for
    assert net.posts() == []


@pytest.mark.parametrize("name, timeline", [("x", "/2/users/*/tweets"),
                                            ("mastodon", "/api/v1/accounts/*/statuses"),
                                            ("linkedin", "/rest/posts")])
def test_a_lookup_the_account_may_not_make_is_left_to_the_author(
        name: str, timeline: str, net_factory: Callable[[str], Net], brand: Brand) -> None:
    net = net_factory(name)
    assert net.server is not None
    delivery = net.delivery(parts_of(net, brand))
    net.send(delivery, delivery.parts[0], None)
    net.server.error(403, path=timeline, method="GET", times=None)  # e.g. X's free tier
    found = net.lookup(delivery, delivery.parts[0])
    assert found.found is Found.UNKNOWN and "cannot read" in found.detail


def test_daemon_publishes_the_thread_once(run: Run) -> None:
    assert run.publish() == ["published"]
    assert run.row().status == "published"
    assert_each_part_once(run)


def test_daemon_a_dropped_answer_is_reconciled_and_published_once(sockets: bool, run: Run) -> None:
    assert run.net.server is not None
    run.net.server.drop_after_store(path=run.net.create_path)
    assert run.publish() == ["published"]
    assert_each_part_once(run)


def test_daemon_a_5xx_is_retried_later_and_published_once(run: Run) -> None:
    assert run.net.server is not None
    create = run.net.create_path
    run.net.server.error(503, path=create)
    if not run.net.proves_absence:  # its feed cannot show the part is not there: ask
        assert run.publish() == ["needs_attention"]
        assert run.net.posts() == []
        return
    assert run.publish() == ["retry"]
    row = run.row()
    assert (row.status, row.reconcile, row.attempts) == ("queued", True, 1)
    assert row.next_attempt_at > START and row.last_error and "503" in row.last_error
    assert run.net.posts() == []

    run.clock.advance(hours=2)
    assert run.publish() == ["published"]
    assert_each_part_once(run)


def test_daemon_a_429_waits_for_the_reset(run: Run) -> None:
    assert run.net.server is not None
    reset = int(START.timestamp()) + 900
    run.net.server.rate_limit(reset, path=run.net.create_path)
    assert run.publish() == ["rate_limited"]
    row = run.row()
    assert (row.status, row.attempts) == ("queued", 0)
    assert row.next_attempt_at == run.net.reset_at(reset)
    run.clock.now = row.next_attempt_at
    assert run.publish() == ["published"]
    assert_each_part_once(run)


def test_daemon_a_refused_connection_backs_off_without_reconcile(sockets: bool, run: Run) -> None:
    assert run.net.server is not None
    with run.net.server.refusing():
        assert run.publish() == ["retry"]
    row = run.row()
    assert (row.status, row.reconcile) == ("queued", False)
    run.clock.advance(hours=2)
    assert run.publish() == ["published"]
    assert_each_part_once(run)


def test_daemon_too_long_fails_in_the_networks_words(net: Net, tmp_path: Path) -> None:
    limit = LIMITS[net.name]
    store = Store.open(f"sqlite:///{tmp_path / 'long.db'}")
    image = jpeg((1, 2, 3), "alt")
    images = (NewImage(image.data, "JPEG", image.width, image.height, image.alt),) \
        if net.needs_image else ()
    post = NewPost("long.md", (NewDelivery(net.name, net.account, net.name, START,
                                           (NewPart(0, "a" * (limit + 1), {}, images),)),))
    (delivery_id,) = store.write(lambda conn: insert_posts(conn, [post], START))
    outcome = Run(net, store, delivery_id, Clock(START)).publish()
    assert outcome == ["failed"]
    (row,) = q.list_deliveries(store, ids=[delivery_id])
    assert row.status == "failed" and row.last_error and net.too_long_words in row.last_error
    assert net.posts() == []
    store.close()


# A token that stopped working, as each network answers it (the Graph API's code 190 comes
# with a 400; the others answer 401).
_GRAPH_190 = (400, {"error": {"message": "Error validating access token: Session has expired",
                               "type": "OAuthException", "code": 190, "fbtrace_id": "Atoken"}})
TOKEN_REFUSED: dict[str, tuple[int, object]] = {
    "x": (401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                "detail": "Unauthorized"}),
    "mastodon": (401, {"error": "The access token was revoked"}),
    "linkedin": (401, {"status": 401, "serviceErrorCode": 65601, "code": "EXPIRED_ACCESS_TOKEN",
                       "message": "The token used in the request has expired"}),
    "threads": _GRAPH_190, "instagram": _GRAPH_190, "facebook": _GRAPH_190,
}


def test_daemon_a_dead_token_waits_for_the_author_not_failed(net: Net, brand: Brand,
                                                             tmp_path: Path) -> None:
    """Nothing went out and nothing can until she reconnects: the delivery needs attention,
    with the network's words and the way out, instead of failing (a retry then resumes)."""
    if net.name not in TOKEN_REFUSED:
        pytest.skip("the reference PDS renews its own session; its refusal is a login")
    assert net.server is not None
    status, body = TOKEN_REFUSED[net.name]
    store = Store.open(f"sqlite:///{tmp_path / 'token.db'}")
    parts = tuple(NewPart(p.index, p.text, {}, tuple(
        NewImage(i.data, i.format, i.width, i.height, i.alt) for i in p.images))
        for p in parts_of(net, brand))
    post = NewPost("token.md", (NewDelivery(net.name, net.account, net.name, START, parts),))
    (delivery_id,) = store.write(lambda conn: insert_posts(conn, [post], START))
    net.server.error(status, times=None, body=body)
    assert Run(net, store, delivery_id, Clock(START)).publish() == ["needs_attention"]
    (row,) = q.list_deliveries(store, ids=[delivery_id])
    assert row.status == "needs_attention" and row.last_error
    assert "reconnect" in row.last_error and "crier queue retry" in row.last_error
    assert net.posts() == []
    store.close()


def test_daemon_an_undecidable_part_needs_the_author(sockets: bool, run: Run) -> None:
    """X: refused as a duplicate but out of sight; Bluesky: its record key holds another text;
    LinkedIn: its lookup may not read the posts; Mastodon: its lookup cannot be made (so it is
    retried later, looking first)."""
    net = run.net
    first = OutgoingDelivery(run.delivery_id, net.name, net.account,
                             parts_of(net, load_brand(PROJECT_ROOT / "brand.toml")),
                             run.store.store_id, "a", scheduled_at=run.row().due_at)
    if net.name == "x":
        server: XServer = net.extra["server"]
        server.seed_tweet(first.parts[0].text)
        for n in range(210):
            server.seed_tweet(f"later post {n}")
    elif net.name == "bluesky":
        squat = OutgoingPart(0, "another text at the same record key")
        net.send(first, squat, None)
    elif net.name == "linkedin":  # a token without r_member_social may not read its posts
        assert net.server is not None
        net.server.drop_after_store(path=net.create_path)
        net.server.error(403, path=net.create_path, method="GET", times=None)
    elif "listing" in net.extra:  # Meta: the post went out, and its listing cannot be read
        assert net.server is not None
        net.server.drop_after_store(path=net.create_path)
        net.server.error(403, path=net.extra["listing"], method="GET", times=None)
    else:
        assert net.server is not None
        net.server.drop_after_store(path=net.create_path)
        net.server.error(503, path="/api/v1/accounts/*", method="GET")
    outcome = run.publish()
    row = run.row()
    if net.name == "mastodon":
        assert outcome == ["retry"] and row.reconcile
        run.clock.advance(hours=2)
        assert run.publish() == ["published"]
        assert_each_part_once(run)
        return
    assert outcome == ["needs_attention"]
    assert row.status == "needs_attention" and row.last_error
    assert "part 1" in row.last_error


# ---- the crash test, once more, with these publishers and their servers ---------------------

@pytest.mark.slow
def test_kill_9_daemons_publishing_to_the_servers_each_part_lands_once(
        request: pytest.FixtureRequest, fake_clock: FakeClock, tmp_path: Path) -> None:
    """`crier run` daemons publish to the X, Mastodon and LinkedIn fakes and the reference PDS
    (when node is here); every post request is answered 0.3 s after the server stored it, and
    the daemon holding a delivery is killed -9 inside that window, the worst moment. Each killed
    daemon is replaced; its delivery comes back after the lease and is reconciled with the
    network."""

    from scheduler.publishers import route
    from scheduler.store.schema import deliveries

    with contextlib.ExitStack() as stack:
        nets = [make_x(stack, fake_clock, tmp_path, sockets=True),
                make_mastodon(stack, fake_clock, tmp_path, sockets=True),
                make_linkedin(stack, fake_clock, tmp_path, sockets=True),
                make_threads(stack, fake_clock, tmp_path, sockets=True),
                make_instagram(stack, fake_clock, tmp_path, sockets=True),
                make_facebook(stack, fake_clock, tmp_path, sockets=True)]
        if not missing_tools():
            nets.append(make_bluesky(stack, request.getfixturevalue("pds"), tmp_path,
                                     sockets=True))
        db_url = f"sqlite:///{tmp_path / 'crier.db'}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CRIER_", "X_", "BLUESKY_", "MASTODON_", "LINKEDIN_",
                                    "THREADS_", "INSTAGRAM_", "FACEBOOK_"))}
        for net in nets:
            env.update(net.env)
            assert net.server is not None
            net.server.slow(0.3, path=net.create_path, method="POST", times=None)
        env.update({"CRIER_DATABASE_URL": db_url, "CRIER_HTTP_TIMEOUT": "20",
                    "CRIER_LEASE_SECONDS": "3", "CRIER_POLL_SECONDS": "0.2",
                    "CRIER_WORKERS": "4", "CRIER_OUTBOX_DIR": str(tmp_path / "outbox")})

        store = Store.open(db_url)
        stack.callback(store.close)
        posts = []
        for net in nets:
            account = route(net.name, Settings.from_env(env)).account
            for d in range(3):
                count = 1 if net.name in SINGLE_POST else 1 + d
                photo = jpeg((d, 40, 60), f"alt {d}")
                image = (NewImage(photo.data, "JPEG", photo.width, photo.height, photo.alt)
                         if net.name == "instagram" else NewImage(*_png(), "PNG", 160, 90,
                                                                  f"alt {d}"))
                parts = tuple(NewPart(i, f"crash {net.name} {d}: part {i + 1} of {count}", {},
                                      (image,) if i == 0 else ()) for i in range(count))
                posts.append(NewPost(f"crash-{d}.md", (NewDelivery(
                    net.name, account, net.name, datetime.now(UTC) - timedelta(seconds=1),
                    parts),)))
        store.write(lambda conn: insert_posts(conn, posts, datetime.now(UTC)))
        total = len(posts)

        fleet = Fleet(env, tmp_path)
        stack.callback(fleet.kill_all)
        fleet.start()
        seen: set[int] = set()
        per_net: Counter[str] = Counter()
        # A hang guard, not a speed limit: give up only after 120 s with nothing published.
        kills, deadline, published = 0, time.monotonic() + 120, 0
        while (now_published := q.counts(store).get("published", 0)) < total:
            if now_published != published:
                deadline, published = time.monotonic() + 120, now_published
            assert time.monotonic() < deadline, q.counts(store)
            fleet.check()
            for net in nets:
                assert net.server is not None
                waiting = [r for r in net.server.requests_to("POST", net.create_path)
                           if r.handled and r.status is None and id(r) not in seen]
                if not waiting or per_net[net.name] >= 2:  # every network gets its kills
                    continue
                seen.update(id(r) for r in waiting)
                owner = store.read(lambda conn, name=net.name: conn.execute(
                    select(deliveries.c.lease_owner).where(
                        deliveries.c.platform == name, deliveries.c.status == "publishing")
                ).scalar())
                pid = re.search(r":(\d+):[0-9a-f]+$", owner or "")
                slot = fleet.slot_of(int(pid.group(1))) if pid else None
                if slot is not None:
                    fleet.kill(slot)
                    kills += 1
                    per_net[net.name] += 1
            time.sleep(0.02)
        fleet.stop()
        final = until_idle(env, tmp_path)
        assert final.returncode == 0, final.stderr

        assert kills >= 2, "hardly any daemon was killed in a send window: the run proves little"
        for net in nets:
            held = Counter(p.text for p in net.posts())
            wanted = {part.text for post in posts for d in post.deliveries
                      if d.platform == net.name for part in d.parts}
            assert {t: n for t, n in held.items() if n > 1} == {}, f"{net.name}: duplicates"
            assert set(held) == wanted, f"{net.name}: missing {wanted - set(held)}"
        assert q.counts(store) == {"published": total}
        recovered = fleet.log_count("already on the network")
        print(f"\ncrash with real publishers: {total} deliveries, {kills} kills in the send "
              f"window ({dict(per_net)}), {recovered} parts found already sent by reconcile, "
              "no duplicate")


