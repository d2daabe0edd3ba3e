"""The networks under test, built on the fakes: what every publisher is asked to publish, each
network's publisher wired to its server (in-process by default, over a socket when a test is
about sockets), how to read back what the server holds, and the store-and-daemon run of the
end-to-end tests. Imported by the tests in `tests/publishers/` (fixtures: its conftest.py).

X, Mastodon and LinkedIn publish to the fakes (the networks' rules, fault switches); Bluesky to
the real reference PDS, reached through a small proxy that injects the same faults; the outbox
takes part where it can. What is on the server is read back from the server itself (the fakes'
stores, the PDS's `listRecords`).
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from PIL import Image
from requests.adapters import HTTPAdapter
from support import Clock

from content.brand import Brand
from content.networks import NETWORKS as RULES
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publishers import Registry
from scheduler.publishers.base import (
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Pending,
    Publisher,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.bluesky.cards import fetch_link_card
from scheduler.publishers.bluesky.publisher import BlueskyPublisher
from scheduler.publishers.facebook import FacebookPublisher
from scheduler.publishers.instagram import InstagramPublisher
from scheduler.publishers.linkedin import LinkedInPublisher, next_midnight
from scheduler.publishers.mastodon import (
    MastodonPublisher,
)
from scheduler.publishers.outbox import OutboxPublisher, read_sent_log
from scheduler.publishers.threads import ThreadsPublisher
from scheduler.publishers.x import RewriteAdapter, XPublisher
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import queue as q

from .base import FakeClock, FakeServer, Request, Response, Route
from .inprocess import session_for
from .linkedin_server import LinkedInServer
from .mastodon_server import MastodonServer
from .meta_server import MediaFolderServer, MetaServer
from .pds import PdsInfo, require_node, running_pds
from .x_server import XServer

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TIMEOUT = "1.5"  # seconds: a `slow` fault of SLOW seconds outlasts it
SLOW = 3.0
ARTICLE = "https://www.example.com/post/glutamate"
X_CONSUMER_SECRET = "contract-consumer-secret"
X_TOKEN_SECRET = "contract-token-secret"

# ---- what every network is asked to publish -------------------------------------------------

def image(color: tuple[int, int, int], alt: str,
          size: tuple[int, int] = (160, 90)) -> OutgoingImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return OutgoingImage(buffer.getvalue(), "PNG", size[0], size[1], alt)


def jpeg(color: tuple[int, int, int], alt: str,
         size: tuple[int, int] = (200, 250)) -> OutgoingImage:
    """A small JPEG of a shape Instagram takes (4:5)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return OutgoingImage(buffer.getvalue(), "JPEG", size[0], size[1], alt)


ALTS = ("A doctor reads brain scans on three monitors.", "A chart of glutamate release.")
def thread_parts(brand: Brand, platform: str, tag: str = "") -> tuple[OutgoingPart, ...]:
    """A four-part thread: two images on the first, a link on the second, the disclaimer and
    the call to action on the last. `tag` makes the texts unique between deliveries."""
    texts = [
        f"Glutamate, briefly{tag}\n\nKetamine acts on depression within hours. #Psychiatry (1/4)",
        f"The whole piece{tag}: {ARTICLE} (2/4)",
        f"The drawback{tag}: sedation, dissociation and hallucinations. (3/4)",
        f"{brand.disclaimer}\n\n{brand.call_to_action_for(platform)} (4/4)",
    ]
    images = (image((31, 58, 95), ALTS[0]), image((242, 184, 128), ALTS[1]))
    return tuple(OutgoingPart(i, text, images if i == 0 else ())
                 for i, text in enumerate(texts))


# Networks that take one post, not a thread: their contract delivery is one part.
SINGLE_POST = tuple(name for name, rules in RULES.items() if not rules.thread)


