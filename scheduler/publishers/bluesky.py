"""The Bluesky publisher: plain XRPC over HTTP, one deterministic record key per part.

Plain HTTP (`requests`, already here through tweepy) rather than the `atproto` package: we call
seven XRPC methods (createSession, refreshSession, getSession, resolveHandle, uploadBlob,
createRecord, getRecord), and the package would bring a large generated client and its own
dependencies for them, while hiding exactly what must be under our control here: which request
may have created a post, the timeouts, the record key, and what goes into an error message.

- Session: one login (`createSession`, limited to about 100 a day), kept in
  `CRIER_DATA_DIR/bluesky-session-*.json` (mode 0600: the tokens are secrets; the app password
  is never written) and renewed with `refreshSession` when the access token is about to expire
  or the server says it has; a fresh login only when the refresh token is refused too. Calls
  go to the PDS the account's DID document names, as the reference client does.
- Each part is `com.atproto.repo.createRecord` with a record key (a TID) derived from
  (store, delivery, part): a second create of the same part cannot make a second post. The
  reference PDS answers it with a 500, so after any failed create the publisher asks
  `getRecord` for its key before saying anything; reconcile is the same `getRecord`.
- Facets come from the composed part (`content.counting.bluesky`), recomputed from the text if
  the part has none; mentions get their DID through `resolveHandle`.
- Images: `uploadBlob`, then `app.bsky.embed.images` with alt text and `aspectRatio`. A part
  with a link and no image gets a link card (`app.bsky.embed.external`) built from the page's
  Open Graph tags, fetched with a timeout and a size cap; no card when the page cannot be read.
- Threads: each reply names the thread's first part as `root` and the part before as `parent`.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests  # type: ignore[import-untyped]

from content.counting.bluesky import Facet, detect_facets
from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Permanent,
    Publisher,
    PublishError,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.http import (
    DEFAULT_TIMEOUT,
    Redactor,
    connection_failed,
    data_dir,
    json_words,
    new_session,
    status_failed,
    timeout_from_env,
    write_private,
)

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "https://bsky.social"
ENV = ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
POST = "app.bsky.feed.post"
MAX_IMAGES = 4
MAX_BLOB_BYTES = 1_000_000  # older servers refuse more (PLATFORMS.md)
# Renew the access token this long before it expires, so no request races its expiry.
REFRESH_MARGIN = timedelta(seconds=60)
_EXPIRED = ("ExpiredToken", "InvalidToken")
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "JPG": "image/jpeg", "GIF": "image/gif",
         "WEBP": "image/webp"}

# ---- record keys -----------------------------------------------------------------------------

_BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
# A TID is 64 bits: a zero bit, 53 bits of microseconds since 1970, 10 bits of "clock id",
# written as 13 base32-sortable characters (atproto.com/specs/tid). Ours keep that syntax: the
# microseconds are a hash of (store, delivery) placed in 2015-2023, and the clock id is the
# part's index, so a delivery's parts sort in order and every attempt names the same keys.
_TID_EPOCH_MICROS = 1_420_070_400_000_000  # 2015-01-01T00:00:00Z
_TID_SPAN_BITS = 48  # about 8.9 years of microseconds
MAX_PARTS = 1024  # what 10 bits of clock id can index


def record_key(store_id: str, delivery_id: int, index: int) -> str:
    """The record key (a valid TID) of part `index` of a delivery: the same on every attempt."""
    if not 0 <= index < MAX_PARTS:
        raise ValueError(f"part index {index} out of range for a record key")
    digest = hashlib.sha256(f"crier:{store_id}:{delivery_id}".encode()).digest()
    micros = _TID_EPOCH_MICROS + int.from_bytes(digest[:8], "big") % (1 << _TID_SPAN_BITS)
    value = (micros << 10) | index
    return "".join(_BASE32_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def web_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def split_uri(uri: str) -> tuple[str, str, str]:
    """(repo, collection, rkey) of an `at://` URI."""
    repo, _, rest = uri.removeprefix("at://").partition("/")
    collection, _, rkey = rest.partition("/")
    if not (uri.startswith("at://") and repo and collection and rkey):
        raise ValueError(f"not a record URI: {uri!r}")
    return repo, collection, rkey


# ---- the session -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Session:
    service: str  # where the login was made
    handle: str
    did: str
    pds: str  # where the account's repository lives: every call but the login goes there
    access_jwt: str
    refresh_jwt: str


def _jwt_expiry(token: str) -> datetime | None:
    """When a JWT expires, read from its payload (not verified: only to renew it in time)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(float(claims["exp"]), UTC)
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def _pds_endpoint(answer: Mapping[str, Any], fallback: str) -> str:
    """The `#atproto_pds` service of the DID document in a session answer, else `fallback`."""
    doc = answer.get("didDoc")
    services = doc.get("service") if isinstance(doc, dict) else None
    for service in services if isinstance(services, list) else []:
        if (isinstance(service, dict) and str(service.get("id", "")).endswith("#atproto_pds")
                and isinstance(service.get("serviceEndpoint"), str)):
            return str(service["serviceEndpoint"]).rstrip("/")
    return fallback


