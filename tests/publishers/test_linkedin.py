"""LinkedIn on its fake: little-text escaping against the silent cut, the request's shape,
images, the first comment, reconcile without r_member_social, the errors in LinkedIn's words,
the account check and its token expiry, and the variables' checks."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from fakes.base import FakeClock
from fakes.inprocess import session_for
from fakes.linkedin_server import LinkedInServer, read_little_text
from fakes.networks import START, image
from support import Result

from content.brand import Brand
from content.formatting import format_text
from content.networks.linkedin import RULES
from content.post import Post
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.publishers.base import (
    Found,
    OutgoingDelivery,
    OutgoingPart,
    Permanent,
    RateLimited,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.linkedin import DEFAULT_VERSION, LinkedInPublisher
from scheduler.settings import Settings

RESERVED = "\\ | { } @ [ ] ( ) < > # * _ ~"


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(START.timestamp())


@pytest.fixture
def server(fake_clock: FakeClock) -> Iterator[LinkedInServer]:
    with LinkedInServer(clock=fake_clock) as running:
        yield running
        assert running.errors == [], "the fake server raised (a bug in the fake)"


@pytest.fixture
def brand() -> Brand:
    return load_brand(PROJECT_ROOT / "brand.toml")


def env_for(server: LinkedInServer, **extra: str) -> dict[str, str]:
    return {"LINKEDIN_ACCESS_TOKEN": server.member.token,
            "LINKEDIN_AUTHOR_URN": server.member.urn,
            "LINKEDIN_API_URL": f"{server.base_url}/rest", "CRIER_HTTP_TIMEOUT": "1.5", **extra}


def publisher_for(server: LinkedInServer, fake_clock: FakeClock, **extra: str
                  ) -> LinkedInPublisher:
    return LinkedInPublisher.from_settings(
        Settings.from_env(env_for(server, **extra)), session=session_for(server),
        clock=lambda: datetime.fromtimestamp(fake_clock.now(), UTC))


def one(text: str, *, images: int = 0, payload: dict[str, str] | None = None
        ) -> OutgoingDelivery:
    pictures = tuple(image((10 * n, 40, 90), f"alt {n}") for n in range(images))
    part = OutgoingPart(0, text, pictures, dict(payload or {}))
    return OutgoingDelivery(1, "linkedin", "linkedin:test", (part,), uuid.uuid4().hex, "a")


# ---- little text: our escaping against LinkedIn's silent cut ---------------------------------

def test_the_formatters_escaping_keeps_the_whole_text_where_raw_text_is_cut(
        server: LinkedInServer, fake_clock: FakeClock, brand: Brand) -> None:
    body = (f"Every reserved character: {RESERVED}. A mention-like @someone, a [note] (aside), "
            "<tags>, *stars*, _under_ and ~tilde~, C:\\path, a_b and {braces}.")
    post = Post(body=body, link="https://www.example.com/post/a_(b)", hashtags=("open_source",))
    (part,) = format_text(post, brand, RULES).parts
    publisher = publisher_for(server, fake_clock)

    sent = publisher.publish_part(one(part.text), one(part.text).parts[0], None)
    stored = server.post(sent.remote_id)
    assert stored is not None and stored.cut_at is None
    assert body in stored.shown and brand.disclaimer in stored.shown
    assert "https://www.example.com/post/a_(b)" in stored.shown and "#open_source" in stored.shown

    # The control: the same words unescaped are cut at the first reserved character, and
    # LinkedIn still answers 201, so only the stored post shows the loss.
    raw = body + "\n\n" + brand.disclaimer
    cut = publisher.publish_part(one(raw), one(raw).parts[0], None)
    stored = server.post(cut.remote_id)
    assert stored is not None and stored.cut_at == raw.index("\\")
    assert brand.disclaimer not in stored.shown


def test_the_fakes_reading_of_little_text() -> None:
    assert read_little_text("a \\# b {hashtag|\\#|open\\_source} @[Ada](urn:li:person:x1) c") \
        == ("a \\# b {hashtag|\\#|open\\_source} @[Ada](urn:li:person:x1) c",
            "a # b #open_source Ada c", None)
    assert read_little_text("cut (here) or not") == ("cut ", "cut ", 4)
    assert read_little_text("a lone \\ backslash")[2] == 7


# ---- the request ---------------------------------------------------------------------------

def test_a_post_carries_the_headers_the_body_and_its_images_uploaded_first(
        server: LinkedInServer, fake_clock: FakeClock) -> None:
    publisher = publisher_for(server, fake_clock)
    delivery = one("Two pictures.", images=2)
    sent = publisher.publish_part(delivery, delivery.parts[0], None)

    calls = [(r.method, r.path) for r in server.requests]
    assert calls == [("POST", "/rest/images"), ("PUT", "/dms-uploads/upload-1"),
                     ("POST", "/rest/images"), ("PUT", "/dms-uploads/upload-2"),
                     ("POST", "/rest/posts")]
    create = server.requests_to("POST", "/rest/posts")[0]
    assert create.headers["linkedin-version"] == DEFAULT_VERSION
    assert create.headers["x-restli-protocol-version"] == "2.0.0"
    body = create.json()
    assert (body["author"], body["visibility"], body["lifecycleState"]) == (
        server.member.urn, "PUBLIC", "PUBLISHED")
    assert body["distribution"] == {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                    "thirdPartyDistributionChannels": []}
    images = body["content"]["multiImage"]["images"]
    assert [i["altText"] for i in images] == ["alt 0", "alt 1"]
    stored = server.post(sent.remote_id)
    assert stored is not None and [u for u, _ in stored.images] == [i["id"] for i in images]
    assert sent.url == f"https://www.linkedin.com/feed/update/{sent.remote_id}/"

    single = one("One picture.", images=1)
    publisher.publish_part(single, single.parts[0], None)
    media = server.requests_to("POST", "/rest/posts")[-1].json()["content"]["media"]
    assert media["altText"] == "alt 0" and media["id"].startswith("urn:li:image:")


def test_the_token_goes_to_no_upload_address_off_linkedins_hosts(
        server: LinkedInServer, fake_clock: FakeClock) -> None:
    server.upload_host = "uploads.example.net"  # served in-process all the same
    delivery = one("A picture.", images=1)
    with pytest.raises(Permanent):  # the fake wants a token on the upload: refused, 401
        publisher_for(server, fake_clock).publish_part(delivery, delivery.parts[0], None)
    (put,) = server.requests_to("PUT")
    assert "authorization" not in put.headers and server.posts == []
    server.upload_host = None
    publisher_for(server, fake_clock).publish_part(delivery, delivery.parts[0], None)
    assert server.requests_to("PUT")[-1].headers["authorization"].startswith("Bearer ")


def test_an_image_not_uploaded_is_refused_by_the_fake(server: LinkedInServer) -> None:
    headers = {"Authorization": f"Bearer {server.member.token}",
               "LinkedIn-Version": DEFAULT_VERSION, "X-Restli-Protocol-Version": "2.0.0"}
    http = session_for(server)
    init = http.post(f"{server.base_url}/rest/images?action=initializeUpload", headers=headers,
                     json={"initializeUploadRequest": {"owner": server.member.urn}}).json()
    post = {"author": server.member.urn, "commentary": "x", "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED"}, "lifecycleState": "PUBLISHED",
            "content": {"media": {"id": init["value"]["image"]}}}
    refused = http.post(f"{server.base_url}/rest/posts", headers=headers, json=post)
    assert refused.status_code == 422 and "has not been uploaded" in refused.text
    post["content"] = {"media": {"id": "urn:li:image:nothing"}}
    assert "does not exist" in http.post(f"{server.base_url}/rest/posts", headers=headers,
                                         json=post).text
    for name, value, status in (("X-Restli-Protocol-Version", "1.0.0", 400),
                                ("LinkedIn-Version", "202001", 426)):
        answer = http.post(f"{server.base_url}/rest/posts", json=post,
                           headers={**headers, name: value})
        assert answer.status_code == status, answer.text
    assert server.posts == []


def test_a_delivery_of_several_parts_is_refused_before_anything_is_sent(
        server: LinkedInServer, fake_clock: FakeClock) -> None:
    parts = (OutgoingPart(0, "one"), OutgoingPart(1, "two"))
    delivery = OutgoingDelivery(1, "linkedin", "linkedin:test", parts, "s", "a")
    with pytest.raises(Permanent, match="stands alone"):
        publisher_for(server, fake_clock).publish_part(delivery, parts[0], None)
    assert server.requests == []


# ---- the first comment ---------------------------------------------------------------------

def test_the_first_comment_follows_the_live_post_and_its_failure_never_resends_it(
        server: LinkedInServer, fake_clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    publisher = publisher_for(server, fake_clock)
    delivery = one("The piece is linked below.",
                   payload={"first_comment": "Read it: https://www.example.com/post/a_(b)"})
    sent = publisher.publish_part(delivery, delivery.parts[0], None)
    (comment,) = server.comments
    assert (comment.post, comment.actor) == (sent.remote_id, server.member.urn)
    assert comment.text == "Read it: https://www.example.com/post/a_(b)"

    server.error(500, path="/rest/socialActions/*", times=None)
    other = one("Another, whose comment fails.", payload={"first_comment": "the link"})
    with caplog.at_level(logging.WARNING):
        landed = publisher.publish_part(other, other.parts[0], None)
    assert landed.remote_id == server.posts[-1].urn and len(server.posts) == 2
    assert len(server.comments) == 1
    assert "first comment failed" in caplog.text and landed.remote_id in caplog.text


# ---- reconcile -----------------------------------------------------------------------------

def test_without_r_member_social_lookup_says_unknown_and_a_retry_is_confirmed_not_reposted(
        fake_clock: FakeClock) -> None:
    with LinkedInServer(clock=fake_clock,
                        scopes=("openid", "profile", "w_member_social")) as server:
        publisher = publisher_for(server, fake_clock)
        delivery = one("Self-serve apps may post but not read.")
        server.drop_after_store(path="/rest/posts")
        with pytest.raises(UnknownOutcome):
            publisher.publish_part(delivery, delivery.parts[0], None)
        found = publisher.lookup(delivery, delivery.parts[0])
        assert found.found is Found.UNKNOWN
        assert "r_member_social" in found.detail and "retry" in found.detail
        # The author's retry: LinkedIn refuses the duplicate and names the post.
        again = publisher.publish_part(delivery, delivery.parts[0], None)
        assert [p.urn for p in server.posts] == [again.remote_id]


def test_lookup_matches_the_commentary_among_the_authors_recent_posts(
        server: LinkedInServer, fake_clock: FakeClock) -> None:
    publisher = publisher_for(server, fake_clock)
    delivery = one("Find me later.")
    for n in range(60):  # more than a page of the finder
        server.seed_post(f"an older post {n}")
    assert publisher.lookup(delivery, delivery.parts[0]).found is Found.NO
    sent = publisher.publish_part(delivery, delivery.parts[0], None)
    for n in range(30):
        server.seed_post(f"a later post {n}")
    found = publisher.lookup(delivery, delivery.parts[0])
    assert found.found is Found.YES and found.sent is not None
    assert found.sent.remote_id == sent.remote_id
    pages = server.requests_to("GET", "/rest/posts")
    assert pages[-1].query["start"] == ["50"] and pages[-1].query["q"] == ["author"]


# ---- errors, in LinkedIn's words -----------------------------------------------------------

def test_an_expired_token_says_reconnect_and_how(server: LinkedInServer,
                                                 fake_clock: FakeClock) -> None:
    server.member.expired = True
    publisher = publisher_for(server, fake_clock)
    with pytest.raises(Permanent) as raised:
        publisher.publish_part(one("x"), one("x").parts[0], None)
    words = str(raised.value)
    assert "EXPIRED_ACCESS_TOKEN" in words and "token generator" in words
    assert "LINKEDIN_ACCESS_TOKEN" in words and server.member.token not in words
    status = publisher.check_account()
    assert not status.ok and "token generator" in status.detail


def test_a_token_without_w_member_social_names_the_scope(fake_clock: FakeClock) -> None:
    with LinkedInServer(clock=fake_clock, scopes=("openid", "profile")) as server:
        with pytest.raises(Permanent, match="w_member_social") as raised:
            publisher_for(server, fake_clock).publish_part(one("x"), one("x").parts[0], None)
        assert "403" in str(raised.value) and server.posts == []


def test_a_retired_version_names_the_variable(server: LinkedInServer,
                                              fake_clock: FakeClock) -> None:
    publisher = publisher_for(server, fake_clock, LINKEDIN_VERSION="202201")
    with pytest.raises(Permanent, match="LINKEDIN_VERSION") as raised:
        publisher.publish_part(one("x"), one("x").parts[0], None)
    assert "NONEXISTENT_VERSION" in str(raised.value)


def test_the_daily_limit_waits_for_midnight_utc_and_a_5xx_may_have_landed(
        fake_clock: FakeClock) -> None:
    with LinkedInServer(clock=fake_clock, posts_per_day=1) as server:
        publisher = publisher_for(server, fake_clock)
        publisher.publish_part(one("first"), one("first").parts[0], None)
        with pytest.raises(RateLimited) as raised:
            publisher.publish_part(one("second"), one("second").parts[0], None)
        assert raised.value.reset_at == datetime(2026, 3, 3, tzinfo=UTC)  # START is 03-02
        assert "TOO_MANY_REQUESTS" in str(raised.value)
        fake_clock.advance(10 * 3600)  # past midnight UTC: a new day's allowance
        server.error(502, path="/rest/posts")
        with pytest.raises(Transient) as failed:
            publisher.publish_part(one("second"), one("second").parts[0], None)
        assert failed.value.sent
        assert publisher.publish_part(one("second"), one("second").parts[0], None).remote_id


# ---- the account -----------------------------------------------------------------------------

def test_check_account_says_whose_the_token_is_and_when_it_expires(
        server: LinkedInServer, fake_clock: FakeClock) -> None:
    status = publisher_for(server, fake_clock, LINKEDIN_TOKEN_EXPIRES="2026-04-30").check_account()
    assert status.ok and "Ada Author (urn:li:person:crierAuthor1)" in status.detail
    assert status.expires_at == datetime(2026, 4, 30, tzinfo=UTC)
    assert server.requests_to("GET", "/v2/userinfo")  # under /v2, beside /rest

    unknown = publisher_for(server, fake_clock).check_account()
    assert unknown.ok and unknown.expires_at is None and "LINKEDIN_TOKEN_EXPIRES" in unknown.detail
    past = publisher_for(server, fake_clock, LINKEDIN_TOKEN_EXPIRES="2026-01-31").check_account()
    assert "LINKEDIN_TOKEN_EXPIRES is past" in past.detail

    server.member.scopes.discard("profile")
    unnamed = publisher_for(server, fake_clock).check_account()
    assert not unnamed.ok and "openid profile w_member_social" in unnamed.detail
    server.member.scopes.add("profile")

    other = publisher_for(server, fake_clock, LINKEDIN_AUTHOR_URN="urn:li:person:someoneElse")
    mismatch = other.check_account()
    assert not mismatch.ok and "LINKEDIN_AUTHOR_URN=urn:li:person:crierAuthor1" in mismatch.detail


def test_an_organization_needs_a_posting_role_in_it(server: LinkedInServer,
                                                    fake_clock: FakeClock) -> None:
    page = "urn:li:organization:2414183"
    member = server.member
    publisher = publisher_for(server, fake_clock, LINKEDIN_AUTHOR_URN=page)
    assert not publisher.check_account().ok  # no admin scope: the roles cannot be read
    member.scopes |= {"r_organization_admin", "w_organization_social"}
    assert "no approved role" in publisher.check_account().detail
    member.roles[page] = "ANALYST"
    assert "may not post" in publisher.check_account().detail
    member.roles[page] = "ADMINISTRATOR"
    status = publisher.check_account()
    assert status.ok and page in status.detail
    sent = publisher.publish_part(one("As the page."), one("As the page.").parts[0], None)
    stored = server.post(sent.remote_id)
    assert stored is not None and stored.author == page


@pytest.mark.parametrize(("name", "raw"), [
    ("LINKEDIN_AUTHOR_URN", "https://www.linkedin.com/in/sekrit-person"),
    ("LINKEDIN_AUTHOR_URN", "urn:li:organization:sekrit"),
    ("LINKEDIN_VERSION", "2026-10-sekrit"),
    ("LINKEDIN_VERSION", "202613"),
    ("LINKEDIN_TOKEN_EXPIRES", "30/04/2026-sekrit"),
    ("LINKEDIN_TOKEN_EXPIRES", "2026-02-30"),
    ("LINKEDIN_API_URL", "api.linkedin.com/sekrit"),
])
def test_a_bad_variable_is_named_never_shown(name: str, raw: str, server: LinkedInServer,
                                             fake_clock: FakeClock) -> None:
    with pytest.raises(Permanent) as raised:
        publisher_for(server, fake_clock, **{name: raw})
    assert name in str(raised.value) and raw not in str(raised.value)


def test_over_sockets_the_publisher_reaches_the_fake_and_the_upload_address(
        tmp_path: Path, fake_clock: FakeClock) -> None:
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(LinkedInServer(clock=fake_clock))
        publisher = LinkedInPublisher.from_settings(Settings.from_env(env_for(server)))
        sent = publisher.publish_part(one("Over a socket.", images=1),
                                      one("Over a socket.", images=1).parts[0], None)
        assert server.post(sent.remote_id) is not None
        assert requests.get(f"{server.base_url}/v2/userinfo", timeout=5).status_code == 401


# ---- `crier accounts check` and the desk's accounts page ------------------------------------

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 in New York, the brand's zone


def test_accounts_check_shows_whose_the_account_is_and_when_its_token_expires(
        crier: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduler.service

    monkeypatch.setattr(scheduler.service, "utc_now", lambda: NOW)
    with LinkedInServer() as server:
        for name, value in env_for(server, LINKEDIN_TOKEN_EXPIRES="2027-01-30").items():
            monkeypatch.setenv(name, value)
        table = crier("accounts", "check", "--platform", "linkedin", "--platform", "x")
        as_json = crier("accounts", "check", "--platform", "linkedin", "--json")
        monkeypatch.setenv("LINKEDIN_TOKEN_EXPIRES", "2026-11-28")
        expired = crier("accounts", "check", "--platform", "linkedin")
        server.member.revoked = True
        revoked = crier("accounts", "check", "--platform", "linkedin", "--json")

    header, *rows = table.out.splitlines()
    assert table.code == 0 and header.split("  ")[0:1] == ["network"]
    assert "token expires" in header
    lines = {row.split()[0]: row for row in rows}
    # 2027-01-30 00:00 UTC is 19:00 the day before in New York, 59 days and 10 hours away.
    assert "2027-01-29 19:00 EST, 59 days left" in lines["LinkedIn"]
    assert " ok " in lines["LinkedIn"] and "Ada Author (urn:li:person:crierAuthor1)" in \
        lines["LinkedIn"]
    assert "X_API_KEY" in lines["X"] and "days left" not in lines["X"]

    [check] = json.loads(as_json.out)
    assert check["ok"] is True and check["expires_at"] == "2027-01-30T00:00:00+00:00"
    assert check["days_left"] == 59 and check["expires"] == "2027-01-29 19:00 EST, 59 days left"

    assert "expired 2026-11-27 19:00 EST, 3 days ago" in expired.out
    assert "LINKEDIN_TOKEN_EXPIRES is past" in expired.out

    [gone] = json.loads(revoked.out)
    assert revoked.code == 1 and gone["ok"] is False and "REVOKED_ACCESS_TOKEN" in gone["detail"]
    assert "token generator" in gone["detail"]
    everything = table.out + as_json.out + expired.out + revoked.out + revoked.err
    assert server.member.token not in everything


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_desks_accounts_page_shows_the_expiry_after_a_check(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from scheduler.service import Service
    from scheduler.settings import sqlite_url
    from scheduler.web import create_app

    with LinkedInServer() as server:
        env = {**env_for(server, LINKEDIN_TOKEN_EXPIRES="2027-01-30"),
               "CRIER_BRAND": str(PROJECT_ROOT / "brand.toml"),
               "CRIER_DATA_DIR": str(tmp_path / "data"),
               "CRIER_DATABASE_URL": sqlite_url(tmp_path / "crier.db"),
               "CRIER_OUTBOX_DIR": str(tmp_path / "outbox")}
        service = Service(Settings.from_env(env), clock=lambda: NOW)
        try:
            client = TestClient(create_app(service), base_url="http://127.0.0.1:8080")
            before = client.get("/accounts").text
            csrf = re.search(r'data-csrf="([^"]+)"', before)
            assert csrf is not None
            after = client.post("/accounts", data={"csrf": csrf.group(1)}).text
        finally:
            service.close()
    row = after.split("<td>LinkedIn</td>")[1].split("</tr>")[0]
    assert "2027-01-29 19:00 EST, 59 days left" in row and "Ada Author" in row
    assert "59 days left" not in before  # the page calls no network until asked
    assert server.member.token not in before + after