def single_post(brand: Brand, platform: str, tag: str = "") -> tuple[OutgoingPart, ...]:
    """The contract's post on a network without threads: one post holding all of the thread
    (two JPEGs, which every such network takes, the link, the disclaimer and the call to
    action last), in the network's own syntax as the formatter would send it."""
    text = "\n\n".join(re.sub(r" \(\d/4\)$", "", p.text)
                       for p in thread_parts(brand, platform, tag))
    images = (jpeg((31, 58, 95), ALTS[0]), jpeg((242, 184, 128), ALTS[1]))
    return (OutgoingPart(0, RULES[platform].escape(text), images),)


def post_parts(brand: Brand, platform: str, tag: str = "") -> tuple[OutgoingPart, ...]:
    """The contract's post as `platform` takes it: the four-part thread, or one post."""
    if platform in SINGLE_POST:
        return single_post(brand, platform, tag)
    return thread_parts(brand, platform, tag)


@dataclass(frozen=True)
class ServerPost:
    """A post as the server holds it."""

    id: str  # what the publisher returns as Sent.remote_id
    text: str
    parent: str | None
    alts: tuple[str, ...]
    card: dict[str, Any] | None = None


@dataclass
class Net:
    """One network under test: its publisher, where faults are armed, how to read it back."""

    name: str
    publisher: Publisher
    server: FakeServer | None  # where faults are armed (None: the outbox)
    create_path: str
    posts: Callable[[], list[ServerPost]]
    too_long_words: str
    env: dict[str, str] = field(default_factory=dict)
    account: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # When a 429 armed to reset at an epoch makes the publisher come back: that epoch, unless
    # the network names no reset and the publisher follows the network's documented window.
    reset_at: Callable[[float], datetime] = lambda epoch: datetime.fromtimestamp(epoch, UTC)
    # Whether the network's lookup can be sure a part is not there (Facebook's ranked feed
    # cannot: not found is left to the author).
    proves_absence: bool = True
    needs_image: bool = False
    # What a Pending part left, as the daemon would have committed it, per (delivery, part).
    checkpoints: dict[tuple[str, int, int], Mapping[str, Any]] = field(default_factory=dict)

    def _key(self, delivery: OutgoingDelivery, part: OutgoingPart) -> tuple[str, int, int]:
        return (delivery.store_id, delivery.id, part.index)

    def with_checkpoint(self, delivery: OutgoingDelivery, part: OutgoingPart) -> OutgoingPart:
        return replace(part, checkpoint=self.checkpoints.get(self._key(delivery, part)))

    def send(self, delivery: OutgoingDelivery, part: OutgoingPart,
             previous: Sent | None) -> Sent:
        """Publish one part as the daemon would: a Pending part's checkpoint is kept and the
        part asked for again (the contract's servers process at once: no clock to move)."""
        for _ in range(10):
            result = self.publisher.publish_part(delivery, self.with_checkpoint(delivery, part),
                                                 previous)
            if not isinstance(result, Pending):
                return result
            self.checkpoints[self._key(delivery, part)] = result.checkpoint
        raise AssertionError(f"{self.name}: part {part.index} still pending")

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        return self.publisher.lookup(delivery, self.with_checkpoint(delivery, part))

    def delivery(self, parts: tuple[OutgoingPart, ...], delivery_id: int = 1,
                 store_id: str | None = None) -> OutgoingDelivery:
        return OutgoingDelivery(delivery_id, self.name, self.account or self.name, parts,
                                store_id or uuid.uuid4().hex, "attempt-1", scheduled_at=START)

    def wait_stored(self, count: int = 1) -> None:
        assert self.server is not None
        self.server.wait_handled(count, method="POST", path=self.create_path)


def publish_all(net: Net, delivery: OutgoingDelivery) -> list[Sent]:
    """Publish every part in order, as the daemon does when nothing goes wrong."""
    sent: list[Sent] = []
    for part in delivery.parts:
        sent.append(net.send(delivery, part, sent[-1] if sent else None))
    return sent


# ---- the shared reference PDS ---------------------------------------------------------------

_pds_stack = contextlib.ExitStack()
_pds_info: list[PdsInfo] = []


def shared_pds() -> PdsInfo:
    """The reference PDS, started on first use and shared by every test module that asks."""
    require_node()
    if not _pds_info:
        _pds_info.append(_pds_stack.enter_context(running_pds()))
    return _pds_info[0]


