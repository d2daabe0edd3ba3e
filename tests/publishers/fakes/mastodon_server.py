"""A fake Mastodon server on 127.0.0.1 that enforces Mastodon's rules.

Endpoints: ``GET /api/v2/instance``, ``GET /api/v1/accounts/verify_credentials``,
``POST /api/v2/media`` (multipart ``file``, ``description``), ``GET`` and ``PUT
/api/v1/media/:id``,
``POST /api/v1/statuses`` (form, multipart or JSON), ``GET /api/v1/statuses/:id``,
``GET /api/v1/accounts/:id/statuses``.

Rules enforced (sources: ../shared/PLATFORMS.md, docs.joinmastodon.org and Mastodon's
StatusLengthValidator, re-implemented here):
- Bearer token auth; 401 ``{"error": "The access token is invalid"}`` otherwise (the instance
  endpoint is public).
- Length: extended grapheme clusters (``regex`` ``\\X``) of the content warning followed by the
  text, where every http(s) URL counts 23 and ``@user@domain`` counts as ``@user``; over the
  limit (``max_characters``, 500 by default) -> 422 ``{"error": "Validation failed: Text
  character limit of 500 exceeded"}``.
- Media processing (``processing_seconds``, 0 by default): an upload is answered 202 with
  ``url: null`` and ``GET /api/v1/media/:id`` 206 until that many seconds of the fake clock have
  passed, then 200 with its URL; a status attaching a medium still processing is refused 422
  ("Cannot attach files that have not finished processing. Try again in a moment!").
- At most 4 media per status, each uploaded by the account and not yet attached; media 16 MB,
  description at most 1500 characters; replies must reference an existing status (404).
- ``Idempotency-Key``: the same key from the same account within an hour returns the original
  status and stores nothing new.
- Rate limits on the fake clock: 300 requests per 5 minutes per account, media uploads 30 per
  30 minutes; every authenticated response carries ``X-RateLimit-Limit``, ``-Remaining`` and
  ``-Reset`` (ISO 8601); 429 ``{"error": "Too many requests"}`` when exhausted.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import regex

from .base import (
    FakeClock,
    FakeServer,
    HttpError,
    Part,
    Request,
    Response,
    Route,
    Window,
    sniff_image,
)

URL_LENGTH = 23
IMAGE_SIZE_LIMIT = 16 * 1024 * 1024
DESCRIPTION_LIMIT = 1500
IDEMPOTENCY_SECONDS = 3600
VISIBILITIES = ("public", "unlisted", "private", "direct")
SUPPORTED_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")

# An http(s) URL with a dotted host (or an IPv4 address), an optional port and path; trailing
# punctuation is trimmed afterwards, and a trailing ")" unless the URL has a "(".
_URL = regex.compile(
    r"(?<![\w/@.])https?://"
    r"(?:(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?::\d{1,5})?(?:[/?#][^\s<>\"]*)?",
    regex.IGNORECASE,
)
# Mastodon's mention pattern: @user or @user@domain, not preceded by a word character, / or =.
_MENTION = regex.compile(
    r"(?<![=/\w])@(([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w]+(?:[.-]+[\w]+)*)?)",
    regex.IGNORECASE,
)
_TRAILING = ".,;:!?'\""


def _trim_url(url: str) -> str:
    while url:
        if url[-1] in _TRAILING or (url[-1] == ")" and "(" not in url):
            url = url[:-1]
        else:
            break
    return url


def countable_text(text: str) -> str:
    """The text Mastodon measures: each URL replaced by 23 x's, each ``@user@domain`` by
    ``@user`` (entities that overlap an earlier one are ignored)."""
    entities: list[tuple[int, int, str]] = []
    for m in _URL.finditer(text):
        url = _trim_url(m.group(0))
        entities.append((m.start(), m.start() + len(url), "x" * URL_LENGTH))
    for m in _MENTION.finditer(text):
        entities.append((m.start(), m.end(), "@" + m.group(1).split("@")[0]))
    entities.sort()
    out, last = [], 0
    for start, end, replacement in entities:
        if start < last:
            continue  # overlaps the previous entity
        out += [text[last:start], replacement]
        last = end
    out.append(text[last:])
    return "".join(out)


def status_length(text: str, spoiler_text: str = "") -> int:
    """Mastodon's length of a status: graphemes of the content warning plus the countable text."""
    return len(regex.findall(r"\X", spoiler_text + countable_text(text)))


