"""The Mastodon publisher, and the server's own limits for the formatter (`instance_limits`).

- Images go up first (`POST /api/v2/media`, the alt text as `description`), then the status
  (`POST /api/v1/statuses`, a reply to the part before it for a thread).
- A medium the server is still processing (202, or `url: null`) would be refused on a status,
  and waiting for it would hold a worker: the part ends `Pending({"media_ids": [...]})`, and
  when the daemon comes back it asks `GET /api/v1/media/:id` and posts once all are ready.
- Every status carries an `Idempotency-Key` derived from (store, delivery, part): Mastodon keeps
  it an hour per account and answers a repeat with the original status, so a resend after an
  unknown outcome cannot duplicate the part.
- Reconcile also reads the account's recent statuses and looks for the part's text (the HTML
  Mastodon renders, turned back into text and compared without URLs and mention domains), so
  a part that landed is found even after the key's hour.
- Visibility and the optional content warning come with each part's payload, from the brand
  file's [mastodon] section (the formatter has already counted the warning into the length, as
  the server does); without them a status is public with no warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import requests  # type: ignore[import-untyped]

from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Pending,
    Permanent,
    PublisherSpec,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.http import (
    DEFAULT_TIMEOUT,
    HttpPublisher,
    Page,
    mime_of,
    new_session,
    require_variables,
    timeouts,
    utc_now,
    write_private,
)
from scheduler.settings import Settings

log = logging.getLogger(__name__)

VISIBILITIES = ("public", "unlisted", "private", "direct")
# Reconcile reads the last 80 statuses (2 pages of 40, the API's largest page).
RECENT_PAGES = 2
PAGE_SIZE = 40
# Media still processing: look again this much later; give up after this long.
MEDIA_RETRY = timedelta(seconds=5)
MEDIA_GIVE_UP = timedelta(minutes=30)
INSTANCE_TTL = timedelta(hours=24)


def idempotency_key(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    """The same on every attempt at one part, different for every other part anywhere."""
    seed = f"crier:{delivery.store_id}:{delivery.id}:{part.index}".encode()
    return "crier-" + hashlib.sha256(seed).hexdigest()[:40]


class MastodonPublisher(HttpPublisher):
    """Publishes to one Mastodon account on one server."""

    name = "mastodon"
    label = "Mastodon"

    def __init__(self, base_url: str, access_token: str, *, visibility: str = "public",
                 content_warning: str = "", timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        if visibility not in VISIBILITIES:
            raise Permanent(f"MASTODON_VISIBILITY must be one of {', '.join(VISIBILITIES)}, "
                            f"got {visibility!r}")
        super().__init__(secrets=[access_token], timeout=timeout, session=session, clock=clock)
        self.base_url = base_url.rstrip("/")
        self.visibility = visibility
        self.content_warning = content_warning
        self._authorization = f"Bearer {access_token}"

    @classmethod
    def from_settings(cls, settings: Settings, *,
                      session: requests.Session | None = None,
                      clock: Callable[[], datetime] = utc_now) -> MastodonPublisher:
        require_variables(settings, PUBLISHER, "Mastodon")
        base_url = settings.require("MASTODON_BASE_URL")
        if not base_url.startswith(("http://", "https://")):
            raise Permanent(f"MASTODON_BASE_URL must start with https://, got {base_url}")
        return cls(base_url, settings.require("MASTODON_ACCESS_TOKEN"),
                   timeout=timeouts(settings), session=session, clock=clock)

    # ---- the interface ---------------------------------------------------------------------

    def publish_part(
        self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> Sent | Pending:
        what = _what(delivery, part)
        media = self._media(part, what)
        if isinstance(media, Pending):
            return media
        visibility = str(part.payload.get("visibility") or self.visibility)
        warning = str(part.payload.get("content_warning") or self.content_warning)
        body: dict[str, Any] = {"status": part.text, "visibility": visibility}
        if media:
            body["media_ids"] = media
        if previous is not None:
            body["in_reply_to_id"] = previous.remote_id
        if warning:
            body["spoiler_text"] = warning
        language = str(part.payload.get("language") or "")
        if language:
            # Mastodon takes an ISO 639 code (PLATFORMS.md): the tag's first subtag.
            body["language"] = language.partition("-")[0]
        headers = {"Idempotency-Key": idempotency_key(delivery, part)}
        status = self.request("POST", self._url("/api/v1/statuses"), what, creates_post=True,
                              json=body, headers=headers)
        status_id = str(status.get("id") or "")
        if not status_id:
            raise UnknownOutcome(self.redact(f"{what}: Mastodon answered without a status id"))
        log.info("%s: posted as %s", what, status_id)
        return Sent(status_id, status.get("url") or status.get("uri"))

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        what = _what(delivery, part)
        try:
            return self._search(what, part)
        except Permanent as exc:  # e.g. a token without read:statuses
            return Lookup(Found.UNKNOWN, None,
                          f"cannot read the account's statuses ({exc}); look on Mastodon")

    def check_account(self) -> AccountStatus:
        try:
            account = self.whoami("Mastodon", fresh=True)
        except (Permanent, Transient) as exc:
            return AccountStatus(False, str(exc))
        except Exception as exc:  # a rate limit or an odd answer: not working either way
            return AccountStatus(False, self.redact(f"Mastodon: {exc}"))
        return AccountStatus(True, self.redact(
            f"signed in as @{account.get('acct')} on {self.base_url}"))

    def fetch_identity(self, what: str) -> dict[str, Any]:
        account = self.request("GET", self._url("/api/v1/accounts/verify_credentials"),
                               f"{what}: checking the account")
        if not isinstance(account, dict):
            raise Permanent(f"{what}: Mastodon did not say whose the token is")
        return account

    def send(self, method: str, url: str, what: str, *, creates_post: bool = False,
             **kwargs: Any) -> requests.Response:
        # Per request, not on the session: an injected session may serve several accounts.
        kwargs["headers"] = {"Authorization": self._authorization, **kwargs.get("headers", {})}
        return super().send(method, url, what, creates_post=creates_post, **kwargs)

    # ---- steps -----------------------------------------------------------------------------

    def _media(self, part: OutgoingPart, what: str) -> list[str] | Pending:
        """The part's media ids once all are processed, or Pending while some are not."""
        if not part.images:
            return []
        checkpoint = part.checkpoint or {}
        ids = [str(i) for i in checkpoint.get("media_ids") or []]
        since = _instant(checkpoint.get("since")) or self.clock()
        if len(ids) == len(part.images):
            ready = self._processed(ids, what)
            if ready is None:  # the server forgot them (expired): upload afresh
                ids = []
        if len(ids) != len(part.images):
            ids, ready, since = [], True, self.clock()
            for n, image in enumerate(part.images, 1):
                media_id, done = self._upload(image, f"{what}, image {n}")
                ids.append(media_id)
                ready = ready and done
        if ready:
            return ids
        if self.clock() - since > MEDIA_GIVE_UP:
            raise Permanent(f"{what}: Mastodon was still processing the images after "
                            f"{MEDIA_GIVE_UP}; retry the delivery to upload them again")
        return Pending({"media_ids": ids, "since": since.isoformat()},
                       self.clock() + MEDIA_RETRY, f"{what}: Mastodon is processing the images")

    def _upload(self, image: OutgoingImage, what: str) -> tuple[str, bool]:
        """(media id, processed already) of one uploaded image."""
        mime = mime_of(image.format)
        response = self.send("POST", self._url("/api/v2/media"), what,
                             files={"file": (f"image.{mime.rpartition('/')[2]}", image.data,
                                             mime)},
                             data={"description": image.alt})
        if not 200 <= response.status_code < 300:
            raise self.refusal(response, what, creates_post=False)
        media = self.json_body(response, what, creates_post=False)
        media_id = str(media.get("id") or "") if isinstance(media, dict) else ""
        if not media_id:
            raise Permanent(self.redact(f"{what}: Mastodon answered without a media id"))
        return media_id, response.status_code == 200 and media.get("url") is not None

    def _processed(self, ids: list[str], what: str) -> bool | None:
        """Whether every medium is processed; None when one is gone from the server."""
        ready = True
        for media_id in ids:
            response = self.send("GET", self._url(f"/api/v1/media/{media_id}"), what)
            if response.status_code == 404:
                return None
            if response.status_code == 422:
                raise Permanent(self.redact(
                    f"{what}: Mastodon could not process medium {media_id}: "
                    f"{self.words(response)}"))
            if not 200 <= response.status_code < 300:
                raise self.refusal(response, what, creates_post=False)
            media = self.json_body(response, what, creates_post=False)
            ready = ready and response.status_code == 200 and media.get("url") is not None
        return ready

    def _search(self, what: str, part: OutgoingPart) -> Lookup:
        account_id = str(self.whoami(what).get("id"))
        want = comparable(part.text)

        def page(max_id: str | None) -> Page[dict[str, Any]]:
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            if max_id:
                params["max_id"] = max_id
            statuses = self.request("GET", self._url(f"/api/v1/accounts/{account_id}/statuses"),
                                    what, params=params)
            if not isinstance(statuses, list) or not statuses:
                return [], None
            return statuses, str(statuses[-1].get("id"))

        def same(status: dict[str, Any]) -> bool:
            return comparable(html_to_text(str(status.get("content") or ""))) == want

        statuses = self.read_recent(page, pages=RECENT_PAGES, stop=same)
        for status in statuses:
            if same(status):
                sent = Sent(str(status["id"]), status.get("url") or status.get("uri"))
                return Lookup(Found.YES, sent, f"status {status['id']} has the part's text")
        # Not found: a resend carries the same Idempotency-Key, so even a status missed here
        # (within its hour) comes back as the original instead of a second copy.
        return Lookup(Found.NO, None,
                      f"not among the account's {len(statuses)} most recent statuses on "
                      f"{self.base_url}")

    def _url(self, path: str) -> str:
        return self.base_url + path


