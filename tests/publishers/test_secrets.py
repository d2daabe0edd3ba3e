"""No secret leaves the environment: not in a log line, an error, the database or the outbox.

Recognisable secret values are configured for every network; then posts are published through
the daemon with faults (a lost answer, a 5xx, a 429, a refusal whose error text echoes the
secret), accounts are checked (one with a wrong token), and everything written is searched for
the values: every log record (DEBUG and up, third-party libraries included), every exception
message, every row of every table, every file of the outbox and of the data folder.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fakes.networks as contract
import pytest
from fakes.base import FakeServer
from fakes.linkedin_server import LinkedInServer
from fakes.mastodon_server import MastodonServer
from fakes.meta_server import MetaServer
from fakes.pds import PdsInfo
from fakes.x_server import XServer
from PIL import Image
from s3_server import KEY_ID, running_bucket_server
from sqlalchemy import MetaData, select
from support import Clock

from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.media import MediaError, media_host
from scheduler.outgoing import OutgoingImage
from scheduler.publishers import Registry, secret_values
from scheduler.publishers.base import (
    OutgoingDelivery,
    OutgoingPart,
    Publisher,
    PublishError,
    Reconnect,
)
from scheduler.publishers.bluesky.publisher import BlueskyPublisher
from scheduler.publishers.facebook import FacebookPublisher
from scheduler.publishers.http import Redactor, status_failed
from scheduler.publishers.instagram import InstagramPublisher
from scheduler.publishers.linkedin import LinkedInPublisher
from scheduler.publishers.mastodon import MastodonPublisher
from scheduler.publishers.outbox import OutboxPublisher
from scheduler.publishers.threads import ThreadsPublisher
from scheduler.publishers.x import XPublisher
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store.queue import NewDelivery, NewImage, NewPart, NewPost, insert_posts

SECRETS = {
    "X_API_KEY": "sekrit-consumer-key-7Q2f",
    "X_API_SECRET": "sekrit-consumer-secret-8W3g",
    "X_ACCESS_TOKEN": "1500000000000000001-sekrit-access-9E4h",
    "X_ACCESS_TOKEN_SECRET": "sekrit-token-secret-0R5j",
    "MASTODON_ACCESS_TOKEN": "sekrit-mastodon-token-1T6k",
    "BLUESKY_APP_PASSWORD": "sekrit-bluesky-app-password-2Y7m",
    "LINKEDIN_ACCESS_TOKEN": "sekrit-linkedin-token-4P9q",
    "THREADS_ACCESS_TOKEN": "sekrit-threads-token-4I9p",
    "INSTAGRAM_ACCESS_TOKEN": "sekrit-instagram-token-5O0q",
    "FACEBOOK_PAGE_TOKEN": "sekrit-facebook-page-token-6P1r",
}
# The media bucket's credentials (read by scheduler/media/s3.py, redacted like the networks').
MEDIA_SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "sekrit-aws-secret-key-7Q2s",
    "AWS_SESSION_TOKEN": "sekrit-aws-session-token-8R3t",
}
WRONG_MASTODON_TOKEN = "sekrit-wrong-mastodon-token-3U8n"
START = contract.START


@dataclass
class Target:
    name: str
    publisher: Publisher
    server: FakeServer
    create_path: str
    echo: dict[str, Any]  # an error body that quotes the secrets back
    echo_status: int
    env: dict[str, str]
    secrets: list[str] = field(default_factory=list)
    too_long: str = "a" * 70000  # over every network's limit
    # Renews the account's token before anything is sent (the renewed one is used after).
    refresh: Callable[[], object] | None = None


def x_target(stack: contextlib.ExitStack, tmp_path: Path) -> Target:
    server = stack.enter_context(XServer(consumer_key=SECRETS["X_API_KEY"],
                                         access_token=SECRETS["X_ACCESS_TOKEN"]))
    env = {name: SECRETS[name] for name in ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN",
                                              "X_ACCESS_TOKEN_SECRET")}
    env.update(X_API_BASE_URL=server.base_url, CRIER_DATA_DIR=str(tmp_path / "data"))
    echo = {"detail": f"Consumer {SECRETS['X_API_KEY']} may not post as "
                      f"{SECRETS['X_ACCESS_TOKEN']}", "title": "Bad Request",
            "type": "about:blank", "status": 400}
    publisher = XPublisher.from_settings(Settings.from_env(env))
    return Target("x", publisher, server, "/2/tweets", echo, 400, env)


def mastodon_target(stack: contextlib.ExitStack, tmp_path: Path) -> Target:
    server = stack.enter_context(MastodonServer(token=SECRETS["MASTODON_ACCESS_TOKEN"]))
    env = {"MASTODON_BASE_URL": server.base_url,
           "MASTODON_ACCESS_TOKEN": SECRETS["MASTODON_ACCESS_TOKEN"],
           "CRIER_DATA_DIR": str(tmp_path / "data")}
    echo = {"error": f"The access token {SECRETS['MASTODON_ACCESS_TOKEN']} is not allowed"}
    publisher = MastodonPublisher.from_settings(Settings.from_env(env))
    return Target("mastodon", publisher, server, "/api/v1/statuses", echo, 422, env)


def bluesky_target(stack: contextlib.ExitStack, tmp_path: Path, pds: PdsInfo) -> Target:
    handle, _ = contract.new_account(pds, SECRETS["BLUESKY_APP_PASSWORD"])
    proxy = stack.enter_context(contract.PdsProxy(pds.url))
    page = stack.enter_context(contract.PageServer())
    env = {"BLUESKY_HANDLE": handle, "BLUESKY_APP_PASSWORD": SECRETS["BLUESKY_APP_PASSWORD"],
           "BLUESKY_SERVICE": proxy.base_url, "CRIER_DATA_DIR": str(tmp_path / "data")}
    publisher = BlueskyPublisher.from_settings(
        Settings.from_env(env), card_fetcher=contract.offline_card_fetcher(page))
    echo = {"error": "InvalidRequest",
            "message": f"password {SECRETS['BLUESKY_APP_PASSWORD']} refused"}
    return Target("bluesky", publisher, proxy, "/xrpc/com.atproto.repo.createRecord", echo,
                  400, env)


def linkedin_target(stack: contextlib.ExitStack, tmp_path: Path) -> Target:
    server = stack.enter_context(LinkedInServer(token=SECRETS["LINKEDIN_ACCESS_TOKEN"]))
    env = {"LINKEDIN_ACCESS_TOKEN": SECRETS["LINKEDIN_ACCESS_TOKEN"],
           "LINKEDIN_AUTHOR_URN": server.member.urn, "LINKEDIN_API_URL": f"{server.base_url}/rest",
           "LINKEDIN_TOKEN_EXPIRES": "2026-04-30", "CRIER_DATA_DIR": str(tmp_path / "data")}
    echo = {"status": 422, "code": "UNPROCESSABLE_ENTITY",
            "message": f"Bearer {SECRETS['LINKEDIN_ACCESS_TOKEN']} may not post this"}
    # The daemon's clock starts at START: a 429 waits for the midnight after it, not today's.
    publisher = LinkedInPublisher.from_settings(Settings.from_env(env), clock=lambda: START)
    return Target("linkedin", publisher, server, "/rest/posts", echo, 422, env,
                  too_long="a" * 3001)
META_PUBLISHERS: dict[str, Any] = {"threads": ThreadsPublisher,
                                   "instagram": InstagramPublisher,
                                   "facebook": FacebookPublisher}
META_TOKENS = {"threads": ("THREADS_USER_ID", "THREADS_ACCESS_TOKEN", "THREADS_API_URL"),
               "instagram": ("INSTAGRAM_USER_ID", "INSTAGRAM_ACCESS_TOKEN", "INSTAGRAM_API_URL"),
               "facebook": ("FACEBOOK_PAGE_ID", "FACEBOOK_PAGE_TOKEN", "FACEBOOK_API_URL")}


def meta_target(name: str, stack: contextlib.ExitStack, tmp_path: Path, clock: Clock) -> Target:
    account, token, url = META_TOKENS[name]
    server = stack.enter_context(MetaServer(name, token=SECRETS[token],  # type: ignore[arg-type]
                                            processing_seconds=0))
    env = {account: server.account_id, token: SECRETS[token], url: server.base_url,
           "CRIER_DATA_DIR": str(tmp_path / "data"),
           **contract.media_folder(stack, tmp_path)}
    echo = {"error": {"message": f"Invalid OAuth access token {SECRETS[token]}",
                      "type": "OAuthException", "code": 100, "fbtrace_id": "Aecho"}}
    publisher = META_PUBLISHERS[name].from_settings(Settings.from_env(env), clock=clock)
    refresh = None
    if name != "facebook":
        def refresh() -> object:
            assert publisher.refresh_token(clock()) is None  # too young when first seen
            return publisher.refresh_token(clock() + timedelta(hours=25))
    return Target(name, publisher, server, server.create_path, echo, 400, env, refresh=refresh)


def queue(store: Store, target: Target, parts: tuple[OutgoingPart, ...], due_minutes: int,
          platform: str | None = None, publisher: str | None = None) -> int:
    new_parts = tuple(
        NewPart(p.index, p.text, {},
                tuple(NewImage(i.data, i.format, i.width, i.height, i.alt) for i in p.images))
        for p in parts)
    delivery = NewDelivery(platform or target.name, f"{publisher or target.name}:secrets",
                           publisher or target.name, START + timedelta(minutes=due_minutes),
                           new_parts, max_lateness=timedelta(days=2))
    (delivery_id,) = store.write(
        lambda conn: insert_posts(conn, [NewPost("secrets.md", (delivery,))], START))
    return int(delivery_id)


def drain(store: Store, registry: Registry, clock: Clock) -> None:
    """Run the daemon's claims until nothing is left to do, moving the clock past backoffs."""
    daemon = Daemon(store, registry, DaemonConfig(workers=1, owner="secrets"), clock=clock)
    for _ in range(30):
        futures = daemon.claim(clock())
        for future in futures:
            future.result(timeout=30)
        if not futures:
            if _idle(store):
                return
            clock.advance(hours=3)
    raise AssertionError("the queue did not settle")