# ---- link cards ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkCard:
    uri: str
    title: str
    description: str
    image: bytes | None = None
    image_mime: str | None = None


class _OpenGraph(HTMLParser):
    """The Open Graph tags of a page's head, with <title> and the description as fallbacks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, str] = {}
        self.title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = dict(attrs)
            key = (values.get("property") or values.get("name") or "").strip().lower()
            content = values.get("content")
            if key and content is not None and key not in self.tags:
                self.tags[key] = content.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)


CARD_TIMEOUT = (3.0, 5.0)
CARD_MAX_HTML = 512 * 1024  # the head is near the top; no need to read a huge page
CARD_MAX_IMAGE = 5 * 1024 * 1024  # fetched at most; shrunk below MAX_BLOB_BYTES if needed


def fetch_link_card(url: str, session: requests.Session | None = None) -> LinkCard | None:
    """A link card for `url` from its Open Graph tags, or None when the page cannot be read.
    Nothing here raises: a missing card never stops a post."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    session = session or new_session(CARD_TIMEOUT)
    try:
        page = _fetch(session, url, CARD_MAX_HTML, ("text/html", "application/xhtml+xml"))
    except (requests.RequestException, OSError) as exc:
        log.info("no link card for %s: %s", url, type(exc).__name__)
        return None
    if page is None:
        return None
    body, charset = page
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = body.decode("utf-8", errors="replace")
    parser = _OpenGraph()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # badly broken markup: use what was read
        pass
    tags = parser.tags
    title = tags.get("og:title") or tags.get("twitter:title") or "".join(parser.title).strip()
    description = (tags.get("og:description") or tags.get("twitter:description")
                   or tags.get("description") or "")
    image = mime = None
    image_url = tags.get("og:image") or tags.get("og:image:url") or tags.get("twitter:image")
    if image_url:
        try:
            fetched = _fetch(session, urljoin(url, image_url), CARD_MAX_IMAGE, ("image/",))
        except (requests.RequestException, OSError) as exc:
            log.info("no thumbnail for the card of %s: %s", url, type(exc).__name__)
            fetched = None
        if fetched is not None:
            image, mime = _fit_thumbnail(fetched[0])
    return LinkCard(url, " ".join(title.split())[:300], " ".join(description.split())[:1000],
                    image, mime)


def _fetch(session: requests.Session, url: str, cap: int,
           kinds: tuple[str, ...]) -> tuple[bytes, str | None] | None:
    with session.get(url, stream=True, timeout=CARD_TIMEOUT,
                     headers={"Accept": "text/html,image/*;q=0.9"}) as response:
        kind = (response.headers.get("content-type") or "").lower()
        if response.status_code != 200 or not kind.startswith(kinds):
            return None
        data = bytearray()
        for chunk in response.iter_content(64 * 1024):
            data += chunk
            if len(data) > cap:
                if kinds == ("image/",):
                    return None  # a truncated image is no image
                break  # a truncated page still has its head
        # Not `response.encoding`: for text/html without a charset it says ISO-8859-1, while
        # pages without one are nearly all UTF-8.
        charset = re.search(r"charset=[\"']?([\w.:-]+)", kind)
        return bytes(data[:cap]), charset.group(1) if charset else None