def _instant(raw: object) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# ---- comparing texts -------------------------------------------------------------------------

class _Text(HTMLParser):
    """Mastodon's status HTML back to text: paragraphs and line breaks kept, tags dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.out.append("\n\n")
            self._paragraphs += 1

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.out)


_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_MENTION_DOMAIN = re.compile(r"(?<![\w/=])(@\w[\w.-]*?)@[\w-]+(?:\.[\w-]+)+")


def comparable(text: str) -> str:
    """A status's text in the form both sides can be compared in: NFC, no URLs (Mastodon may
    render them shortened), mentions without their domain (it shows local ones bare),
    whitespace collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = _MENTION_DOMAIN.sub(r"\1", _URL.sub(" ", text))
    return " ".join(text.split())


# ---- the server's limits ---------------------------------------------------------------------

# What the formatter reads from `/api/v2/instance`: the rules' field -> (section, key).
_LIMITS = {
    "limit": ("statuses", "max_characters"),
    "url_length": ("statuses", "characters_reserved_per_url"),
    "max_images": ("statuses", "max_media_attachments"),
    "alt_limit": ("media_attachments", "description_limit"),
    "image_bytes": ("media_attachments", "image_size_limit"),
}
_limits_cache: dict[str, tuple[datetime, dict[str, int]]] = {}
_limits_lock = threading.Lock()


