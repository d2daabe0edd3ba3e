"""Mastodon on its fake: idempotency keys, visibility and content warning, the server's own
limits, and media still processing (a pending step)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.base import FakeClock
from fakes.mastodon_server import MastodonServer
from fakes.networks import (
    START,
    Net,
    _png,
    parts_of,
    publish_all,
)
from sqlalchemy import select
from support import Clock

from content.brand import Brand
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publishers import Registry
from scheduler.publishers.base import (
    OutgoingDelivery,
    OutgoingPart,
    Permanent,
)
from scheduler.publishers.mastodon import (
    MastodonPublisher,
    clear_instance_cache,
    idempotency_key,
    instance_limits,
)
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.queue import NewDelivery, NewImage, NewPart, NewPost, insert_posts
from scheduler.store.schema import delivery_parts

# ---- Mastodon: idempotency and the server's limits ------------------------------------------

def test_mastodon_idempotency_key_is_stable_per_part_and_unique() -> None:
    parts = (OutgoingPart(0, "a"), OutgoingPart(1, "b"))
    one = OutgoingDelivery(1, "mastodon", "m", parts, "store-a", "attempt-1")
    retry = OutgoingDelivery(1, "mastodon", "m", parts, "store-a", "attempt-2")
    other_store = OutgoingDelivery(1, "mastodon", "m", parts, "store-b", "attempt-1")
    keys = {idempotency_key(one, parts[0]), idempotency_key(one, parts[1]),
            idempotency_key(other_store, parts[0])}
    assert len(keys) == 3
    assert idempotency_key(retry, parts[0]) == idempotency_key(one, parts[0])


def test_mastodon_every_status_carries_its_key(net_factory: Callable[[str], Net],
                                               brand: Brand) -> None:
    net = net_factory("mastodon")
    server: MastodonServer = net.extra["server"]
    delivery = net.delivery(parts_of(net, brand))
    publish_all(net, delivery)
    sent_keys = [r.headers.get("idempotency-key")
                 for r in server.requests_to("POST", "/api/v1/statuses")]
    assert sent_keys == [idempotency_key(delivery, p) for p in delivery.parts]
    assert {s.visibility for s in server.statuses} == {"public"}


def test_mastodon_visibility_and_content_warning(fake_clock: FakeClock, tmp_path: Path) -> None:
    with MastodonServer(clock=fake_clock) as server:
        publisher = MastodonPublisher.from_settings(Settings.from_env({
            "MASTODON_BASE_URL": server.base_url, "MASTODON_ACCESS_TOKEN": server.account.token}))
        payload = {"visibility": "unlisted", "content_warning": "medicine"}
        delivery = OutgoingDelivery(1, "mastodon", "m", (OutgoingPart(0, "hello", (), payload),),
                                    "s", "a")
        publisher.publish_part(delivery, delivery.parts[0], None)
        (status,) = server.statuses
        assert (status.visibility, status.spoiler_text) == ("unlisted", "medicine")
    with pytest.raises(Permanent):
        MastodonPublisher.from_settings(Settings.from_env({"MASTODON_BASE_URL": "m.example",
                                                           "MASTODON_ACCESS_TOKEN": "t"}))


def test_mastodon_instance_limits_are_read_and_cached(fake_clock: FakeClock,
                                                      tmp_path: Path) -> None:
    from content.networks import ServerLimits, rules_for
    from scheduler.publishers import server_limits

    clear_instance_cache()
    with MastodonServer(clock=fake_clock, max_characters=1000, max_media_attachments=6,
                        description_limit=1000) as server:
        env = Settings.from_env({"MASTODON_BASE_URL": server.base_url,
                                 "CRIER_DATA_DIR": str(tmp_path)})
        limits = instance_limits(env, now=START)
        assert {k: limits[k] for k in ("limit", "url_length", "max_images", "alt_limit")} == {
            "limit": 1000, "url_length": 23, "max_images": 6, "alt_limit": 1000}
        rules = rules_for("mastodon").with_server(ServerLimits(**limits))
        assert rules.fits("é" * 1000) and not rules.fits("é" * 1001)
        assert instance_limits(env, now=START + timedelta(hours=1)) == limits
        assert len(server.requests_to("GET", "/api/v2/instance")) == 1  # from memory
        clear_instance_cache()
        assert instance_limits(env, now=START + timedelta(hours=2)) == limits
        assert len(server.requests_to("GET", "/api/v2/instance")) == 1  # from the file
        (cached,) = tmp_path.glob("mastodon-instance-*.json")
        assert json.loads(cached.read_text())["base_url"] == server.base_url
        clear_instance_cache()
        instance_limits(env, now=START + timedelta(hours=25))  # too old: asked again
        assert len(server.requests_to("GET", "/api/v2/instance")) == 2
        assert server_limits("mastodon", env) == limits  # the declaration's server_limits
        with server.refusing():
            clear_instance_cache()
            # The server is down: the last answer, however old, beats a guess.
            assert instance_limits(env, now=START + timedelta(days=30))["limit"] == 1000
    assert instance_limits(Settings(), now=START) == {}  # no server: the network's rules
    gone = Settings.from_env({"MASTODON_BASE_URL": server.base_url,
                              "CRIER_DATA_DIR": str(tmp_path / "none")})
    clear_instance_cache()
    assert instance_limits(gone, now=START) == {}  # nothing known: Mastodon's defaults
    assert server_limits("x", env) == {}  # X's limits are the same everywhere


def test_mastodon_media_still_processing_frees_the_worker_and_posts_once(
        fake_clock: FakeClock, tmp_path: Path) -> None:
    """A medium the server is still processing: the part ends Pending (checkpoint: its media
    id), the one worker publishes another account's delivery meanwhile, and once the server
    has processed it the status goes out, exactly once, without a second upload."""
    from scheduler.publishers.mastodon import MEDIA_RETRY

    clock = Clock(START)
    with MastodonServer(clock=fake_clock, processing_seconds=30) as server:
        second = server.add_account("second-account-token", username="second")
        first = MastodonPublisher(server.base_url, server.account.token, clock=clock)
        other = MastodonPublisher(server.base_url, second.token, clock=clock)
        store = Store.open(f"sqlite:///{tmp_path / 'crier.db'}")
        photo = NewImage(*_png(), "PNG", 160, 90, "A chart of glutamate release.")
        posts = [
            NewPost("a.md", (NewDelivery("mastodon", "mastodon:first", "mastodon",
                                         START - timedelta(minutes=1),
                                         (NewPart(0, "With a chart", {}, (photo,)),),
                                         max_lateness=timedelta(days=1)),)),
            NewPost("b.md", (NewDelivery("mastodon", "mastodon:second", "mastodon-second",
                                         START, (NewPart(0, "Meanwhile, elsewhere"),),
                                         max_lateness=timedelta(days=1)),)),
        ]
        first_id, second_id = store.write(lambda conn: insert_posts(conn, posts, START))
        registry = Registry(Settings(), overrides={"mastodon": first, "mastodon-second": other})
        daemon = Daemon(store, registry, DaemonConfig(workers=1, owner="pending"), clock=clock)

        def step() -> list[str]:
            return [future.result(timeout=30) for future in daemon.claim(clock())]

        def row(delivery_id: int) -> q.DeliveryRow:
            return q.list_deliveries(store, ids=[delivery_id])[0]

        assert step() == ["pending"]
        waiting = row(first_id)
        assert (waiting.status, waiting.attempts, waiting.reconcile) == ("queued", 0, False)
        assert waiting.next_attempt_at == START + MEDIA_RETRY
        (media,) = server.media.values()
        checkpoint = store.read(lambda conn: conn.execute(
            select(delivery_parts.c.checkpoint).where(delivery_parts.c.delivery_id == first_id)
        ).scalar_one())
        assert json.loads(checkpoint)["media_ids"] == [media.id]
        # The one worker is free: the other account's delivery goes out while it processes.
        assert step() == ["published"]
        assert row(second_id).status == "published"
        assert [s.text for s in server.statuses] == ["Meanwhile, elsewhere"]

        clock.advance(seconds=MEDIA_RETRY.total_seconds())
        fake_clock.advance(MEDIA_RETRY.total_seconds())
        assert step() == ["pending"]  # asked again, still processing
        assert len(server.requests_to("GET", f"/api/v1/media/{media.id}")) == 1
        clock.advance(seconds=30)
        fake_clock.advance(30)
        assert step() == ["published"]
        mine = [s for s in server.statuses if s.account_id == server.account.id]
        assert [(s.text, s.media_ids) for s in mine] == [("With a chart", [media.id])]
        assert len(server.requests_to("POST", "/api/v2/media")) == 1  # never uploaded again
        assert len(server.requests_to("POST", "/api/v1/statuses")) == 2
        assert (row(first_id).status, row(first_id).attempts) == ("published", 0)
        assert server.errors == []
        store.close()


def test_queueing_formats_for_the_servers_limit_less_the_content_warning(
    fake_clock: FakeClock, tmp_path: Path,
) -> None:
    from dataclasses import replace

    from content.networks.mastodon import mastodon_length
    from scheduler.service.intake import plan_post
    from scheduler.service.when import When

    clear_instance_cache()
    brand = replace(load_brand(PROJECT_ROOT / "brand.toml"), network_options={
        "mastodon": {"visibility": "unlisted", "content_warning": "Medicine"}})
    sample = PROJECT_ROOT / "examples" / "glutamate.md"
    with MastodonServer(clock=fake_clock, max_characters=1000) as server:
        env = {"MASTODON_BASE_URL": server.base_url, "MASTODON_ACCESS_TOKEN": "token",
               "CRIER_DATA_DIR": str(tmp_path)}
        plan = plan_post(sample, brand, When("now"), now=START, platforms=["mastodon"],
                         settings=Settings.from_env(env))
    (delivery,) = plan.post.deliveries
    assert delivery.publisher == "mastodon"
    lengths = [mastodon_length(part.text) for part in delivery.parts]
    assert max(lengths) <= 1000 - len("Medicine") and max(lengths) > 500
    assert all(part.payload["visibility"] == "unlisted" for part in delivery.parts)
    assert all(part.payload["content_warning"] == "Medicine" for part in delivery.parts)
    # The outbox (no account) keeps Mastodon's default of 500, less the warning.
    plan = plan_post(sample, brand, When("now"), now=START, platforms=["mastodon"],
                     settings=Settings.from_env({"CRIER_DATA_DIR": str(tmp_path)}))
    assert max(mastodon_length(p.text) for p in plan.post.deliveries[0].parts) <= 492




def test_mastodon_a_checkpoint_the_server_forgot_is_uploaded_again_and_one_never_ready_gives_up(
        fake_clock: FakeClock) -> None:
    from dataclasses import replace

    from fakes.inprocess import session_for
    from fakes.networks import image

    from scheduler.publishers.base import Pending

    clock = Clock(START)
    with MastodonServer(clock=fake_clock, processing_seconds=30) as server:
        publisher = MastodonPublisher(server.base_url, server.account.token, clock=clock,
                                      session=session_for(server))
        part = OutgoingPart(0, "With a chart", (image((20, 40, 60), "A chart"),))
        delivery = OutgoingDelivery(1, "mastodon", "m", (part,), "s", "a")
        first = publisher.publish_part(delivery, part, None)
        assert isinstance(first, Pending) and list(server.media) == first.checkpoint["media_ids"]
        # Media the server no longer has (expired, deleted): uploaded afresh, never attached.
        stale = replace(part, checkpoint={"media_ids": ["404404"], "since": START.isoformat()})
        again = publisher.publish_part(delivery, stale, None)
        assert isinstance(again, Pending) and len(server.media) == 2
        assert again.checkpoint["media_ids"] != ["404404"]
        # Still processing long after the first upload: given up, saying what to do.
        clock.advance(minutes=31)
        with pytest.raises(Permanent, match="still processing"):
            publisher.publish_part(delivery, replace(part, checkpoint=first.checkpoint), None)
        assert server.statuses == [] and server.errors == []