def stop_shared_pds() -> None:
    _pds_stack.close()
    _pds_info.clear()


def new_account(pds: PdsInfo, password: str = "contract-app-password") -> tuple[str, str]:
    """A fresh account on the PDS (so each test starts with an empty repository)."""
    handle = f"crier{uuid.uuid4().hex[:10]}.test"
    response = requests.post(
        f"{pds.url}/xrpc/com.atproto.server.createAccount",
        json={"handle": handle, "email": f"{handle}@example.com", "password": password},
        timeout=30)
    assert response.status_code == 200, response.text
    return handle, str(response.json()["did"])


class PdsProxy(FakeServer):
    """Forwards everything to the PDS, with the fakes' fault switches in between. Addresses of
    the PDS in its answers are rewritten to the proxy's, as a reverse proxy would."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False

    def route_for(self, request: Request) -> Route | None:
        return Route(request.method, re.compile(".*"), self._forward,
                     f"{request.method} {request.path}")

    def dispatch(self, request: Request, route: Route | None) -> Response:
        return self._forward(request)

    def _forward(self, request: Request) -> Response:
        query = f"?{urlencode(request.query, doseq=True)}" if request.query else ""
        headers = {k: v for k, v in request.headers.items()
                   if k not in ("host", "content-length", "connection", "transfer-encoding",
                                "accept-encoding")}
        answer = self.http.request(request.method, self.upstream + request.path + query,
                                   headers=headers, data=request.body or None, timeout=30,
                                   allow_redirects=False)
        body = answer.content.replace(self.upstream.encode(), self.base_url.encode())
        kept = {k: v for k, v in answer.headers.items()
                if k.lower() == "content-type" or k.lower().startswith("ratelimit-")}
        return Response(answer.status_code, body, kept)

    def error_response(self, status: int, message: str) -> Response:
        error = "InternalServerError" if status >= 500 else "InvalidRequest"
        return Response(status, {"error": error, "message": message})

    def fault_rate_limit_response(self, request: Request, route: Route | None,
                                  reset_epoch: float) -> Response:
        return Response(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                        {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0",
                         "RateLimit-Reset": str(int(reset_epoch)),
                         "RateLimit-Policy": "5000;w=3600"})


class PageServer(FakeServer):
    """The article a post links to, with Open Graph tags and a thumbnail."""

    def __init__(self) -> None:
        super().__init__()
        thumb = io.BytesIO()
        Image.new("RGB", (120, 63), (46, 92, 138)).save(thumb, "PNG")
        self.thumb = thumb.getvalue()
        self.add_route("GET", "/post/glutamate", lambda r: Response(200, (
            b'<!doctype html><html><head><title>Fallback title</title>'
            b'<meta property="og:title" content="What&#39;s the deal with Glutamate?">'
            b'<meta property="og:description" content="Ketamine, NMDA and what comes next.">'
            b'<meta property="og:image" content="/thumb.png"></head><body>text</body></html>'),
            {"Content-Type": "text/html; charset=utf-8"}))
        self.add_route("GET", "/thumb.png",
                       lambda r: Response(200, self.thumb, {"Content-Type": "image/png"}))


class _Offline(HTTPAdapter):  # type: ignore[misc]
    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise requests.ConnectionError(f"tests stay offline: {request.url}")


def offline_card_fetcher(page: PageServer) -> Callable[[str], Any]:
    """Link cards read www.example.com from the local page server; any other host fails."""
    session = requests.Session()
    session.mount("http://", _Offline())
    session.mount("https://", _Offline())
    session.mount("https://www.example.com/", RewriteAdapter(page.base_url))
    return lambda url: fetch_link_card(url, session)


# ---- the networks ---------------------------------------------------------------------------

# ---- the networks ---------------------------------------------------------------------------

def make_x(stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path, *,
           sockets: bool = False) -> Net:
    server = stack.enter_context(XServer(clock=fake_clock))
    env = {"X_API_KEY": server.consumer_key, "X_API_SECRET": X_CONSUMER_SECRET,
           "X_ACCESS_TOKEN": server.user.access_token, "X_ACCESS_TOKEN_SECRET": X_TOKEN_SECRET,
           "CRIER_HTTP_TIMEOUT": TIMEOUT, "CRIER_DATA_DIR": str(tmp_path / "data")}
    if sockets:  # in process, every host is the fake: X's own addresses need no rewriting
        env["X_API_BASE_URL"] = server.base_url

    def posts() -> list[ServerPost]:
        with server.lock:
            return [ServerPost(t.id, t.text, t.reply_to,
                               tuple(m.alt_text or "" for m in t.media)) for t in server.tweets]

    publisher = XPublisher.from_settings(Settings.from_env(env), session=_session(server, sockets))
    return Net("x", publisher, server, "/2/tweets", posts,
               "Your Tweet text is too long", env, "x", {"server": server})


def make_mastodon(stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path, *,
                  sockets: bool = False) -> Net:
    server = stack.enter_context(MastodonServer(clock=fake_clock))
    env = {"MASTODON_BASE_URL": server.base_url, "MASTODON_ACCESS_TOKEN": server.account.token,
           "CRIER_HTTP_TIMEOUT": TIMEOUT, "CRIER_DATA_DIR": str(tmp_path / "data")}

    def posts() -> list[ServerPost]:
        with server.lock:
            return [ServerPost(s.id, s.text, s.in_reply_to_id,
                               tuple(m.description or "" for m in s.media))
                    for s in server.statuses]

    publisher = MastodonPublisher.from_settings(Settings.from_env(env),
                                                session=_session(server, sockets))
    return Net("mastodon", publisher, server, "/api/v1/statuses", posts,
               "Text character limit of 500 exceeded", env, f"mastodon:{server.base_url}",
               {"server": server})


def make_bluesky(stack: contextlib.ExitStack, pds: PdsInfo, tmp_path: Path, *,
                 sockets: bool = False) -> Net:
    handle, did = new_account(pds)
    proxy = stack.enter_context(PdsProxy(pds.url))
    page = stack.enter_context(PageServer())
    env = {"BLUESKY_HANDLE": handle, "BLUESKY_APP_PASSWORD": "contract-app-password",
           "BLUESKY_SERVICE": proxy.base_url, "CRIER_HTTP_TIMEOUT": TIMEOUT,
           "CRIER_DATA_DIR": str(tmp_path / "data")}
    publisher = BlueskyPublisher.from_settings(Settings.from_env(env),
                                               card_fetcher=offline_card_fetcher(page),
                                               session=_session(proxy, sockets))

    def posts() -> list[ServerPost]:
        records = requests.get(
            f"{pds.url}/xrpc/com.atproto.repo.listRecords",
            params={"repo": did, "collection": "app.bsky.feed.post", "limit": 100},
            timeout=30).json()["records"]
        out = []
        for record in sorted(records, key=lambda r: (r["value"]["createdAt"], r["uri"])):
            value = record["value"]
            embed = value.get("embed") or {}
            out.append(ServerPost(
                record["uri"], value["text"], ((value.get("reply") or {}).get("parent") or {})
                .get("uri"), tuple(i["alt"] for i in embed.get("images", [])),
                embed.get("external")))
        return out

    return Net("bluesky", publisher, proxy, "/xrpc/com.atproto.repo.createRecord", posts,
               "grapheme too big (maximum 300, got 301)", env, f"bluesky:{handle}",
               {"did": did, "pds": pds, "proxy": proxy, "handle": handle})


def make_linkedin(stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path, *,
                  sockets: bool = False) -> Net:
    server = stack.enter_context(LinkedInServer(clock=fake_clock))
    env = {"LINKEDIN_ACCESS_TOKEN": server.member.token,
           "LINKEDIN_AUTHOR_URN": server.member.urn,
           "LINKEDIN_API_URL": f"{server.base_url}/rest", "CRIER_HTTP_TIMEOUT": TIMEOUT,
           "CRIER_DATA_DIR": str(tmp_path / "data")}

    def now() -> datetime:
        return datetime.fromtimestamp(fake_clock.now(), UTC)

    def posts() -> list[ServerPost]:
        with server.lock:
            return [ServerPost(p.urn, p.commentary, None, tuple(alt for _, alt in p.images))
                    for p in server.posts]

    publisher = LinkedInPublisher.from_settings(Settings.from_env(env),
                                                session=_session(server, sockets), clock=now)
    return Net("linkedin", publisher, server, "/rest/posts", posts,
               "exceeds the maximum allowed 3000", env, f"linkedin:{server.member.urn}",
               {"server": server}, reset_at=lambda epoch: next_midnight(now()))


def make_outbox(tmp_path: Path) -> Net:
    root = tmp_path / "outbox"
    publisher = OutboxPublisher(root)

    def posts() -> list[ServerPost]:
        out = []
        for entry in read_sent_log(root / "outbox-test" / "sent.jsonl"):
            folder = root / "outbox-test" / str(entry["delivery_id"])
            meta = json.loads((folder / f"part-{entry['part']}.json").read_text())
            out.append(ServerPost(entry["remote_id"], meta["text"], entry["in_reply_to"],
                                  tuple(m["alt"] for m in meta["media"])))
        return out

    return Net("outbox-test", publisher, None, "", posts, "", {}, "outbox:test")


def fake_time(clock: FakeClock) -> Callable[[], datetime]:
    """The publisher's clock: the fake server's, so resets and container ages agree."""
    return lambda: datetime.fromtimestamp(clock.now(), UTC)


def media_folder(stack: contextlib.ExitStack, tmp_path: Path) -> dict[str, str]:
    """A folder media host and the web server publishing it, which Meta's fetcher reaches."""
    folder = tmp_path / "media"
    folder.mkdir(parents=True, exist_ok=True)
    server = stack.enter_context(MediaFolderServer(folder))
    return {"CRIER_MEDIA_DIR": str(folder), "CRIER_MEDIA_BASE_URL": server.media_url}


