"""The Bluesky publisher: plain XRPC over HTTP, one deterministic record key per part.

Plain HTTP (`requests`, already here through tweepy) rather than the `atproto` package: we call
seven XRPC methods (createSession, refreshSession, getSession, resolveHandle, uploadBlob,
createRecord, getRecord), and the package would bring a large generated client and its own
dependencies for them, while hiding exactly what must be under our control here: which request
may have created a post, the timeouts, the record key, and what goes into an error message.

- Session: one login, kept by `session.SessionFile` and renewed with `refreshSession` when the
  access token is about to expire or the server says it has; a fresh login only when the
  refresh token is refused too. Calls go to the PDS the account's DID document names, as the
  reference client does.
- Each part is `com.atproto.repo.createRecord` with a record key (`records.record_key`): a
  second create of the same part cannot make a second post. The reference PDS answers it with
  a 500, so after any failed create the publisher asks `getRecord` for its key before saying
  anything; reconcile is the same `getRecord`.
- Facets come from the composed part (`content.counting.richtext`), recomputed from the text if
  the part has none; mentions get their DID through `resolveHandle`.
- Images: `uploadBlob`, then `app.bsky.embed.images` with alt text and `aspectRatio`. A part
  with a link and no image gets a link card (`cards.fetch_link_card`).
- A thread: each reply names the thread's first part as `root` and the part before as `parent`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests  # type: ignore[import-untyped]

from content.counting.richtext import Facet, detect_facets
from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingPart,
    Permanent,
    PublishError,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.bluesky import PUBLISHER
from scheduler.publishers.bluesky.cards import MAX_BLOB_BYTES, CardFetcher, fetch_link_card
from scheduler.publishers.bluesky.records import (
    POST,
    record_key,
    split_uri,
    timestamp,
    web_url,
)
from scheduler.publishers.bluesky.session import Session, SessionFile, jwt_expiry, pds_endpoint
from scheduler.publishers.http import (
    DEFAULT_TIMEOUT,
    HttpPublisher,
    json_words,
    mime_of,
    require_variables,
    timeouts,
)
from scheduler.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "https://bsky.social"
MAX_IMAGES = 4
# Renew the access token this long before it expires, so no request races its expiry.
REFRESH_MARGIN = timedelta(seconds=60)
_EXPIRED = ("ExpiredToken", "InvalidToken")


class BlueskyPublisher(HttpPublisher):
    """Publishes to one Bluesky account."""

    name = "bluesky"
    label = "Bluesky"

    def __init__(self, handle: str, app_password: str, *, service: str = DEFAULT_SERVICE,
                 session_file: Path, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 card_fetcher: CardFetcher | None = None,
                 session: requests.Session | None = None) -> None:
        super().__init__(secrets=[app_password], timeout=timeout, session=session, clock=clock)
        self.handle = handle.strip().removeprefix("@")
        self.service = service.rstrip("/")
        self.session_file = session_file
        self._kept = SessionFile(session_file, self.service, self.handle)
        self._password = app_password
        self._card_fetcher = card_fetcher or fetch_link_card
        self._lock = threading.RLock()
        self._session: Session | None = None
        self._cids: dict[str, str] = {}  # record URI -> CID, for reply references
        self._dids: dict[str, str | None] = {}  # handle -> DID, for mentions

    @classmethod
    def from_settings(cls, settings: Settings, *, card_fetcher: CardFetcher | None = None,
                      session: requests.Session | None = None) -> BlueskyPublisher:
        """The publisher the settings describe; `card_fetcher` replaces the page reader of
        link cards (tests use one that never leaves the machine)."""
        require_variables(settings, PUBLISHER, "Bluesky")
        handle = settings.require("BLUESKY_HANDLE").removeprefix("@")
        service = settings.value("BLUESKY_SERVICE") or DEFAULT_SERVICE
        if not service.startswith(("http://", "https://")):
            raise Permanent(f"BLUESKY_SERVICE must start with https://, got {service}")
        digest = hashlib.sha256(f"{service.rstrip('/')}|{handle}".encode()).hexdigest()[:12]
        return cls(handle, settings.require("BLUESKY_APP_PASSWORD"), service=service,
                   session_file=settings.data_dir / f"bluesky-session-{digest}.json",
                   timeout=timeouts(settings), card_fetcher=card_fetcher, session=session)

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
        rkey = _record_key(delivery, part.index)
        session = self._current(what)
        uri = f"at://{session.did}/{POST}/{rkey}"
        record: dict[str, Any] = {
            "$type": POST,
            "text": part.text,
            "createdAt": timestamp(self.clock()),
        }
        if part.payload.get("language"):
            record["langs"] = [str(part.payload["language"])]  # BCP 47, as the lexicon says
        facets = self._facets(part, what)
        if facets:
            record["facets"] = facets
        if previous is not None:
            root = f"at://{session.did}/{POST}/{_record_key(delivery, 0)}"
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
        rkey = _record_key(delivery, part.index)
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
        return AccountStatus(True, self.redact(
            f"signed in as @{answer.get('handle')} ({answer.get('did')}) via {self.service}"))

    # ---- steps -----------------------------------------------------------------------------

    def _after_failed_create(self, delivery: OutgoingDelivery, part: OutgoingPart, uri: str,
                             error: PublishError) -> Sent:
        what = _what(delivery, part)
        try:
            found = self._get_record(uri, what)
        except PublishError as check:
            raise UnknownOutcome(self.redact(
                f"{error}; and checking its record key failed: {check}")) from None
        if found is None:
            raise error  # certainly not there; the daemon sends it again later
        if (found.get("value") or {}).get("text") != part.text:
            raise UnknownOutcome(self.redact(
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
                blob = self._upload(image.data, mime_of(image.format), f"{what}, image {position}")
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
            response = self.send(method, f"{base}/xrpc/{nsid}", what, creates_post=creates_post,
                                 headers=sent_headers, **kwargs)
            if 200 <= response.status_code < 300:
                return self.json_body(response, what, creates_post=True)
            body = _json(response)
            error = body.get("error")
            if auth and not renewed and error in _EXPIRED and session is not None:
                self._renew(session, what)
                continue
            if not_found_ok and response.status_code == 400 and (
                    error == "RecordNotFound"
                    or "could not locate record" in str(body.get("message", "")).lower()):
                return None
            raise self.refusal(response, what, creates_post=creates_post)
        raise AssertionError("unreachable")

    def words(self, response: requests.Response) -> str:
        body = _json(response)
        return json_words(body) if body else (response.text or response.reason or "")

    def _current(self, what: str) -> Session:
        """A session with an access token that is good for a while (logging in or renewing)."""
        with self._lock:
            session = self._session or self._load()
            if session is None:
                with self._kept.locked():
                    session = self._load() or self._login(what)
            else:
                expiry = jwt_expiry(session.access_jwt)
                if expiry is not None and expiry - self.clock() < REFRESH_MARGIN:
                    session = self._renew(session, what)
            self._session = session
            return session

    def _renew(self, stale: Session, what: str) -> Session:
        """A new access token: another process's if it already renewed, else refreshSession,
        else a new login."""
        with self._lock, self._kept.locked():
            stored = self._load()
            if stored is not None and stored.access_jwt != stale.access_jwt:
                expiry = jwt_expiry(stored.access_jwt)
                if expiry is None or expiry - self.clock() >= REFRESH_MARGIN:
                    self._session = stored
                    return stored
            response = self.send(
                "POST", f"{stale.pds}/xrpc/com.atproto.server.refreshSession",
                f"{what}: renewing the Bluesky session",
                headers={"Authorization": f"Bearer {stale.refresh_jwt}"})
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
            raise self.refusal(response, f"{what}: renewing the Bluesky session",
                               creates_post=False)

    def _login(self, what: str) -> Session:
        log.info("Bluesky: logging in as @%s on %s", self.handle, self.service)
        response = self.send("POST", f"{self.service}/xrpc/com.atproto.server.createSession",
                             f"{what}: logging in to Bluesky",
                             json={"identifier": self.handle, "password": self._password})
        if response.status_code != 200:
            raise self.refusal(response, f"{what}: logging in to Bluesky as @{self.handle}",
                               creates_post=False)
        return self._adopt(_json(response), self.service, self.service)

    def _adopt(self, answer: Mapping[str, Any], service: str, pds: str) -> Session:
        try:
            session = Session(service, str(answer["handle"]), str(answer["did"]),
                              pds_endpoint(answer, pds), str(answer["accessJwt"]),
                              str(answer["refreshJwt"]))
        except KeyError as exc:
            raise Permanent(f"Bluesky: the session answer lacks {exc}") from None
        self.redact.add(session.access_jwt, session.refresh_jwt)
        with self._lock:
            self._session = session
        self._kept.save(session)
        return session

    def _load(self) -> Session | None:
        session = self._kept.load()
        if session is not None:
            self.redact.add(session.access_jwt, session.refresh_jwt)
        return session


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


def _record_key(delivery: OutgoingDelivery, index: int) -> str:
    """The part's record key, made from the delivery's identity and its scheduled time."""
    if delivery.scheduled_at is None:
        raise Permanent(f"Bluesky: delivery {delivery.id} has no scheduled time, which its "
                        "record keys are made from")
    return record_key(delivery.store_id, delivery.id, index, delivery.scheduled_at)


def _what(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    return f"Bluesky: part {part.index + 1} of {len(delivery.parts)} of delivery {delivery.id}"


__all__ = ["DEFAULT_SERVICE", "BlueskyPublisher"]
