"""Bluesky on the reference PDS: record keys, the kept session, facets, link cards and reply
references."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from fakes.networks import (
    ARTICLE,
    Net,
    PageServer,
    PdsProxy,
    offline_card_fetcher,
    parts_of,
    publish_all,
)
from support import Clock

from content.brand import Brand
from scheduler.publishers.base import (
    Found,
    OutgoingDelivery,
    OutgoingPart,
    Permanent,
    UnknownOutcome,
)
from scheduler.publishers.bluesky.publisher import BlueskyPublisher
from scheduler.publishers.bluesky.records import record_key, tid_time
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store.queue import NewPost, insert_posts

# ---- Bluesky: record keys, the session, facets and link cards -------------------------------

def test_bluesky_record_keys_are_valid_tids_stable_and_ordered() -> None:
    due = datetime(2027, 1, 15, 14, 0, tzinfo=UTC)
    keys = [record_key("store-a", 7, i, due) for i in range(5)]
    for key in keys:
        assert re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", key)
    assert keys == sorted(keys) and len(set(keys)) == 5  # distinct, in thread order
    assert record_key("store-a", 7, 0, due) == keys[0]  # every attempt names the same key
    assert record_key("store-b", 7, 0, due) != keys[0] != record_key("store-a", 8, 0, due)


def test_bluesky_record_keys_carry_the_scheduled_time() -> None:
    due = datetime(2027, 1, 15, 14, 0, 30, tzinfo=UTC)
    for delivery_id in range(20):
        named = tid_time(record_key("store-a", delivery_id, 3, due))
        assert due <= named < due + timedelta(seconds=1)  # within the scheduled second
    later = due + timedelta(days=1)
    assert record_key("store-a", 7, 0, later) > record_key("store-a", 7, 24, due)
    # The same second in another zone is the same instant, so the same key.
    eastern = due.astimezone(ZoneInfo("America/New_York"))
    assert record_key("store-a", 7, 0, eastern) == record_key("store-a", 7, 0, due)


def test_bluesky_a_store_built_delivery_carries_its_scheduled_time(
        sqlite_store: Store, make_post: Callable[..., NewPost]) -> None:
    from scheduler.store.attempts import load
    from scheduler.store.claim import claim_due

    due = datetime(2027, 1, 15, 14, 0, tzinfo=UTC)
    (delivery_id,) = sqlite_store.write(
        lambda conn: insert_posts(conn, [make_post(due_at=due)], due - timedelta(days=1)))
    (claimed,) = claim_due(sqlite_store, now=due, owner="t", limit=1,
                           lease=timedelta(minutes=1))
    delivery, _ = load(sqlite_store, claimed)
    assert delivery.id == delivery_id and delivery.scheduled_at == due


def test_bluesky_a_delivery_without_a_time_is_refused_before_any_call() -> None:
    publisher = BlueskyPublisher("nobody.test", "app-password-1234",
                                 service="http://127.0.0.1:9", session_file=Path("/nonexistent"))
    hand_built = OutgoingDelivery(1, "bluesky", "b", (OutgoingPart(0, "hello"),), "s", "a")
    with pytest.raises(Permanent) as refused:
        publisher.publish_part(hand_built, hand_built.parts[0], None)
    assert "no scheduled time" in str(refused.value)


@pytest.mark.pds
def test_bluesky_one_login_kept_in_a_private_file_and_renewed(
        bsky: Net, brand: Brand, tmp_path: Path) -> None:
    proxy: PdsProxy = bsky.extra["proxy"]
    delivery = bsky.delivery(parts_of(bsky, brand))
    publish_all(bsky, delivery)
    assert len(proxy.requests_to("POST", "/xrpc/com.atproto.server.createSession")) == 1

    (session_file,) = (tmp_path / "data").glob("bluesky-session-*.json")
    assert session_file.stat().st_mode & 0o777 == 0o600
    assert "contract-app-password" not in session_file.read_text()

    # Another process (a new publisher) uses the kept session: no second login.
    later = BlueskyPublisher.from_settings(Settings.from_env(bsky.env))
    assert later.check_account().ok
    assert len(proxy.requests_to("POST", "/xrpc/com.atproto.server.createSession")) == 1

    # A day on, the access token has expired: renewed with refreshSession, not a login.
    clock = Clock(datetime.now(UTC) + timedelta(days=1))
    renewed = BlueskyPublisher(bsky.extra["handle"], "contract-app-password",
                               service=bsky.env["BLUESKY_SERVICE"], session_file=session_file,
                               clock=clock)
    assert renewed.lookup(delivery, delivery.parts[0]).found is Found.YES
    assert len(proxy.requests_to("POST", "/xrpc/com.atproto.server.refreshSession")) == 1
    assert len(proxy.requests_to("POST", "/xrpc/com.atproto.server.createSession")) == 1

    # A session the server no longer accepts: refreshed, then (refresh refused) a new login.
    stored = json.loads(session_file.read_text())
    stored["access_jwt"] = stored["access_jwt"][:-4] + "AAAA"
    stored["refresh_jwt"] = stored["refresh_jwt"][:-4] + "AAAA"
    session_file.write_text(json.dumps(stored))
    broken = BlueskyPublisher.from_settings(Settings.from_env(bsky.env))
    assert broken.check_account().ok
    assert len(proxy.requests_to("POST", "/xrpc/com.atproto.server.createSession")) == 2


@pytest.mark.pds
def test_bluesky_facets_link_card_and_reply_references(bsky: Net, brand: Brand) -> None:
    delivery = bsky.delivery(parts_of(bsky, brand))
    mention = OutgoingPart(4, f"Thanks @{bsky.extra['handle']} and @nobody.test")
    delivery = bsky.delivery(delivery.parts + (mention,), store_id=delivery.store_id)
    publish_all(bsky, delivery)
    records = requests.get(
        f"{bsky.extra['pds'].url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": bsky.extra["did"], "collection": "app.bsky.feed.post",
                "reverse": "true"}, timeout=30).json()["records"]
    values = [r["value"] for r in records]
    assert [v["text"] for v in values] == [p.text for p in delivery.parts]  # rkeys sort in order

    first, link, _, _, thanks = values
    start = first["text"].encode().index(b"#Psychiatry")
    assert first["facets"] == [{"index": {"byteStart": start, "byteEnd": start + 11},
                                "features": [{"$type": "app.bsky.richtext.facet#tag",
                                              "tag": "Psychiatry"}]}]
    assert [i["aspectRatio"] for i in first["embed"]["images"]] == [
        {"width": 160, "height": 90}] * 2
    card = link["embed"]["external"]
    assert (card["uri"], card["title"], card["description"]) == (
        ARTICLE, "What's the deal with Glutamate?", "Ketamine, NMDA and what comes next.")
    assert card["thumb"]["mimeType"] == "image/png"
    assert link["facets"][0]["features"][0]["uri"] == ARTICLE
    assert [f["features"][0] for f in thanks["facets"]] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": bsky.extra["did"]}]
    root = {"uri": records[0]["uri"], "cid": records[0]["cid"]}
    for before, record in zip(records, records[1:], strict=False):
        assert record["value"]["reply"] == {
            "root": root, "parent": {"uri": before["uri"], "cid": before["cid"]}}


@pytest.mark.pds
def test_bluesky_a_record_key_holding_another_text_needs_the_author(
        bsky: Net, brand: Brand) -> None:
    delivery = bsky.delivery(parts_of(bsky, brand))
    squatter = OutgoingDelivery(delivery.id, "bluesky", "b",
                                (OutgoingPart(0, "something else entirely"),),
                                delivery.store_id, "x", scheduled_at=delivery.scheduled_at)
    bsky.publisher.publish_part(squatter, squatter.parts[0], None)
    with pytest.raises(UnknownOutcome):
        bsky.publisher.publish_part(delivery, delivery.parts[0], None)
    assert bsky.publisher.lookup(delivery, delivery.parts[0]).found is Found.UNKNOWN


def test_link_card_reads_open_graph_and_never_raises() -> None:
    with PageServer() as page:
        fetch = offline_card_fetcher(page)
        card = fetch(ARTICLE)
        assert card is not None and card.image == page.thumb
        assert fetch("https://elsewhere.example/") is None  # unreachable: no card, no error
        assert fetch("ftp://www.example.com/x") is None




@pytest.mark.pds
def test_accounts_check_shows_the_handle_and_hides_only_the_password(bsky: Net) -> None:
    from scheduler.service.accounts import check_accounts

    [check] = check_accounts(Settings.from_env(bsky.env), ["bluesky"])
    assert check.ok is True and check.publisher == "real"
    assert f"@{bsky.extra['handle']}" in check.detail  # a handle is not a secret
    assert "@***" not in check.detail and "contract-app-password" not in check.detail