def _meta_posts(server: MetaServer) -> Callable[[], list[ServerPost]]:
    def posts() -> list[ServerPost]:
        return [ServerPost(p.id, p.text, p.reply_to, p.alts) for p in server.live_posts()]
    return posts


def meta_server_of(net: Net) -> MetaServer:
    """The fake Graph server behind a Threads, Instagram or Facebook `Net`."""
    server = net.extra["server"]
    assert isinstance(server, MetaServer)
    return server


def make_threads(stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path, *,
                 sockets: bool = False, processing_seconds: float = 0.0) -> Net:
    server = stack.enter_context(MetaServer("threads", clock=fake_clock,
                                            processing_seconds=processing_seconds))
    env = {"THREADS_USER_ID": server.account_id, "THREADS_ACCESS_TOKEN": server.token,
           "THREADS_API_URL": server.base_url, "CRIER_HTTP_TIMEOUT": TIMEOUT,
           "CRIER_DATA_DIR": str(tmp_path / "data"), **media_folder(stack, tmp_path)}
    publisher = ThreadsPublisher.from_settings(Settings.from_env(env),
                                               session=_session(server, sockets),
                                               clock=fake_time(fake_clock))
    return Net("threads", publisher, server, server.create_path, _meta_posts(server),
               "Param text must be at most 500 characters long", env,
               f"threads:{server.account_id}",
               {"server": server, "upload": server.container_path,
                "listing": f"/{server.account_id}/threads"})


