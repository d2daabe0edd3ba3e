"""The fake network servers enforce the networks' rules over real HTTP.

Plain `requests` calls against `fakes/` servers on 127.0.0.1 (and in-process) (and tweepy through
`route_to`); one test runs the real Bluesky reference PDS (marker `pds`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import tweepy
from fakes.base import FakeClock
from fakes.mastodon_server import MastodonServer, status_length
from fakes.x_server import DUPLICATE_DETAIL, XServer, route_to
from requests_oauthlib import OAuth1  # type: ignore[import-untyped]

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 7 code points
LONG_URL = "https://example.com/articles/2024/a-very-long-slug-" + "x" * 120
CONSUMER_SECRET = "test-consumer-secret"
TOKEN_SECRET = "test-token-secret"


def png(size: int) -> bytes:
    """Bytes that start like a PNG, padded to `size`."""
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    return head + b"\x00" * (size - len(head))


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_750_000_000)


@pytest.fixture
def x(clock: FakeClock) -> Iterator[XServer]:
    with XServer(clock=clock) as server:
        yield server
    assert server.errors == []


@pytest.fixture
def mastodon(clock: FakeClock) -> Iterator[MastodonServer]:
    with MastodonServer(clock=clock) as server:
        yield server
    assert server.errors == []


def x_auth(server: XServer, *, consumer_key: str | None = None, token: str | None = None) -> OAuth1:
    return OAuth1(
        consumer_key or server.consumer_key,
        CONSUMER_SECRET,
        token or server.user.access_token,
        TOKEN_SECRET,
    )


def post_tweet(server: XServer, body: dict[str, Any], **kwargs: Any) -> requests.Response:
    return requests.post(
        f"{server.base_url}/2/tweets", json=body, auth=x_auth(server), timeout=5, **kwargs
    )


def upload_x(server: XServer, data: bytes, category: str = "tweet_image") -> requests.Response:
    return requests.post(
        f"{server.base_url}/2/media/upload",
        files={"media": ("card.png", data, "image/png")},
        data={"media_category": category},
        auth=x_auth(server),
        timeout=10,
    )


def m_headers(server: MastodonServer, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.account.token}", **extra}


def post_status(server: MastodonServer, data: Any = None, **kwargs: Any) -> requests.Response:
    headers = m_headers(server, **kwargs.pop("headers", {}))
    return requests.post(
        f"{server.base_url}/api/v1/statuses", data=data, headers=headers, timeout=5, **kwargs
    )


# ---- X ---------------------------------------------------------------------------------------


def test_x_length_is_weighted_by_the_independent_counter(x: XServer) -> None:
    assert post_tweet(x, {"text": "a" * 280}).status_code == 201

    over = post_tweet(x, {"text": "b" * 281})
    assert over.status_code == 400
    assert "too long" in over.json()["detail"]

    # A long URL weighs 23, whatever its length: 256 + 1 + 23 = 280.
    with_url = "c" * 256 + " " + LONG_URL
    assert len(with_url) > 400
    assert post_tweet(x, {"text": with_url}).status_code == 201
    assert post_tweet(x, {"text": "d" * 257 + " " + LONG_URL}).status_code == 400

    # An emoji family weighs 2: 140 of them fill a tweet, 141 do not.
    assert post_tweet(x, {"text": FAMILY * 140}).status_code == 201
    assert post_tweet(x, {"text": FAMILY * 141}).status_code == 400

    assert [len(t.text) for t in x.tweets] == [280, len(with_url), 140 * 7]


def test_x_duplicate_text_by_the_same_user_is_403(x: XServer) -> None:
    assert post_tweet(x, {"text": "same words"}).status_code == 201
    again = post_tweet(x, {"text": "same words"})
    assert again.status_code == 403
    assert again.json() == {
        "detail": DUPLICATE_DETAIL,
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    assert DUPLICATE_DETAIL == "You are not allowed to create a Tweet with duplicate content."

    # Another user may say the same thing.
    other = x.add_user("2-other-token", username="someone_else")
    response = requests.post(
        f"{x.base_url}/2/tweets",
        json={"text": "same words"},
        auth=x_auth(x, token=other.access_token),
        timeout=5,
    )
    assert response.status_code == 201
    assert [t.author_id for t in x.tweets] == [x.user.id, other.id]


def test_x_requires_oauth1_with_the_configured_key_and_token(x: XServer) -> None:
    url = f"{x.base_url}/2/tweets"
    cases = [
        {},
        {"auth": x_auth(x, consumer_key="wrong-key")},
        {"auth": x_auth(x, token="wrong-token")},
        {"headers": {"Authorization": "Bearer app-only-token"}},
        {"headers": {"Authorization": f'OAuth oauth_consumer_key="{x.consumer_key}"'}},
    ]
    for extra in cases:
        response = requests.post(url, json={"text": "hi"}, timeout=5, **extra)
        assert response.status_code == 401, extra
        assert response.json()["title"] == "Unauthorized"
    assert x.tweets == []
    me = requests.get(f"{x.base_url}/2/users/me", auth=x_auth(x), timeout=5)
    assert me.json() == {
        "data": {"id": x.user.id, "name": "Crier Author", "username": "crier_author"}
    }


def test_x_rate_limit_headers_and_429(clock: FakeClock) -> None:
    with XServer(clock=clock, limits={"POST /2/tweets": (2, 900)}) as x:
        first = post_tweet(x, {"text": "one"})
        assert first.headers["x-rate-limit-limit"] == "2"
        assert first.headers["x-rate-limit-remaining"] == "1"
        assert first.headers["x-rate-limit-reset"] == str(int(clock.now()) + 900)
        assert first.headers["x-app-limit-24hour-limit"] == "10000"
        assert post_tweet(x, {"text": "two"}).headers["x-rate-limit-remaining"] == "0"

        third = post_tweet(x, {"text": "three"})
        assert third.status_code == 429
        assert third.headers["x-rate-limit-remaining"] == "0"
        assert int(third.headers["x-rate-limit-reset"]) == int(clock.now()) + 900
        assert third.json()["title"] == "Too Many Requests"
        assert len(x.tweets) == 2

        clock.advance(901)
        assert post_tweet(x, {"text": "three"}).status_code == 201

        # Every endpoint response carries the headers, errors included.
        for response in (
            requests.get(f"{x.base_url}/2/users/me", auth=x_auth(x), timeout=5),
            requests.get(f"{x.base_url}/2/tweets/1", auth=x_auth(x), timeout=5),
            requests.post(f"{x.base_url}/2/tweets", json={"text": "x"}, timeout=5),
        ):
            assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
                k.lower() for k in response.headers
            ), response.request.url

        # The switch: a 429 with a chosen reset, nothing stored.
        x.rate_limit(1_760_000_000, path="/2/tweets")
        forced = post_tweet(x, {"text": "four"})
        assert forced.status_code == 429
        assert forced.headers["x-rate-limit-reset"] == "1760000000"
        assert len(x.tweets) == 3
        assert x.errors == []


def test_x_media_upload_size_alt_text_and_count(x: XServer) -> None:
    ok = upload_x(x, png(5 * 1024 * 1024))
    assert ok.status_code == 200
    data = ok.json()["data"]
    assert set(data) == {"id", "media_key", "size", "expires_after_secs"}
    assert data["media_key"] == f"3_{data['id']}"

    too_big = upload_x(x, png(5 * 1024 * 1024 + 1))
    assert too_big.status_code == 400
    assert upload_x(x, b"GIF? no, plain text").status_code == 400
    assert upload_x(x, png(100), category="tweet_video").status_code == 400

    ids = [upload_x(x, png(1000)).json()["data"]["id"] for _ in range(5)]

    def alt(media_id: str, text: str) -> requests.Response:
        body: dict[str, Any] = {"id": media_id, "metadata": {"alt_text": {"text": text}}}
        return requests.post(f"{x.base_url}/2/media/metadata", json=body, auth=x_auth(x), timeout=5)

    assert alt(ids[0], "é" * 1000).status_code == 200
    too_long = alt(ids[1], "a" * 1001)
    assert too_long.status_code == 400
    assert alt("999", "nope").status_code == 400

    five = post_tweet(x, {"text": "five images", "media": {"media_ids": ids}})
    assert five.status_code == 400
    assert "between 1 and 4" in five.json()["errors"][0]["message"]
    assert post_tweet(x, {"text": "bad id", "media": {"media_ids": ["12345"]}}).status_code == 400

    four = post_tweet(x, {"text": "four images", "media": {"media_ids": ids[:4]}})
    assert four.status_code == 201
    (tweet,) = x.tweets
    assert tweet.media_ids == ids[:4]
    assert [m.alt_text for m in tweet.media] == ["é" * 1000, None, None, None]


def test_x_threads_and_reconcile_reads(x: XServer) -> None:
    missing = post_tweet(x, {"text": "orphan", "reply": {"in_reply_to_tweet_id": "123"}})
    assert missing.status_code == 403
    assert "deleted or not visible" in missing.json()["detail"]

    root = post_tweet(x, {"text": f"1/2 read {LONG_URL}"}).json()["data"]
    assert root["text"].startswith("1/2 read https://t.co/")  # X wraps links
    reply = post_tweet(x, {"text": "2/2", "reply": {"in_reply_to_tweet_id": root["id"]}})
    assert reply.status_code == 201
    assert x.tweets[1].reply_to == root["id"]

    recent = requests.get(
        f"{x.base_url}/2/users/{x.user.id}/tweets",
        params={"max_results": "5", "tweet.fields": "created_at,referenced_tweets"},
        auth=x_auth(x),
        timeout=5,
    ).json()
    assert [t["text"] for t in recent["data"]] == ["2/2", root["text"]]
    assert recent["data"][0]["referenced_tweets"] == [{"type": "replied_to", "id": root["id"]}]
    assert recent["meta"]["result_count"] == 2
    bad = requests.get(
        f"{x.base_url}/2/users/{x.user.id}/tweets",
        params={"max_results": 3},
        auth=x_auth(x),
        timeout=5,
    )
    assert bad.status_code == 400

    one = requests.get(f"{x.base_url}/2/tweets/{root['id']}", auth=x_auth(x), timeout=5).json()
    assert one["data"]["id"] == root["id"]
    gone = requests.get(f"{x.base_url}/2/tweets/42", auth=x_auth(x), timeout=5)
    assert gone.status_code == 200
    assert gone.json()["errors"][0]["title"] == "Not Found Error"


def test_tweepy_client_reaches_the_fake_through_route_to(x: XServer, clock: FakeClock) -> None:
    client = tweepy.Client(
        consumer_key=x.consumer_key,
        consumer_secret=CONSUMER_SECRET,
        access_token=x.user.access_token,
        access_token_secret=TOKEN_SECRET,
    )
    route_to(client.session, x.base_url)

    created = client.create_tweet(text="hello from tweepy")
    assert created.data["text"] == "hello from tweepy"
    assert x.tweets[0].id == created.data["id"]
    (request,) = x.requests_to("POST", "/2/tweets")
    assert request.headers["authorization"].startswith("OAuth ")

    reply = client.create_tweet(text="and a reply", in_reply_to_tweet_id=created.data["id"])
    assert x.tweet(reply.data["id"]).reply_to == created.data["id"]  # type: ignore[union-attr]

    with pytest.raises(tweepy.Forbidden) as duplicate:
        client.create_tweet(text="hello from tweepy")
    assert DUPLICATE_DETAIL in str(duplicate.value)

    reset = int(clock.now()) + 600
    x.rate_limit(reset, path="/2/tweets")
    with pytest.raises(tweepy.TooManyRequests) as limited:
        client.create_tweet(text="rate limited")
    assert limited.value.reset_time == reset
    assert len(x.tweets) == 2


def test_fault_drop_after_store_stores_but_the_client_sees_a_connection_error(x: XServer) -> None:
    x.drop_after_store(path="/2/tweets")
    with pytest.raises(requests.ConnectionError):
        post_tweet(x, {"text": "did it land?"})
    assert [t.text for t in x.tweets] == ["did it land?"]
    (record,) = x.requests_to("POST", "/2/tweets")
    assert record.status is None and record.faults == ["drop_after_store"]
    # The retry is a duplicate: the 403 that tells the publisher to reconcile.
    assert post_tweet(x, {"text": "did it land?"}).status_code == 403


def test_fault_slow_error_and_refuse(x: XServer) -> None:
    x.slow(0.3, path="/2/tweets")
    with pytest.raises(requests.Timeout):
        requests.post(f"{x.base_url}/2/tweets", json={"text": "slow"}, auth=x_auth(x), timeout=0.1)
    x.wait_handled(1, method="POST", path="/2/tweets")
    assert [t.text for t in x.tweets] == ["slow"]  # it landed all the same

    x.error(503, path="/2/tweets", times=2)
    assert post_tweet(x, {"text": "busy"}).status_code == 503
    assert post_tweet(x, {"text": "busy"}).status_code == 503
    assert post_tweet(x, {"text": "busy"}).status_code == 201
    assert [t.text for t in x.tweets] == ["slow", "busy"]

    port = x.port
    with x.refusing(), pytest.raises(requests.ConnectionError):
        post_tweet(x, {"text": "refused"})
    assert x.port == port
    assert post_tweet(x, {"text": "back"}).status_code == 201
    assert "refused" not in [t.text for t in x.tweets]


# ---- Mastodon --------------------------------------------------------------------------------


def test_mastodon_instance_and_auth(mastodon: MastodonServer) -> None:
    instance = requests.get(f"{mastodon.base_url}/api/v2/instance", timeout=5).json()
    statuses = instance["configuration"]["statuses"]
    assert statuses == {
        "max_characters": 500,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    assert instance["configuration"]["media_attachments"]["description_limit"] == 1500

    url = f"{mastodon.base_url}/api/v1/accounts/verify_credentials"
    assert requests.get(url, timeout=5).status_code == 401
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "The access token is invalid"}
    me = requests.get(url, headers=m_headers(mastodon), timeout=5)
    assert me.json()["id"] == mastodon.account.id
    assert (
        post_status(mastodon, {"status": "x"}, headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )


def test_mastodon_counts_graphemes_urls_mentions_and_the_warning(mastodon: MastodonServer) -> None:
    ok = post_status(mastodon, {"status": FAMILY * 500})
    assert ok.status_code == 200, ok.text
    over = post_status(mastodon, {"status": FAMILY * 501})
    assert over.status_code == 422
    assert over.json() == {"error": "Validation failed: Text character limit of 500 exceeded"}

    # A URL counts 23 however long: 476 + 1 + 23 = 500.
    assert post_status(mastodon, {"status": "a" * 476 + " " + LONG_URL}).status_code == 200
    assert post_status(mastodon, {"status": "b" * 477 + " " + LONG_URL}).status_code == 422

    # @user@domain counts as @user (6 graphemes here): 493 + 1 + 6 = 500.
    mention = "@alice@social.example.org"
    assert status_length(mention) == 6
    assert post_status(mastodon, {"status": "c" * 493 + " " + mention}).status_code == 200
    assert post_status(mastodon, {"status": "c" * 494 + " " + mention}).status_code == 422

    # The content warning counts too.
    cw = post_status(mastodon, {"status": "d" * 490, "spoiler_text": "spoilers!!!"})
    assert cw.status_code == 422
    assert (
        post_status(mastodon, {"status": "d" * 489, "spoiler_text": "spoilers!!!"}).status_code
        == 200
    )
    assert len(mastodon.statuses) == 4


def test_mastodon_idempotency_key_returns_the_original(
    mastodon: MastodonServer, clock: FakeClock
) -> None:
    key = {"Idempotency-Key": "delivery-42"}
    first = post_status(mastodon, {"status": "once"}, headers=key)
    again = post_status(mastodon, {"status": "once"}, headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert len(mastodon.statuses) == 1

    # JSON bodies too; a different key is a new status.
    other = requests.post(
        f"{mastodon.base_url}/api/v1/statuses",
        json={"status": "twice", "visibility": "unlisted"},
        headers=m_headers(mastodon, **{"Idempotency-Key": "delivery-43"}),
        timeout=5,
    )
    assert other.status_code == 200 and other.json()["visibility"] == "unlisted"
    assert len(mastodon.statuses) == 2

    # Kept for an hour only.
    clock.advance(3601)
    late = post_status(mastodon, {"status": "once more"}, headers=key)
    assert late.json()["id"] != first.json()["id"]
    assert len(mastodon.statuses) == 3

    # A dropped response, retried with the same key: one status.
    mastodon.drop_after_store(path="/api/v1/statuses")
    retry_key = {"Idempotency-Key": "delivery-44"}
    with pytest.raises(requests.ConnectionError):
        post_status(mastodon, {"status": "lost answer"}, headers=retry_key)
    retried = post_status(mastodon, {"status": "lost answer"}, headers=retry_key)
    assert retried.status_code == 200
    assert [s.text for s in mastodon.statuses].count("lost answer") == 1


def test_mastodon_media_limits_and_threads(mastodon: MastodonServer) -> None:
    def upload(data: bytes, description: str | None = None) -> requests.Response:
        fields = {"description": description} if description is not None else None
        return requests.post(
            f"{mastodon.base_url}/api/v2/media",
            files={"file": ("card.png", data, "image/png")},
            data=fields,
            headers=m_headers(mastodon),
            timeout=10,
        )

    ok = upload(png(16 * 1024 * 1024), "a" * 1500)
    assert ok.status_code == 200, ok.text
    assert ok.json()["description"] == "a" * 1500
    big = upload(png(16 * 1024 * 1024 + 1))
    assert big.status_code == 422 and "size" in big.json()["error"]
    long_alt = upload(png(100), "a" * 1501)
    assert long_alt.status_code == 422 and "Description is too long" in long_alt.json()["error"]
    assert upload(b"not an image").status_code == 422

    ids = [ok.json()["id"]] + [upload(png(100), f"alt {i}").json()["id"] for i in range(4)]
    five = post_status(mastodon, {"status": "five", "media_ids[]": ids})
    assert five.status_code == 422
    four = post_status(mastodon, {"status": "four", "media_ids[]": ids[:4]})
    assert four.status_code == 200
    assert [m["id"] for m in four.json()["media_attachments"]] == ids[:4]
    assert mastodon.statuses[0].media[1].description == "alt 0"
    reused = post_status(mastodon, {"status": "reuse", "media_ids[]": ids[:1]})
    assert reused.status_code == 422  # already attached

    root_id = four.json()["id"]
    missing = post_status(mastodon, {"status": "orphan", "in_reply_to_id": "1"})
    assert missing.status_code == 404
    reply = post_status(mastodon, {"status": "reply", "in_reply_to_id": root_id})
    assert reply.json()["in_reply_to_id"] == root_id

    listed = requests.get(
        f"{mastodon.base_url}/api/v1/accounts/{mastodon.account.id}/statuses",
        params={"limit": 5},
        headers=m_headers(mastodon),
        timeout=5,
    ).json()
    assert [s["content"] for s in listed] == ["<p>reply</p>", "<p>four</p>"]
    one = requests.get(
        f"{mastodon.base_url}/api/v1/statuses/{root_id}", headers=m_headers(mastodon), timeout=5
    )
    assert one.json()["replies_count"] == 1


def test_mastodon_rate_limit_headers_and_429(clock: FakeClock) -> None:
    with MastodonServer(clock=clock, api_limit=(3, 300)) as mastodon:
        url = f"{mastodon.base_url}/api/v1/accounts/verify_credentials"
        first = requests.get(url, headers=m_headers(mastodon), timeout=5)
        assert first.headers["X-RateLimit-Limit"] == "3"
        assert first.headers["X-RateLimit-Remaining"] == "2"
        reset = datetime.fromisoformat(first.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
        assert reset.tzinfo is not None and reset > datetime.fromtimestamp(clock.now(), UTC)
        requests.get(url, headers=m_headers(mastodon), timeout=5)
        requests.get(url, headers=m_headers(mastodon), timeout=5)
        limited = post_status(mastodon, {"status": "too soon"})
        assert limited.status_code == 429
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.json() == {"error": "Too many requests"}
        assert mastodon.statuses == []

        clock.advance(300)
        assert post_status(mastodon, {"status": "later"}).status_code == 200

        mastodon.rate_limit(1_760_000_000, path="/api/v1/statuses")
        forced = post_status(mastodon, {"status": "forced"})
        assert forced.status_code == 429
        assert forced.headers["X-RateLimit-Reset"].startswith("2025-10-09T")
        assert mastodon.errors == []


# ---- Bluesky: the real reference PDS -------------------------------------------------------

_S32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid(micros: int, clock_id: int = 0) -> str:
    """An AT Protocol TID (record key): 53 bits of microseconds, 10 of clock id, base32-sortable."""
    value = (micros << 10) | (clock_id & 0x3FF)
    return "".join(_S32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


@pytest.mark.pds
def test_reference_pds_records_rkeys_and_grapheme_limit() -> None:
    from fakes.pds import install, require_node, running_pds

    require_node()

    install_started = time.monotonic()
    directory = install()
    install_seconds = time.monotonic() - install_started

    with running_pds(directory) as pds:
        print(f"\nPDS install check {install_seconds:.1f} s, start {pds.startup_seconds:.2f} s")
        xrpc = f"{pds.url}/xrpc"
        session = requests.post(
            f"{xrpc}/com.atproto.server.createSession",
            json={"identifier": pds.handle, "password": pds.password},
            timeout=10,
        )
        assert session.status_code == 200, session.text
        assert session.json()["did"] == pds.did
        auth = {"Authorization": f"Bearer {session.json()['accessJwt']}"}

        def create(rkey: str, text: str) -> requests.Response:
            record = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
            body: dict[str, Any] = {
                "repo": pds.did,
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": record,
            }
            return requests.post(
                f"{xrpc}/com.atproto.repo.createRecord", json=body, headers=auth, timeout=10
            )

        rkey = tid(int(time.time() * 1_000_000), random.randrange(1024))
        created = create(rkey, "hello from crier")
        assert created.status_code == 200, created.text
        uri = created.json()["uri"]
        assert uri == f"at://{pds.did}/app.bsky.feed.post/{rkey}"

        fetched = requests.get(
            f"{xrpc}/com.atproto.repo.getRecord",
            params={"repo": pds.did, "collection": "app.bsky.feed.post", "rkey": rkey},
            timeout=10,
        )
        assert fetched.status_code == 200
        assert fetched.json()["value"]["text"] == "hello from crier"
        assert fetched.json()["cid"] == created.json()["cid"]

        # The same rkey again fails, so a retry cannot duplicate the post. PDS 0.4.217 answers
        # 500 InternalServerError ("There is already a value at key"), not a 4xx: after a
        # failed create the publisher must ask getRecord whether its rkey already exists.
        for text in ("hello from crier", "a different text"):
            duplicate = create(rkey, text)
            assert duplicate.status_code == 500, duplicate.text
            assert duplicate.json()["error"] == "InternalServerError"

        # 300 graphemes are accepted, 301 rejected by the lexicon. Each is "e" + a combining
        # acute (2 code points, 3 bytes), so only a grapheme count draws the line there.
        accent = "e\u0301"
        assert create(tid(int(time.time() * 1_000_000) + 1), accent * 300).status_code == 200
        too_long = create(tid(int(time.time() * 1_000_000) + 2), accent * 301)
        assert too_long.status_code == 400
        assert too_long.json()["error"] == "InvalidRequest"
        assert "grapheme too big (maximum 300, got 301)" in too_long.json()["message"]

        listed = requests.get(
            f"{xrpc}/com.atproto.repo.listRecords",
            params={"repo": pds.did, "collection": "app.bsky.feed.post"},
            timeout=10,
        ).json()["records"]
        assert sorted(len(r["value"]["text"]) for r in listed) == [16, 600]
        assert [r["value"]["text"] for r in listed if r["uri"] == uri] == ["hello from crier"]


# ---- the in-process transport ----------------------------------------------------------------


def test_in_process_transport_serves_the_same_rules_faults_and_log(clock: FakeClock) -> None:
    from fakes.inprocess import session_for

    from scheduler.publishers.base import OutgoingDelivery, OutgoingPart, Transient, UnknownOutcome
    from scheduler.publishers.mastodon import MastodonPublisher

    with MastodonServer(clock=clock, processing_seconds=10) as server:
        session = session_for(server)
        headers = {"Authorization": f"Bearer {server.account.token}"}
        # Any host: the address is the server's, not the URL's.
        media = session.post("https://mastodon.example/api/v2/media", headers=headers,
                             files={"file": ("a.png", png(100), "image/png")})
        assert media.status_code == 202 and media.json()["url"] is None
        assert session.get(f"https://x.example/api/v1/media/{media.json()['id']}",
                           headers=headers).status_code == 206
        refused = session.post("https://m.example/api/v1/statuses", headers=headers,
                               json={"status": "hi", "media_ids": [media.json()["id"]]})
        assert refused.status_code == 422 and "finished processing" in refused.json()["error"]
        assert len(server.requests_to("POST", "/api/v1/statuses")) == 1
        assert refused.headers["X-RateLimit-Limit"] == "300"

        publisher = MastodonPublisher("https://mastodon.example", server.account.token,
                                      timeout=(1.0, 2.0), session=session)
        delivery = OutgoingDelivery(1, "mastodon", "m", (OutgoingPart(0, "hello"),), "s", "a")
        server.drop_after_store(path="/api/v1/statuses")
        with pytest.raises(UnknownOutcome):
            publisher.publish_part(delivery, delivery.parts[0], None)
        assert [s.text for s in server.statuses] == ["hello"]  # stored, answer dropped
        server.slow(5.0, path="/api/v1/statuses")  # beyond the 2 s read timeout: no sleep
        started = time.monotonic()
        with pytest.raises(UnknownOutcome):
            publisher.publish_part(delivery, OutgoingPart(1, "again"), None)
        assert time.monotonic() - started < 1.0 and len(server.statuses) == 2
        with server.refusing(), pytest.raises(Transient) as never:
            publisher.publish_part(delivery, OutgoingPart(2, "refused"), None)
        assert never.value.sent is False and len(server.statuses) == 2