def _idle(store: Store) -> bool:
    from scheduler.store import queue as q

    return not q.list_deliveries(store, status=["queued", "publishing"])


def dump_database(store: Store) -> str:
    """Every value of every row of every table, as text."""
    meta = MetaData()
    meta.reflect(store.engine)
    out: list[str] = []
    with store.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                out.extend(repr(value) for value in row)
    return "\n".join(out)


def files_text(folder: Path, skip: Callable[[Path], bool] = lambda p: False) -> str:
    if not folder.exists():
        return ""
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in sorted(folder.rglob("*")) if p.is_file() and not skip(p))


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text or quote(s, safe="") in text]


NETWORKS = ["x", "mastodon", "linkedin", pytest.param("bluesky", marks=pytest.mark.pds),
            "threads", "instagram", "facebook"]


@pytest.mark.parametrize("name", NETWORKS)
def test_no_secret_in_logs_errors_database_or_outbox(
        name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        request: pytest.FixtureRequest) -> None:
    caplog.set_level(logging.DEBUG)
    brand = load_brand(PROJECT_ROOT / "brand.toml")
    errors: list[str] = []
    clock = Clock(START)
    with contextlib.ExitStack() as stack:
        if name in META_PUBLISHERS:
            target = meta_target(name, stack, tmp_path, clock)
        elif name == "x":
            target = x_target(stack, tmp_path)
        elif name == "mastodon":
            target = mastodon_target(stack, tmp_path)
        elif name == "linkedin":
            target = linkedin_target(stack, tmp_path)
        else:
            target = bluesky_target(stack, tmp_path, request.getfixturevalue("pds"))
        store = Store.open(f"sqlite:///{tmp_path / 'crier.db'}")
        stack.callback(store.close)
        outbox = OutboxPublisher(tmp_path / "outbox")
        registry = Registry(Settings(), overrides={target.name: target.publisher, "outbox": outbox})
        if target.refresh is not None:
            assert target.refresh() is not None, "the token was not renewed"

        # A thread through a lost answer, a 5xx and a 429; a copy of it to the outbox.
        parts = contract.post_parts(brand, name)
        thread = queue(store, target, parts, 0)
        if name in contract.SINGLE_POST:  # one post each for the 5xx and the 429
            for tag in (" again", " once more"):
                queue(store, target, contract.single_post(brand, name, tag), 0)
        queue(store, target, parts, 0, platform="threads", publisher="outbox")
        target.server.drop_after_store(path=target.create_path)
        target.server.error(503, path=target.create_path)
        target.server.rate_limit(START.timestamp() + 1800, path=target.create_path)
        drain(store, registry, clock)

        # A refusal that quotes the secrets back, and one too long.
        target.server.error(target.echo_status, path=target.create_path, body=target.echo)
        photo = (contract.jpeg((9, 9, 9), "alt"),) if name == "instagram" else ()
        echoed = queue(store, target, (OutgoingPart(0, "echo", photo),), 60 * 24)
        too_long = queue(store, target, (OutgoingPart(0, target.too_long, photo),), 60 * 24 + 1)
        drain(store, registry, clock)

        # Errors raised straight to a caller, and account checks.
        one = OutgoingDelivery(99, target.name, "x", (OutgoingPart(0, "refused", photo),), "s",
                               "a", scheduled_at=START)
        with target.server.refusing():
            with pytest.raises(PublishError) as refused:
                target.publisher.publish_part(one, one.parts[0], None)
            errors.append(str(refused.value))
            errors.append(target.publisher.check_account().detail)
        target.server.error(target.echo_status, body=target.echo)
        try:
            target.publisher.publish_part(one, one.parts[0], None)
        except PublishError as exc:
            errors.append(str(exc))
        errors.append(target.publisher.check_account().detail)

        from scheduler.store import queue as q

        rows = {r.id: r for r in q.list_deliveries(store)}
        assert rows[thread].status == "published"
        assert rows[echoed].status == "failed" and "***" in str(rows[echoed].last_error)
        assert rows[too_long].status == "failed"
        database = dump_database(store)

    secrets = list(SECRETS.values())
    data = tmp_path / "data"
    session_files = list(data.glob("bluesky-session-*.json"))
    for path in session_files:
        import json

        stored = json.loads(path.read_text())
        secrets += [stored["access_jwt"], stored["refresh_jwt"]]  # session tokens are secrets
        assert SECRETS["BLUESKY_APP_PASSWORD"] not in path.read_text()
        assert path.stat().st_mode & 0o777 == 0o600
    token_files = list(data.glob("*-token.json"))
    if name in ("threads", "instagram"):
        import json

        (kept,) = token_files
        renewed = json.loads(kept.read_text())["token"]
        assert renewed and renewed != SECRETS[META_TOKENS[name][1]]
        secrets.append(renewed)  # the renewed token is a secret too
        assert kept.stat().st_mode & 0o777 == 0o600
        server = target.server
        assert isinstance(server, MetaServer)
        used = [r.headers.get("authorization") for r in server.requests_to("POST")]
        assert f"Bearer {renewed}" in used, "the renewed token was never used"
    session_files += token_files

    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [record.exc_text or "" for record in caplog.records]
        + [caplog.text])
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert leaks(logged, secrets) == []
    assert leaks("\n".join(errors), secrets) == [], errors
    assert leaks(database, secrets) == []
    assert leaks(files_text(tmp_path / "outbox"), secrets) == []
    assert (tmp_path / "outbox" / "threads" / "sent.jsonl").exists()
    assert leaks(files_text(data, skip=lambda p: p in session_files), secrets) == []