def _fit_thumbnail(data: bytes) -> tuple[bytes | None, str | None]:
    """The image as a blob Bluesky takes (at most 1,000,000 bytes), shrunk if it must be."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = (image.format or "").upper()
            if len(data) <= MAX_BLOB_BYTES and kind in _MIME:
                return data, _MIME[kind]
            image.thumbnail((1200, 1200))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=82)
    except (UnidentifiedImageError, OSError, ValueError):
        return None, None
    shrunk = out.getvalue()
    return (shrunk, "image/jpeg") if len(shrunk) <= MAX_BLOB_BYTES else (None, None)


CardFetcher = Callable[[str], LinkCard | None]


# ---- the publisher ---------------------------------------------------------------------------

class BlueskyPublisher(Publisher):
    """Publishes to one Bluesky account."""

    name = "bluesky"

    def __init__(self, handle: str, app_password: str, *, service: str = DEFAULT_SERVICE,
                 session_file: Path, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 card_fetcher: CardFetcher | None = None) -> None:
        self.handle = handle.strip().removeprefix("@")
        self.service = service.rstrip("/")
        self.session_file = session_file
        self.session: requests.Session = new_session(timeout)
        self._password = app_password
        self._redact = Redactor([app_password])
        self._clock = clock
        self._card_fetcher = card_fetcher or fetch_link_card
        self._lock = threading.RLock()
        self._session: _Session | None = None
        self._cids: dict[str, str] = {}  # record URI -> CID, for reply references
        self._dids: dict[str, str | None] = {}  # handle -> DID, for mentions

    @classmethod
    def from_env(cls, env: Mapping[str, str], *,
                 card_fetcher: CardFetcher | None = None) -> BlueskyPublisher:
        """The publisher the environment describes; `card_fetcher` replaces the page reader
        of link cards (tests use one that never leaves the machine)."""
        missing = [name for name in ENV if not env.get(name, "").strip()]
        if missing:
            raise Permanent(f"Bluesky: set {', '.join(missing)} to publish to Bluesky")
        handle = env["BLUESKY_HANDLE"].strip().removeprefix("@")
        service = env.get("BLUESKY_SERVICE", "").strip() or DEFAULT_SERVICE
        if not service.startswith(("http://", "https://")):
            raise Permanent(f"BLUESKY_SERVICE must start with https://, got {service}")
        digest = hashlib.sha256(f"{service.rstrip('/')}|{handle}".encode()).hexdigest()[:12]
        return cls(handle, env["BLUESKY_APP_PASSWORD"].strip(), service=service,
                   session_file=data_dir(env) / f"bluesky-session-{digest}.json",
                   timeout=timeout_from_env(env), card_fetcher=card_fetcher)

    # ---- the interface ---------------------------------------------------------------------

    def publish_part(
        self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> Sent:
        what = _what(delivery, part)
        if len(part.images) > MAX_IMAGES:
            raise Permanent(f"{what}: {len(part.images)} images; Bluesky takes at most "
                            f"{MAX_IMAGES}")
        for position, image in enumerate(part.images, 1):
            if len(image.data) > MAX_BLOB_BYTES:
                raise Permanent(f"{what}: image {position} is {len(image.data)} bytes; "
                                f"Bluesky takes at most {MAX_BLOB_BYTES}")
        session = self._current(what)
        rkey = record_key(delivery.store_id, delivery.id, part.index)
        uri = f"at://{session.did}/{POST}/{rkey}"
        record: dict[str, Any] = {
            "$type": POST,
            "text": part.text,
            "createdAt": _timestamp(self._clock()),
        }
        facets = self._facets(part, what)
        if facets:
            record["facets"] = facets
        if previous is not None:
            root = f"at://{session.did}/{POST}/{record_key(delivery.store_id, delivery.id, 0)}"
            record["reply"] = {"root": self._ref(root, what), "parent": self._ref(
                previous.remote_id, what)}
        embed = self._embed(part, facets, what)
        if embed is not None:
            record["embed"] = embed
        body = {"repo": session.did, "collection": POST, "rkey": rkey, "record": record}
        try:
            created = self._xrpc("POST", "com.atproto.repo.createRecord", what, json=body,
                                 creates_post=True)
        except (Transient, UnknownOutcome) as exc:
            if isinstance(exc, Transient) and not exc.sent:
                raise
            # A repeated record key is refused with a 500, and an unanswered create may have
            # landed: the key says which.
            return self._after_failed_create(delivery, part, uri, exc)
        self._remember(str(created.get("uri") or uri), created.get("cid"))
        log.info("%s: posted as %s", what, uri)
        return Sent(str(created.get("uri") or uri), web_url(session.did, rkey))

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        what = _what(delivery, part)
        session = self._current(what)
        rkey = record_key(delivery.store_id, delivery.id, part.index)
        uri = f"at://{session.did}/{POST}/{rkey}"
        found = self._get_record(uri, what)
        if found is None:
            return Lookup(Found.NO, None, f"no record at {uri}")
        text = (found.get("value") or {}).get("text")
        if text != part.text:
            return Lookup(Found.UNKNOWN, None,
                          f"the record key of this part ({uri}) holds another text")
        self._remember(uri, found.get("cid"))
        return Lookup(Found.YES, Sent(uri, web_url(session.did, rkey)), f"record {uri} exists")

    def check_account(self) -> AccountStatus:
        try:
            self._current("Bluesky")
            answer = self._xrpc("GET", "com.atproto.server.getSession", "Bluesky")
        except PublishError as exc:
            return AccountStatus(False, str(exc))
        return AccountStatus(True, self._redact(
            f"signed in as @{answer.get('handle')} ({answer.get('did')}) via {self.service}"))

    # ---- steps -----------------------------------------------------------------------------

    def _after_failed_create(self, delivery: OutgoingDelivery, part: OutgoingPart, uri: str,
                             error: PublishError) -> Sent:
        what = _what(delivery, part)
        try:
            found = self._get_record(uri, what)
        except PublishError as check:
            raise UnknownOutcome(self._redact(
                f"{error}; and checking its record key failed: {check}")) from None
        if found is None:
            raise error  # certainly not there; the daemon sends it again later
        if (found.get("value") or {}).get("text") != part.text:
            raise UnknownOutcome(self._redact(
                f"{what}: its record key {uri} holds another text ({error})"))
        self._remember(uri, found.get("cid"))
        log.warning("%s: the create failed (%s) but the record is there: already live", what,
                    error)
        _, _, rkey = split_uri(uri)
        return Sent(uri, web_url(split_uri(uri)[0], rkey))

    def _ref(self, uri: str, what: str) -> dict[str, str]:
        """A strong reference {uri, cid} to a post this part replies to."""
        with self._lock:
            cid = self._cids.get(uri)
        if cid is None:
            found = self._get_record(uri, f"{what}: reading the post it replies to")
            if found is None:
                raise Permanent(f"{what}: the post it replies to ({uri}) is gone")
            cid = str(found.get("cid"))
            self._remember(uri, cid)
        return {"uri": uri, "cid": cid}

    def _remember(self, uri: str, cid: object) -> None:
        if isinstance(cid, str) and cid:
            with self._lock:
                self._cids[uri] = cid

    def _facets(self, part: OutgoingPart, what: str) -> list[dict[str, Any]]:
        facets = _payload_facets(part)
        if facets is None:
            facets = detect_facets(part.text)
        out: list[dict[str, Any]] = []
        for facet in facets:
            if facet.kind == "mention":
                did = self._resolve(facet.value, what)
                if did is None:
                    log.info("%s: @%s is not a Bluesky handle that resolves; left as text",
                             what, facet.value)
                    continue
                out.append(facet.to_record(did))
            else:
                out.append(facet.to_record())
        return out

    def _resolve(self, handle: str, what: str) -> str | None:
        with self._lock:
            if handle in self._dids:
                return self._dids[handle]
        try:
            answer = self._xrpc("GET", "com.atproto.identity.resolveHandle",
                                f"{what}: resolving @{handle}", params={"handle": handle},
                                auth=False)
            did = str(answer.get("did") or "") or None
        except Permanent:
            did = None  # no such handle: a mention that stays plain text
        with self._lock:
            self._dids[handle] = did
        return did

    def _embed(self, part: OutgoingPart, facets: list[dict[str, Any]],
               what: str) -> dict[str, Any] | None:
        if part.images:
            images = []
            for position, image in enumerate(part.images, 1):
                blob = self._upload(image.data, _mime(image), f"{what}, image {position}")
                images.append({"alt": image.alt, "image": blob,
                               "aspectRatio": {"width": image.width, "height": image.height}})
            return {"$type": "app.bsky.embed.images", "images": images}
        link = next((feature["uri"] for facet in facets for feature in facet["features"]
                     if feature.get("$type") == "app.bsky.richtext.facet#link"), None)
        if link is None:
            return None
        card = self._card_fetcher(link)
        if card is None:
            return None
        external: dict[str, Any] = {"uri": card.uri, "title": card.title,
                                    "description": card.description}
        if card.image is not None and card.image_mime:
            external["thumb"] = self._upload(card.image, card.image_mime,
                                             f"{what}, link card thumbnail")
        return {"$type": "app.bsky.embed.external", "external": external}

    def _upload(self, data: bytes, mime: str, what: str) -> dict[str, Any]:
        answer = self._xrpc("POST", "com.atproto.repo.uploadBlob", what, data=data,
                            headers={"Content-Type": mime})
        blob = answer.get("blob")
        if not isinstance(blob, dict):
            raise Permanent(f"{what}: uploadBlob answered without a blob")
        return blob

    def _get_record(self, uri: str, what: str) -> dict[str, Any] | None:
        """The record at `uri` ({uri, cid, value}), or None when there is none."""
        repo, collection, rkey = split_uri(uri)
        try:
            found = self._xrpc("GET", "com.atproto.repo.getRecord", f"{what}: getRecord",
                               params={"repo": repo, "collection": collection, "rkey": rkey},
                               auth=False, not_found_ok=True)
        except Permanent as exc:  # a lookup the server refused decides nothing
            raise Transient(str(exc), sent=True) from None
        return found if isinstance(found, dict) else None

    # ---- XRPC and the session --------------------------------------------------------------

    def _xrpc(self, method: str, nsid: str, what: str, *, auth: bool = True,
              creates_post: bool = False, not_found_ok: bool = False,
              headers: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
        """Call one XRPC method; renews the session once if the server says it expired."""
        for renewed in (False, True):
            session = self._current(what) if auth else self._session
            base = session.pds if session is not None else self.service
            sent_headers = dict(headers or {})
            if auth and session is not None:
                sent_headers["Authorization"] = f"Bearer {session.access_jwt}"
            try:
                response = self.session.request(method, f"{base}/xrpc/{nsid}",
                                                 headers=sent_headers, **kwargs)
            except requests.RequestException as exc:
                raise connection_failed(exc, what, creates_post=creates_post,
                                        redact=self._redact) from None
            if 200 <= response.status_code < 300:
                try:
                    return response.json()
                except ValueError:
                    raise UnknownOutcome(self._redact(
                        f"{what}: the server answered with something not JSON")) from None
            body = _json(response)
            error = body.get("error") if isinstance(body, dict) else None
            if auth and not renewed and error in _EXPIRED and session is not None:
                self._renew(session, what)
                continue
            if not_found_ok and response.status_code == 400 and (
                    error == "RecordNotFound"
                    or "could not locate record" in str(body.get("message", "")).lower()):
                return None
            words = json_words(body) if body else (response.text or response.reason or "")
            raise status_failed(response.status_code, str(words), f"{what}: Bluesky said",
                                creates_post=creates_post, redact=self._redact,
                                headers=response.headers)
        raise AssertionError("unreachable")

    def _current(self, what: str) -> _Session:
        """A session with an access token that is good for a while (logging in or renewing)."""
        with self._lock:
            session = self._session or self._load()
            if session is None:
                with self._file_lock():
                    session = self._load() or self._login(what)
            else:
                expiry = _jwt_expiry(session.access_jwt)
                if expiry is not None and expiry - self._clock() < REFRESH_MARGIN:
                    session = self._renew(session, what)
            self._session = session
            return session

    def _renew(self, stale: _Session, what: str) -> _Session:
        """A new access token: another process's if it already renewed, else refreshSession,
        else a new login."""
        with self._lock, self._file_lock():
            stored = self._load()
            if stored is not None and stored.access_jwt != stale.access_jwt:
                expiry = _jwt_expiry(stored.access_jwt)
                if expiry is None or expiry - self._clock() >= REFRESH_MARGIN:
                    self._session = stored
                    return stored
            try:
                response = self.session.post(
                    f"{stale.pds}/xrpc/com.atproto.server.refreshSession",
                    headers={"Authorization": f"Bearer {stale.refresh_jwt}"})
            except requests.RequestException as exc:
                raise connection_failed(exc, f"{what}: renewing the Bluesky session",
                                        creates_post=False, redact=self._redact) from None
            if response.status_code == 200:
                session = self._adopt(_json(response), stale.service, stale.pds)
                log.info("Bluesky: session renewed for @%s", session.handle)
                return session
            body = _json(response)
            if response.status_code in (400, 401) and body.get("error") in (
                    *_EXPIRED, "AuthenticationRequired", "AuthMissing"):
                log.info("Bluesky: the refresh token was refused (%s); logging in again",
                         body.get("error"))
                return self._login(what)
            raise status_failed(response.status_code, json_words(body),
                                f"{what}: renewing the Bluesky session", creates_post=False,
                                redact=self._redact, headers=response.headers)

    def _login(self, what: str) -> _Session:
        log.info("Bluesky: logging in as @%s on %s", self.handle, self.service)
        try:
            response = self.session.post(
                f"{self.service}/xrpc/com.atproto.server.createSession",
                json={"identifier": self.handle, "password": self._password})
        except requests.RequestException as exc:
            raise connection_failed(exc, f"{what}: logging in to Bluesky", creates_post=False,
                                    redact=self._redact) from None
        if response.status_code != 200:
            body = _json(response)
            raise status_failed(response.status_code, json_words(body) or response.reason,
                                f"{what}: logging in to Bluesky as @{self.handle}",
                                creates_post=False, redact=self._redact,
                                headers=response.headers)
        return self._adopt(_json(response), self.service, self.service)

    def _adopt(self, answer: Mapping[str, Any], service: str, pds: str) -> _Session:
        try:
            session = _Session(service, str(answer["handle"]), str(answer["did"]),
                               _pds_endpoint(answer, pds), str(answer["accessJwt"]),
                               str(answer["refreshJwt"]))
        except KeyError as exc:
            raise Permanent(f"Bluesky: the session answer lacks {exc}") from None
        self._redact.add(session.access_jwt, session.refresh_jwt)
        with self._lock:
            self._session = session
        try:
            write_private(self.session_file, json.dumps(asdict(session)).encode())
        except OSError as exc:  # the session still works; the next process logs in again
            log.warning("Bluesky: cannot keep the session in %s: %s", self.session_file,
                        exc.strerror)
        return session

    def _load(self) -> _Session | None:
        try:
            stored = json.loads(self.session_file.read_text(encoding="utf-8"))
            session = _Session(**stored)
        except (OSError, ValueError, TypeError):
            return None
        if session.service != self.service or session.handle.lower() != self.handle.lower():
            return None
        self._redact.add(session.access_jwt, session.refresh_jwt)
        return session

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Across processes: one login or renewal at a time (a refresh token works once)."""
        path = self.session_file.with_name(self.session_file.name + ".lock")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a")
        except OSError:
            yield  # no shared folder: each process keeps its own session
            return
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield


def _payload_facets(part: OutgoingPart) -> list[Facet] | None:
    """The facets the formatter found for this part, or None when it has none to offer (or
    they do not fit the text: then they are recomputed)."""
    raw = part.payload.get("facets")
    if not isinstance(raw, list):
        return None
    size = len(part.text.encode("utf-8"))
    facets = []
    for item in raw:
        try:
            facet = Facet(int(item["byteStart"]), int(item["byteEnd"]), item["type"],
                          str(item["value"]))
        except (KeyError, TypeError, ValueError):
            return None
        if not 0 <= facet.byte_start < facet.byte_end <= size or facet.kind not in (
                "link", "mention", "tag"):
            return None
        facets.append(facet)
    return facets


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _mime(image: OutgoingImage) -> str:
    return _MIME.get(image.format.upper(), "application/octet-stream")


def _timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _what(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    return f"Bluesky: part {part.index + 1} of {len(delivery.parts)} of delivery {delivery.id}"


__all__ = ["DEFAULT_SERVICE", "ENV", "BlueskyPublisher", "LinkCard", "fetch_link_card",
           "record_key", "split_uri", "web_url"]