def make_instagram(stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path, *,
                   sockets: bool = False, processing_seconds: float = 0.0) -> Net:
    server = stack.enter_context(MetaServer("instagram", clock=fake_clock,
                                            processing_seconds=processing_seconds))
    env = {"INSTAGRAM_USER_ID": server.account_id, "INSTAGRAM_ACCESS_TOKEN": server.token,
           "INSTAGRAM_API_URL": server.base_url, "CRIER_HTTP_TIMEOUT": TIMEOUT,
           "CRIER_DATA_DIR": str(tmp_path / "data"), **media_folder(stack, tmp_path)}
    publisher = InstagramPublisher.from_settings(Settings.from_env(env),
                                                 session=_session(server, sockets),
                                                 clock=fake_time(fake_clock))
    return Net("instagram", publisher, server, server.create_path, _meta_posts(server),
               "The caption is longer than 2200 characters", env,
               f"instagram:{server.account_id}",
               {"server": server, "upload": server.container_path,
                "listing": f"/{server.account_id}/media"}, needs_image=True)


def make_facebook(stack: contextlib.ExitStack, fake_clock: FakeClock, tmp_path: Path, *,
                  sockets: bool = False) -> Net:
    server = stack.enter_context(MetaServer("facebook", clock=fake_clock))
    env = {"FACEBOOK_PAGE_ID": server.account_id, "FACEBOOK_PAGE_TOKEN": server.token,
           "FACEBOOK_API_URL": server.base_url, "CRIER_HTTP_TIMEOUT": TIMEOUT,
           "CRIER_DATA_DIR": str(tmp_path / "data")}
    publisher = FacebookPublisher.from_settings(Settings.from_env(env),
                                                session=_session(server, sockets),
                                                clock=fake_time(fake_clock))
    return Net("facebook", publisher, server, server.create_path, _meta_posts(server),
               "The message is longer than 63206 characters", env, f"facebook:{server.account_id}",
               {"server": server, "upload": server.container_path,
                "listing": f"/{server.account_id}/feed"}, proves_absence=False)