def test_accounts_check_names_variables_never_values(
        crier: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with XServer(consumer_key=SECRETS["X_API_KEY"],
                 access_token=SECRETS["X_ACCESS_TOKEN"]) as x, \
            MastodonServer(token=SECRETS["MASTODON_ACCESS_TOKEN"]) as mastodon:
        for name in ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
            monkeypatch.setenv(name, SECRETS[name])
        monkeypatch.setenv("X_API_BASE_URL", x.base_url)
        monkeypatch.setenv("MASTODON_BASE_URL", mastodon.base_url)
        monkeypatch.setenv("MASTODON_ACCESS_TOKEN", WRONG_MASTODON_TOKEN)
        monkeypatch.setenv("BLUESKY_APP_PASSWORD", SECRETS["BLUESKY_APP_PASSWORD"])

        result = crier("-v", "accounts", "check")
        assert result.code == 1  # Mastodon's token is refused
        lines = {line.split()[0]: line for line in result.out.splitlines()}
        assert " ok " in lines["X"] and "@crier_author" in lines["X"]
        assert "FAILED" in lines["Mastodon"] and "401" in lines["Mastodon"]
        assert "BLUESKY_HANDLE" in lines["Bluesky"] and "outbox" in lines["Bluesky"]
        assert "BLUESKY_APP_PASSWORD" not in lines["Bluesky"]  # that one is set

        as_json = crier("accounts", "check", "--json", "--platform", "mastodon")
        assert as_json.code == 1 and '"ok": false' in as_json.out

        monkeypatch.setenv("MASTODON_ACCESS_TOKEN", SECRETS["MASTODON_ACCESS_TOKEN"])
        assert crier("accounts", "check", "--platform", "x", "--platform", "mastodon").code == 0

    everything = result.out + result.err + as_json.out + as_json.err
    assert leaks(everything, [*SECRETS.values(), WRONG_MASTODON_TOKEN]) == []


def test_redactor_replaces_every_known_secret() -> None:
    redact = Redactor(["s3cret-value", None, "", "abc"])  # empty and tiny values are ignored
    redact.add("t0ken/with+chars")
    assert redact("a s3cret-value and t0ken%2Fwith%2Bchars, abc") == "a *** and ***, abc"
    error = status_failed(401, "token s3cret-value is invalid", "Mastodon", creates_post=True,
                          redact=redact)
    assert str(error).startswith("Mastodon: 401 token *** is invalid: ")
    assert isinstance(error, Reconnect) and "s3cret" not in str(error)


def test_no_media_host_secret_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    import io

    caplog.set_level(logging.DEBUG)
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "navy").save(out, "JPEG")
    photo = OutgoingImage(out.getvalue(), "JPEG", 32, 32, "navy")
    errors: list[str] = []
    with running_bucket_server() as server:
        server.client().create_bucket(Bucket="crier-secrets")
        env = {"CRIER_MEDIA_S3_BUCKET": "crier-secrets", "CRIER_MEDIA_S3_REGION": "us-east-1",
               "CRIER_MEDIA_S3_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": KEY_ID,
               **MEDIA_SECRETS}
        settings = Settings.from_env(env)
        host = media_host(settings)
        assert host is not None
        address = host.public_url(photo)  # upload and sign: botocore logs both at DEBUG
        missing = media_host(Settings.from_env({**env, "CRIER_MEDIA_S3_BUCKET": "crier-none"}))
        assert missing is not None
        with pytest.raises(MediaError) as refused:
            missing.public_url(photo)
        errors.append(str(refused.value))

    secrets = list(MEDIA_SECRETS.values())
    # What accounts check and the publishers redact with knows them.
    assert set(secrets) <= set(secret_values(settings))
    assert Redactor(secret_values(settings))(address).count("***") == 1  # the session token
    boto_records = [r for r in caplog.records if r.name.startswith("botocore")]
    assert boto_records, "botocore logged nothing: the test would prove nothing"
    logged = "\n".join([r.getMessage() for r in caplog.records] + [caplog.text])
    assert leaks(logged, secrets) == []
    assert leaks("\n".join(errors), secrets) == [], errors