def instance_limits(settings: Settings, *, now: datetime | None = None,
                    session: requests.Session | None = None) -> dict[str, int]:
    """The limits the configured server sets (`GET /api/v2/instance`), as the rules' fields:
    {"limit": max_characters, "url_length": characters_reserved_per_url, "max_images",
    "alt_limit", "image_bytes"}, each only when the server names it.

    Cached in memory and in `settings.data_dir/mastodon-instance-*.json` for 24 hours. When the
    server cannot be asked, the last answer is used however old, else {} (Mastodon's defaults
    hold); either way a warning is logged. Without MASTODON_BASE_URL: {}.
    """
    base_url = (settings.value("MASTODON_BASE_URL") or "").rstrip("/")
    if not base_url:
        return {}
    now = now or datetime.now(UTC)
    with _limits_lock:
        cached = _limits_cache.get(base_url)
    if cached is not None and now - cached[0] < INSTANCE_TTL:
        return dict(cached[1])
    path = _instance_file(settings, base_url)
    stored = _read_instance(path, base_url)
    if stored is not None and now - stored[0] < INSTANCE_TTL:
        limits = _limits(stored[1])
        with _limits_lock:
            _limits_cache[base_url] = (stored[0], limits)
        return dict(limits)
    try:
        configuration = _fetch_instance(base_url, session or new_session(timeouts(settings)))
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        if stored is not None:
            log.warning("Mastodon: cannot read %s/api/v2/instance (%s); using its limits from "
                        "%s", base_url, type(exc).__name__, stored[0].isoformat())
            return _limits(stored[1])
        log.warning("Mastodon: cannot read %s/api/v2/instance (%s); assuming Mastodon's "
                    "defaults", base_url, type(exc).__name__)
        return {}
    try:
        write_private(path, json.dumps({"base_url": base_url, "fetched_at": now.isoformat(),
                                        "configuration": configuration}).encode())
    except OSError as exc:
        log.warning("Mastodon: cannot cache the server's limits in %s: %s", path, exc.strerror)
    limits = _limits(configuration)
    with _limits_lock:
        _limits_cache[base_url] = (now, limits)
    return dict(limits)


def clear_instance_cache() -> None:
    """Forget the limits kept in memory (the files stay)."""
    with _limits_lock:
        _limits_cache.clear()


def _instance_file(settings: Settings, base_url: str) -> Path:
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:12]
    return settings.data_dir / f"mastodon-instance-{digest}.json"


def _read_instance(path: Path, base_url: str) -> tuple[datetime, dict[str, Any]] | None:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("base_url") != base_url:
            return None
        return datetime.fromisoformat(stored["fetched_at"]), dict(stored["configuration"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _fetch_instance(base_url: str, session: requests.Session) -> dict[str, Any]:
    response = session.get(f"{base_url}/api/v2/instance")
    response.raise_for_status()
    configuration = response.json()["configuration"]
    if not isinstance(configuration, dict):
        raise TypeError("configuration is not an object")
    return configuration


def _limits(configuration: Mapping[str, Any]) -> dict[str, int]:
    limits: dict[str, int] = {}
    for field_name, (section, key) in _LIMITS.items():
        value = (configuration.get(section) or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            limits[field_name] = value
    return limits


def _what(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    return f"Mastodon: part {part.index + 1} of {len(delivery.parts)} of delivery {delivery.id}"


PUBLISHER = PublisherSpec(
    network="mastodon",
    variables=("MASTODON_BASE_URL", "MASTODON_ACCESS_TOKEN"),
    account_variable="MASTODON_BASE_URL",
    secrets=("MASTODON_ACCESS_TOKEN",),
    factory=MastodonPublisher.from_settings,
    server_limits=instance_limits,
)

__all__ = ["PUBLISHER", "MastodonPublisher", "clear_instance_cache", "comparable",
           "html_to_text", "idempotency_key", "instance_limits"]