META = ("threads", "instagram", "facebook")
NETWORKS = ["x", "mastodon", "linkedin", pytest.param("bluesky", marks=pytest.mark.pds),
            *META]

def _session(server: FakeServer, sockets: bool) -> requests.Session | None:
    """None: the publisher's own session, to the server's port; else one served in-process."""
    return None if sockets else session_for(server)


def parts_of(net: Net, brand: Brand, tag: str = "") -> tuple[OutgoingPart, ...]:
    return post_parts(brand, "x" if net.name == "outbox-test" else net.name, tag)


def settle(net: Net, delivery: OutgoingDelivery, part: OutgoingPart,
           previous: Sent | None) -> Sent:
    """Publish a part whose answer may be lost: what the daemon does, the lookup included."""
    try:
        return net.send(delivery, part, previous)
    except (UnknownOutcome, Transient) as exc:
        assert not isinstance(exc, Transient) or exc.sent, exc
        net.wait_stored()
        found = net.lookup(delivery, part)
        assert found.found is Found.YES, found.detail
        assert found.sent is not None
        return found.sent


# ---- end to end: the store and the daemon ---------------------------------------------------

@dataclass
class Run:
    """A store with one delivery of the contract thread, and a daemon to publish it."""

    net: Net
    store: Store
    delivery_id: int
    clock: Clock

    def publish(self) -> list[str]:
        registry = Registry(Settings(), overrides={self.net.name: self.net.publisher})
        daemon = Daemon(self.store, registry,
                        DaemonConfig(workers=1, owner="contract"), clock=self.clock)
        outcomes = [future.result(timeout=30) for future in daemon.claim(self.clock())]
        # A Meta container is committed, then published when the part comes back: what the
        # daemon does at the part's retry time, without waiting for it.
        for _ in range(20):
            if outcomes != ["pending"]:
                break
            self.clock.now = max(self.clock.now, self.row().next_attempt_at)
            outcomes = [future.result(timeout=30) for future in daemon.claim(self.clock())]
        return outcomes

    def row(self) -> q.DeliveryRow:
        (row,) = q.list_deliveries(self.store, ids=[self.delivery_id])
        return row

    def remote_ids(self) -> list[str | None]:
        return [p.remote_id for p in q.show(self.store, self.delivery_id).parts]


def assert_each_part_once(run: Run) -> None:
    posts = run.net.posts()
    texts = [p.text for p in posts]
    wanted = [p.text for p in parts_of(run.net, load_brand(PROJECT_ROOT / "brand.toml"))]
    assert texts == wanted
    assert [p.id for p in posts] == run.remote_ids()
    assert [p.parent for p in posts] == [None] + [p.id for p in posts[:-1]]


def _png() -> tuple[bytes]:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 90), (20, 40, 60)).save(buffer, "PNG")
    return (buffer.getvalue(),)

