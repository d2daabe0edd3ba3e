"""The Mastodon publisher, and the server's own limits for the formatter (`instance_rules`).

- Images go up first (`POST /api/v2/media`, the alt text as `description`), then the status
  (`POST /api/v1/statuses`, a reply to the part before it for a thread).
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
import time
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import requests  # type: ignore[import-untyped]

from content.networks import NETWORKS as PLATFORMS
from content.networks import NetworkRules as PlatformRules
from content.networks import ServerLimits
from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Permanent,
    Publisher,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.http import (
    DEFAULT_TIMEOUT,
    Redactor,
    connection_failed,
    data_dir,
    new_session,
    response_words,
    status_failed,
    timeout_from_env,
    write_private,
)

log = logging.getLogger(__name__)

ENV = ("MASTODON_BASE_URL", "MASTODON_ACCESS_TOKEN")
VISIBILITIES = ("public", "unlisted", "private", "direct")
# Reconcile reads the last 80 statuses (2 pages of 40, the API's largest page).
RECENT_PAGES = 2
PAGE_SIZE = 40
# A media upload answered 202 is still processing: ask again this often, this many times.
MEDIA_POLL_SECONDS = 0.5
MEDIA_POLLS = 20
INSTANCE_TTL = timedelta(hours=24)
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "JPG": "image/jpeg", "GIF": "image/gif",
         "WEBP": "image/webp"}


def idempotency_key(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    """The same on every attempt at one part, different for every other part anywhere."""
    seed = f"crier:{delivery.store_id}:{delivery.id}:{part.index}".encode()
    return "crier-" + hashlib.sha256(seed).hexdigest()[:40]


class MastodonPublisher(Publisher):
    """Publishes to one Mastodon account on one server."""

    name = "mastodon"

    def __init__(self, base_url: str, access_token: str, *, visibility: str = "public",
                 content_warning: str = "", timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if visibility not in VISIBILITIES:
            raise Permanent(f"MASTODON_VISIBILITY must be one of {', '.join(VISIBILITIES)}, "
                            f"got {visibility!r}")
        self.base_url = base_url.rstrip("/")
        self.visibility = visibility
        self.content_warning = content_warning
        self.session: requests.Session = new_session(timeout)
        self._token = access_token
        self._redact = Redactor([access_token])
        self._sleep = sleep
        self._lock = threading.Lock()
        self._account: dict[str, Any] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MastodonPublisher:
        missing = [name for name in ENV if not env.get(name, "").strip()]
        if missing:
            raise Permanent(f"Mastodon: set {', '.join(missing)} to publish to Mastodon")
        base_url = env["MASTODON_BASE_URL"].strip()
        if not base_url.startswith(("http://", "https://")):
            raise Permanent(f"MASTODON_BASE_URL must start with https://, got {base_url}")
        return cls(base_url, env["MASTODON_ACCESS_TOKEN"].strip(),
                   timeout=timeout_from_env(env))

    # ---- the interface ---------------------------------------------------------------------

    def publish_part(
        self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> Sent:
        what = _what(delivery, part)
        media_ids = [self._upload(image, f"{what}, image {n}")
                     for n, image in enumerate(part.images, 1)]
        visibility = str(part.payload.get("visibility") or self.visibility)
        warning = str(part.payload.get("content_warning") or self.content_warning)
        body: dict[str, Any] = {"status": part.text, "visibility": visibility}
        if media_ids:
            body["media_ids"] = media_ids
        if previous is not None:
            body["in_reply_to_id"] = previous.remote_id
        if warning:
            body["spoiler_text"] = warning
        headers = {"Idempotency-Key": idempotency_key(delivery, part)}
        status = self._request("POST", "/api/v1/statuses", what, creates_post=True,
                               json=body, headers=headers)
        status_id = str(status.get("id") or "")
        if not status_id:
            raise UnknownOutcome(self._redact(f"{what}: Mastodon answered without a status id"))
        log.info("%s: posted as %s", what, status_id)
        return Sent(status_id, status.get("url") or status.get("uri"))

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        what = _what(delivery, part)
        try:
            return self._search(what, part)
        except Permanent as exc:  # e.g. a token without read:statuses
            return Lookup(Found.UNKNOWN, None,
                          f"cannot read the account's statuses ({exc}); look on Mastodon")

    def _search(self, what: str, part: OutgoingPart) -> Lookup:
        account_id = str(self._me(what).get("id"))
        want = comparable(part.text)
        read = 0
        max_id: str | None = None
        for _ in range(RECENT_PAGES):
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            if max_id:
                params["max_id"] = max_id
            page = self._request("GET", f"/api/v1/accounts/{account_id}/statuses", what,
                                 creates_post=False, params=params)
            if not isinstance(page, list) or not page:
                break
            read += len(page)
            for status in page:
                if comparable(html_to_text(str(status.get("content") or ""))) == want:
                    sent = Sent(str(status["id"]), status.get("url") or status.get("uri"))
                    return Lookup(Found.YES, sent, f"status {status['id']} has the part's text")
            max_id = str(page[-1].get("id"))
        # Not found: a resend carries the same Idempotency-Key, so even a status missed here
        # (within its hour) comes back as the original instead of a second copy.
        return Lookup(Found.NO, None,
                      f"not among the account's {read} most recent statuses on "
                      f"{self.base_url}")

    def check_account(self) -> AccountStatus:
        try:
            account = self._me("Mastodon", fresh=True)
        except (Permanent, Transient) as exc:
            return AccountStatus(False, str(exc))
        except Exception as exc:  # a rate limit or an odd answer: not working either way
            return AccountStatus(False, self._redact(f"Mastodon: {exc}"))
        return AccountStatus(True, self._redact(
            f"signed in as @{account.get('acct')} on {self.base_url}"))

    # ---- steps -----------------------------------------------------------------------------

    def _upload(self, image: OutgoingImage, what: str) -> str:
        mime = _MIME.get(image.format.upper(), "application/octet-stream")
        extension = mime.rpartition("/")[2]
        media = self._request(
            "POST", "/api/v2/media", what, creates_post=False,
            files={"file": (f"image.{extension}", image.data, mime)},
            data={"description": image.alt})
        media_id = str(media.get("id") or "")
        if not media_id:
            raise Permanent(self._redact(f"{what}: Mastodon answered without a media id"))
        # 202 (and 206 when asked again): still processing; a status attaching it now would be
        # refused, so wait for it, a bounded while.
        polls = 0
        while media.get("_status") in (202, 206):
            if polls == MEDIA_POLLS:
                raise Transient(f"{what}: Mastodon is still processing the image", sent=False)
            self._sleep(MEDIA_POLL_SECONDS)
            polls += 1
            media = self._request("GET", f"/api/v1/media/{media_id}", what, creates_post=False)
        return media_id

    def _me(self, what: str, fresh: bool = False) -> dict[str, Any]:
        with self._lock:
            if self._account is not None and not fresh:
                return self._account
        account = self._request("GET", "/api/v1/accounts/verify_credentials",
                                f"{what}: checking the account", creates_post=False)
        with self._lock:
            self._account = account
        return dict(account)

    def _request(self, method: str, path: str, what: str, *, creates_post: bool,
                 **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._token}", **kwargs.pop("headers", {})}
        try:
            response = self.session.request(method, self.base_url + path, headers=headers,
                                            **kwargs)
        except requests.RequestException as exc:
            raise connection_failed(exc, what, creates_post=creates_post,
                                    redact=self._redact) from None
        if not 200 <= response.status_code < 300:
            raise status_failed(response.status_code, response_words(response),
                                f"{what}: Mastodon said", creates_post=creates_post,
                                redact=self._redact, headers=response.headers) from None
        try:
            body = response.json()
        except ValueError:
            raise UnknownOutcome(self._redact(
                f"{what}: Mastodon answered {response.status_code} with something not JSON")
            ) from None
        if isinstance(body, dict) and response.status_code != 200:
            body["_status"] = response.status_code
        return body


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

_rules_cache: dict[str, tuple[datetime, PlatformRules]] = {}
_rules_lock = threading.Lock()


def instance_rules(env: Mapping[str, str], *, now: datetime | None = None,
                   session: requests.Session | None = None) -> PlatformRules:
    """Mastodon's rules as the configured server sets them (`GET /api/v2/instance`): its
    character limit, what a URL counts, images per status and the alt-text limit.

    Cached in memory and in `CRIER_DATA_DIR/mastodon-instance-*.json` for 24 hours. When the
    server cannot be asked, the last answer is used however old, else Mastodon's defaults (500);
    either way a warning is logged. Without MASTODON_BASE_URL: the defaults.
    """
    defaults = PLATFORMS["mastodon"]
    base_url = env.get("MASTODON_BASE_URL", "").strip().rstrip("/")
    if not base_url:
        return defaults
    now = now or datetime.now(UTC)
    with _rules_lock:
        cached = _rules_cache.get(base_url)
    if cached is not None and now - cached[0] < INSTANCE_TTL:
        return cached[1]
    path = _instance_file(env, base_url)
    stored = _read_instance(path, base_url)
    if stored is not None and now - stored[0] < INSTANCE_TTL:
        rules = _rules(defaults, stored[1])
        with _rules_lock:
            _rules_cache[base_url] = (stored[0], rules)
        return rules
    try:
        configuration = _fetch_instance(base_url, session or new_session(timeout_from_env(env)))
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        if stored is not None:
            log.warning("Mastodon: cannot read %s/api/v2/instance (%s); using its limits from "
                        "%s", base_url, type(exc).__name__, stored[0].isoformat())
            return _rules(defaults, stored[1])
        log.warning("Mastodon: cannot read %s/api/v2/instance (%s); assuming Mastodon's "
                    "defaults (%d characters)", base_url, type(exc).__name__, defaults.limit)
        return defaults
    try:
        write_private(path, json.dumps({"base_url": base_url, "fetched_at": now.isoformat(),
                                        "configuration": configuration}).encode())
    except OSError as exc:
        log.warning("Mastodon: cannot cache the server's limits in %s: %s", path, exc.strerror)
    rules = _rules(defaults, configuration)
    with _rules_lock:
        _rules_cache[base_url] = (now, rules)
    return rules


def clear_instance_cache() -> None:
    """Forget the limits kept in memory (the files stay)."""
    with _rules_lock:
        _rules_cache.clear()


def _instance_file(env: Mapping[str, str], base_url: str) -> Path:
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:12]
    return data_dir(env) / f"mastodon-instance-{digest}.json"


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


def _rules(defaults: PlatformRules, configuration: Mapping[str, Any]) -> PlatformRules:
    statuses = configuration.get("statuses") or {}
    media = configuration.get("media_attachments") or {}

    def number(section: Mapping[str, Any], key: str) -> int | None:
        value = section.get(key)
        return value if isinstance(value, int) and value > 0 else None

    # What the numbers change is the network's own rule (content/networks/mastodon.py).
    return defaults.with_server(ServerLimits(
        limit=number(statuses, "max_characters"),
        url_length=number(statuses, "characters_reserved_per_url"),
        max_images=number(statuses, "max_media_attachments"),
        alt_limit=number(media, "description_limit"),
        image_bytes=number(media, "image_size_limit")))


def _what(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    return f"Mastodon: part {part.index + 1} of {len(delivery.parts)} of delivery {delivery.id}"


__all__ = ["ENV", "MastodonPublisher", "clear_instance_cache", "comparable", "html_to_text",
           "idempotency_key", "instance_rules"]