def test_accounts_check_of_the_meta_networks_names_the_account_never_a_token(
        crier: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sekrit-wrong-instagram-token-7A2s"
    with MetaServer("threads", token=SECRETS["THREADS_ACCESS_TOKEN"]) as threads, \
            MetaServer("instagram", token=SECRETS["INSTAGRAM_ACCESS_TOKEN"]) as instagram, \
            MetaServer("facebook", token=SECRETS["FACEBOOK_PAGE_TOKEN"]) as facebook:
        for server, (account, token, url) in ((threads, META_TOKENS["threads"]),
                                              (instagram, META_TOKENS["instagram"]),
                                              (facebook, META_TOKENS["facebook"])):
            monkeypatch.setenv(account, server.account_id)
            monkeypatch.setenv(token, SECRETS[token])
            monkeypatch.setenv(url, server.base_url)
        monkeypatch.setenv("INSTAGRAM_ACCESS_TOKEN", wrong)
        result = crier("accounts", "check", "--platform", "threads", "--platform", "instagram",
                       "--platform", "facebook")
    lines = {line.split()[0]: line for line in result.out.splitlines()}
    assert result.code == 1  # Instagram's token is refused
    assert " ok " in lines["Threads"] and "@dr.crier" in lines["Threads"]
    assert "FAILED" in lines["Instagram"] and "190" in lines["Instagram"]
    assert " ok " in lines["Facebook"] and "Dr. Crier" in lines["Facebook"]
    assert leaks(result.out + result.err, [*SECRETS.values(), wrong]) == []