@dataclass
class MastodonAccount:
    id: str
    username: str
    display_name: str
    token: str


@dataclass
class MastodonMedia:
    id: str
    account_id: str
    content_type: str
    size: int
    description: str | None
    created_at: float
    status_id: str | None = None
    filename: str | None = None
    ready_at: float = 0.0  # the fake clock's time from which it is processed


@dataclass(frozen=True)
class MastodonMediaRef:
    id: str
    description: str | None


@dataclass
class MastodonStatus:
    id: str
    account_id: str
    text: str
    created_at: float
    spoiler_text: str = ""
    visibility: str = "public"
    in_reply_to_id: str | None = None
    media: list[MastodonMediaRef] = field(default_factory=list)
    sensitive: bool = False
    language: str | None = None
    idempotency_key: str | None = None

    @property
    def media_ids(self) -> list[str]:
        return [m.id for m in self.media]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int(epoch * 1000) % 1000:03d}Z"
    )


def _html(text: str) -> str:
    """Roughly Mastodon's rendering of plain text: paragraphs, line breaks, linked URLs."""
    paragraphs = []
    for para in text.split("\n\n"):
        escaped, last = [], 0
        for m in _URL.finditer(para):
            url = _trim_url(m.group(0))
            escaped.append(html.escape(para[last : m.start()]))
            href = html.escape(url)
            escaped.append(f'<a href="{href}" rel="nofollow noopener" target="_blank">{href}</a>')
            last = m.start() + len(url)
        escaped.append(html.escape(para[last:]))
        paragraphs.append("<p>" + "".join(escaped).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


class MastodonServer(FakeServer):
    """The fake Mastodon instance. Use as a context manager; `base_url` is where it listens."""

    def __init__(
        self,
        *,
        token: str = "test-mastodon-token",
        username: str = "author",
        domain: str = "mastodon.test",
        clock: FakeClock | None = None,
        max_characters: int = 500,
        max_media_attachments: int = 4,
        description_limit: int = DESCRIPTION_LIMIT,
        image_size_limit: int = IMAGE_SIZE_LIMIT,
        api_limit: tuple[int, float] = (300, 300),
        media_limit: tuple[int, float] = (30, 1800),
        processing_seconds: float = 0.0,
    ) -> None:
        super().__init__(clock=clock)
        self.domain = domain
        self.max_characters = max_characters
        self.max_media_attachments = max_media_attachments
        self.description_limit = description_limit
        self.image_size_limit = image_size_limit
        self.api_limit = api_limit
        self.media_limit = media_limit
        self.processing_seconds = processing_seconds
        self.accounts: dict[str, MastodonAccount] = {}  # by token
        self.statuses: list[MastodonStatus] = []
        self.media: dict[str, MastodonMedia] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self._seq = 0
        self.add_account(token, username=username)
        self.add_route("GET", "/api/v2/instance", self._instance)
        self.add_route("GET", "/api/v1/accounts/verify_credentials", self._verify_credentials)
        self.add_route("POST", "/api/v2/media", self._upload_media)
        self.add_route("GET", "/api/v1/media/:id", self._get_media)
        self.add_route("PUT", "/api/v1/media/:id", self._update_media)
        self.add_route("POST", "/api/v1/statuses", self._create_status)
        self.add_route("GET", "/api/v1/statuses/:id", self._get_status)
        self.add_route("GET", "/api/v1/accounts/:id/statuses", self._account_statuses)

    # ---- configuration and helpers for tests -----------------------------------------------

    def add_account(self, token: str, *, username: str = "other") -> MastodonAccount:
        with self.lock:
            account = MastodonAccount(
                str(109000000000000001 + len(self.accounts)), username, username.title(), token
            )
            self.accounts[token] = account
            return account

    @property
    def account(self) -> MastodonAccount:
        """The first (default) account."""
        return next(iter(self.accounts.values()))

    def status(self, status_id: str) -> MastodonStatus | None:
        with self.lock:
            return next((s for s in self.statuses if s.id == status_id), None)

    def _next_id(self) -> str:
        self._seq += 1
        return str((int(self.clock.now() * 1000) << 16) | (self._seq & 0xFFFF))

    # ---- auth, limits, error shape ---------------------------------------------------------

    def error_response(self, status: int, message: str) -> Response:
        if status == 404:
            message = "Record not found"
        return Response(status, {"error": message})

    def _rate_headers(self, window: Window) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": _iso(window.reset),
        }

    def dispatch(self, request: Request, route: Route | None) -> Response:
        if route is None or route.name == "GET /api/v2/instance":
            return super().dispatch(request, route)
        header = request.header("authorization") or ""
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        account = self.accounts.get(token)
        if account is None:
            return Response(401, {"error": "The access token is invalid"})
        request.context["account"] = account
        window = self.limiter.hit("api", account.id, *self.api_limit, aligned=True)
        if route.name == "POST /api/v2/media" and not window.exceeded:
            window = self.limiter.hit("media", account.id, *self.media_limit, aligned=True)
        request.context["window"] = window
        if window.exceeded:
            return Response(429, {"error": "Too many requests"})
        return super().dispatch(request, route)

    def finish(self, request: Request, route: Route | None, response: Response) -> Response:
        window = request.context.get("window")
        if isinstance(window, Window):
            response.headers.update(self._rate_headers(window))
        return response

    def fault_rate_limit_response(
        self, request: Request, route: Route | None, reset_epoch: float
    ) -> Response:
        limit = (
            self.media_limit[0]
            if route and route.name == "POST /api/v2/media"
            else self.api_limit[0]
        )
        headers = self._rate_headers(Window(limit, 0, reset_epoch, exceeded=True))
        return Response(429, {"error": "Too many requests"}, headers)

    # ---- rendering -------------------------------------------------------------------------

    def _account_json(self, account: MastodonAccount) -> dict[str, Any]:
        count = sum(1 for s in self.statuses if s.account_id == account.id)
        return {
            "id": account.id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.display_name,
            "locked": False,
            "bot": False,
            "created_at": "2024-01-01T00:00:00.000Z",
            "note": "",
            "url": f"https://{self.domain}/@{account.username}",
            "avatar": f"https://{self.domain}/avatars/original/missing.png",
            "header": f"https://{self.domain}/headers/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": count,
            "emojis": [],
            "fields": [],
        }

    def _processed(self, media: MastodonMedia) -> bool:
        return self.clock.now() >= media.ready_at

    def _media_json(self, media: MastodonMedia) -> dict[str, Any]:
        url = f"https://{self.domain}/system/media_attachments/files/{media.id}/original.png"
        return {
            "id": media.id,
            "type": "image",
            "url": url if self._processed(media) else None,
            "preview_url": url.replace("original", "small"),
            "remote_url": None,
            "text_url": None,
            "meta": {},
            "description": media.description,
            "blurhash": None,
        }

    def _status_json(self, status: MastodonStatus) -> dict[str, Any]:
        account = next(a for a in self.accounts.values() if a.id == status.account_id)
        parent = self.status(status.in_reply_to_id) if status.in_reply_to_id else None
        return {
            "id": status.id,
            "created_at": _iso(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": parent.account_id if parent else None,
            "sensitive": status.sensitive,
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility,
            "language": status.language,
            "uri": f"https://{self.domain}/users/{account.username}/statuses/{status.id}",
            "url": f"https://{self.domain}/@{account.username}/{status.id}",
            "replies_count": sum(1 for s in self.statuses if s.in_reply_to_id == status.id),
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": _html(status.text),
            "reblog": None,
            "account": self._account_json(account),
            "media_attachments": [self._media_json(self.media[m.id]) for m in status.media],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    # ---- endpoints -------------------------------------------------------------------------

    def _instance(self, request: Request) -> Response:
        return Response(
            200,
            {
                "domain": self.domain,
                "title": "Crier test instance",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A fake Mastodon server for tests.",
                "usage": {"users": {"active_month": len(self.accounts)}},
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": f"wss://{self.domain}"},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": self.max_media_attachments,
                        "characters_reserved_per_url": URL_LENGTH,
                    },
                    "media_attachments": {
                        "supported_mime_types": list(SUPPORTED_IMAGE_TYPES),
                        "description_limit": self.description_limit,
                        "image_size_limit": self.image_size_limit,
                        "image_matrix_limit": 33177600,
                        "video_size_limit": 103809024,
                        "video_frame_rate_limit": 120,
                        "video_matrix_limit": 8294400,
                    },
                    "polls": {
                        "max_options": 4,
                        "max_characters_per_option": 50,
                        "min_expiration": 300,
                        "max_expiration": 2629746,
                    },
                    "translation": {"enabled": False},
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": f"admin@{self.domain}", "account": None},
                "rules": [],
            },
        )

    def _verify_credentials(self, request: Request) -> Response:
        account: MastodonAccount = request.context["account"]
        data = self._account_json(account)
        data["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "",
            "note": "",
            "fields": [],
        }
        return Response(200, data)

    def _form(self, request: Request) -> dict[str, list[Part]]:
        try:
            return request.form()
        except (ValueError, UnicodeDecodeError):
            raise HttpError(
                Response(422, {"error": "Validation failed: malformed form body"})
            ) from None

    def _upload_media(self, request: Request) -> Response:
        account: MastodonAccount = request.context["account"]
        form = self._form(request)
        files = form.get("file")
        if not files or not files[0].data:
            raise HttpError(Response(422, {"error": "Validation failed: File can't be blank"}))
        upload = files[0]
        content_type = sniff_image(upload.data)
        if content_type not in SUPPORTED_IMAGE_TYPES:
            raise HttpError(
                Response(
                    422,
                    {"error": "Validation failed: File content type is invalid, File is invalid"},
                )
            )
        if len(upload.data) > self.image_size_limit:
            mb = self.image_size_limit // (1024 * 1024)
            raise HttpError(
                Response(
                    422, {"error": f"Validation failed: File file size must be less than {mb} MB"}
                )
            )
        description = form["description"][0].text if "description" in form else None
        self._check_description(description)
        media = MastodonMedia(
            self._next_id(),
            account.id,
            content_type,
            len(upload.data),
            description or None,
            self.clock.now(),
            filename=upload.filename,
            ready_at=self.clock.now() + self.processing_seconds,
        )
        self.media[media.id] = media
        return Response(200 if self._processed(media) else 202, self._media_json(media))

    def _get_media(self, request: Request) -> Response:
        account: MastodonAccount = request.context["account"]
        media = self.media.get(request.params["id"])
        if media is None or media.account_id != account.id:
            return Response(404, {"error": "Record not found"})
        return Response(200 if self._processed(media) else 206, self._media_json(media))

    def _check_description(self, description: str | None) -> None:
        if description is not None and len(description) > self.description_limit:
            raise HttpError(
                Response(
                    422,
                    {
                        "error": "Validation failed: Description is too long "
                        f"(maximum is {self.description_limit} characters)"
                    },
                )
            )

    def _update_media(self, request: Request) -> Response:
        account: MastodonAccount = request.context["account"]
        media = self.media.get(request.params["id"])
        if media is None or media.account_id != account.id or media.status_id is not None:
            return Response(404, {"error": "Record not found"})
        form = (
            self._form(request)
            if request.content_type != "application/json"
            else {k: [Part(k, str(v).encode())] for k, v in self._json(request).items()}
        )
        if "description" in form:
            description = form["description"][0].text
            self._check_description(description)
            media.description = description or None
        return Response(200, self._media_json(media))

    def _json(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.body.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            raise HttpError(Response(400, {"error": "Malformed JSON body"})) from None
        if not isinstance(body, dict):
            raise HttpError(Response(400, {"error": "Malformed JSON body"}))
        return body

    def _status_params(self, request: Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = self._json(request)
            ids = body.get("media_ids") or []
            return {**body, "media_ids": [str(i) for i in ids] if isinstance(ids, list) else ids}
        form = self._form(request)
        params: dict[str, Any] = {k: v[0].text for k, v in form.items() if not k.endswith("[]")}
        params["media_ids"] = [p.text for p in form.get("media_ids[]", [])]
        return params

    def _create_status(self, request: Request) -> Response:
        account: MastodonAccount = request.context["account"]
        key = request.header("idempotency-key")
        now = self.clock.now()
        if key:
            seen = self.idempotency.get((account.id, key))
            if seen is not None and now < seen[1] + IDEMPOTENCY_SECONDS:
                original = self.status(seen[0])
                if original is not None:
                    return Response(200, self._status_json(original))

        params = self._status_params(request)
        if params.get("scheduled_at"):
            raise HttpError(Response(422, {"error": "scheduled_at is not supported by this fake"}))
        text = str(params.get("status") or "")
        spoiler = str(params.get("spoiler_text") or "")
        visibility = str(params.get("visibility") or "public")
        if visibility not in VISIBILITIES:
            raise HttpError(
                Response(
                    422, {"error": "Validation failed: Visibility is not included in the list"}
                )
            )
        media_ids = params.get("media_ids") or []
        if not isinstance(media_ids, list):
            raise HttpError(Response(422, {"error": "Validation failed: media_ids must be a list"}))
        if len(media_ids) > self.max_media_attachments:
            raise HttpError(
                Response(
                    422, {"error": f"Cannot attach more than {self.max_media_attachments} files"}
                )
            )
        missing = [
            i
            for i in media_ids
            if i not in self.media
            or self.media[i].account_id != account.id
            or self.media[i].status_id is not None
        ]
        if missing:
            raise HttpError(Response(422, {"error": f"Media {', '.join(missing)} not found"}))
        if any(not self._processed(self.media[i]) for i in media_ids):
            raise HttpError(Response(422, {"error": "Cannot attach files that have not finished "
                                                    "processing. Try again in a moment!"}))
        reply_to = params.get("in_reply_to_id") or None
        if reply_to is not None and self.status(str(reply_to)) is None:
            raise HttpError(Response(404, {"error": "Record not found"}))
        if not text.strip() and not media_ids:
            raise HttpError(Response(422, {"error": "Validation failed: Text can't be blank"}))
        if status_length(text, spoiler) > self.max_characters:
            raise HttpError(
                Response(
                    422,
                    {
                        "error": "Validation failed: Text character limit of "
                        f"{self.max_characters} exceeded"
                    },
                )
            )

        sensitive = str(params.get("sensitive", "")).lower() in ("true", "1") or bool(spoiler)
        status = MastodonStatus(
            id=self._next_id(),
            account_id=account.id,
            text=text,
            created_at=now,
            spoiler_text=spoiler,
            visibility=visibility,
            in_reply_to_id=str(reply_to) if reply_to else None,
            media=[MastodonMediaRef(i, self.media[i].description) for i in media_ids],
            sensitive=sensitive,
            language=str(params["language"]) if params.get("language") else None,
            idempotency_key=key,
        )
        for media_id in media_ids:
            self.media[media_id].status_id = status.id
        self.statuses.append(status)
        if key:
            self.idempotency[(account.id, key)] = (status.id, now)
        return Response(200, self._status_json(status))

    def _get_status(self, request: Request) -> Response:
        account: MastodonAccount = request.context["account"]
        status = self.status(request.params["id"])
        if status is None or (status.visibility == "direct" and status.account_id != account.id):
            return Response(404, {"error": "Record not found"})
        return Response(200, self._status_json(status))

    def _account_statuses(self, request: Request) -> Response:
        account_id = request.params["id"]
        if not any(a.id == account_id for a in self.accounts.values()):
            return Response(404, {"error": "Record not found"})
        raw_limit = request.arg("limit") or "20"
        limit = min(max(int(raw_limit), 1), 40) if raw_limit.isdigit() else 20
        statuses = sorted(
            (s for s in self.statuses if s.account_id == account_id),
            key=lambda s: int(s.id),
            reverse=True,
        )
        if (request.arg("exclude_replies") or "").lower() in ("true", "1"):
            statuses = [s for s in statuses if s.in_reply_to_id is None]
        if (request.arg("only_media") or "").lower() in ("true", "1"):
            statuses = [s for s in statuses if s.media]
        max_id, since_id, min_id = (
            request.arg("max_id"),
            request.arg("since_id"),
            request.arg("min_id"),
        )
        if max_id:
            statuses = [s for s in statuses if int(s.id) < int(max_id)]
        if since_id:
            statuses = [s for s in statuses if int(s.id) > int(since_id)]
        if min_id:
            statuses = [s for s in statuses if int(s.id) > int(min_id)][-limit:]
        page = statuses[:limit]
        headers: dict[str, str] = {}
        if page:
            base = f"{self.base_url}/api/v1/accounts/{account_id}/statuses?limit={limit}"
            headers["Link"] = (
                f'<{base}&max_id={page[-1].id}>; rel="next", '
                f'<{base}&min_id={page[0].id}>; rel="prev"'
            )
        return Response(200, [self._status_json(s) for s in page], headers)


@contextmanager
def running_mastodon_server(**kwargs: Any) -> Iterator[MastodonServer]:
    """Start a `MastodonServer` (keyword arguments as for the class) and stop it afterwards."""
    with MastodonServer(**kwargs) as server:
        yield server
