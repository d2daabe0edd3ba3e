"""A fake Meta Graph API: Threads, Instagram or a Facebook Page, one flavour per instance (each at
its own port), speaking the endpoints of PLATFORMS.md and enforcing their rules with its own
checks:

- tokens (an `Authorization: Bearer` header or an `access_token` parameter): unknown or expired
  ones get error 190; `refresh_access_token` renews one at least 24 hours old and unexpired;
- Threads: 500 characters (emoji by their UTF-8 bytes), at most 5 distinct links
  (THREADS_API__LINK_LIMIT_EXCEEDED), replies only to the account's own posts;
- Instagram: 2,200 characters, 30 hashtags, 20 @-tags; JPEG only, aspect 4:5 to 1.91:1, 8 MB;
  an image on every post; carousels of 2 to 10;
- containers stay IN_PROGRESS for `processing_seconds` of the fake clock, refuse publishing
  until FINISHED (24 / 4279009 on Threads, 2207027 on Instagram), EXPIRE after 24 hours
  (2207008) and read PUBLISHED once published; the published post has an id of its own;
- quotas from `threads_publishing_limit` / `content_publishing_limit` (a spent one: 2207042);
- it FETCHES every `image_url` over HTTP when the container is made (2207052 when it cannot),
  and refuses an `image_url` pasted into the query string;
- Facebook: `/{page}/feed` (a message, or `attached_media` of unpublished photos),
  `/{page}/photos` (multipart bytes, caption, alt text, `published=false`), self-comments,
  consecutive identical posts refused (506);
- the Graph error object for every refusal, rate limits (the `rate_limit` fault) as code 4 or 32
  with `X-Business-Use-Case-Usage` carrying `estimated_time_to_regain_access` in minutes, and the
  faults of `base.py`.
"""

from __future__ import annotations

import io
import json
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import requests
from PIL import Image

from .base import FakeClock, FakeServer, HttpError, Request, Response, Route, sniff_image

Flavour = Literal["threads", "instagram", "facebook"]
DAY = 86400.0
TOKEN_LIFETIME = 60 * DAY
CONTAINER_TTL = DAY
THREADS_LIMIT = 500
THREADS_LINKS = 5
CAPTION_LIMIT = 2200
MAX_TAGS = 30
MAX_MENTIONS = 20
INSTAGRAM_BYTES = 8 * 1024 * 1024
FACEBOOK_BYTES = 10 * 1024 * 1024
FACEBOOK_LIMIT = 63206  # a community figure (PLATFORMS.md): what the fake enforces
_VERSION = re.compile(r"^/v\d+\.\d+(?=/)")
_LINK = re.compile(r"(?:https?://|www\.)[^\s]+", re.IGNORECASE)
_TAG = re.compile(r"(?:^|\s)#\w")
_MENTION = re.compile(r"(?:^|\s)@\w")


@dataclass
class Token:
    value: str
    account: str
    issued_at: float
    expires_at: float


@dataclass
class Container:
    id: str
    account: str
    created_at: float
    media_type: str
    text: str = ""
    image_urls: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    reply_to: str | None = None
    carousel_item: bool = False
    fails: bool = False  # processing ends in ERROR
    published_as: str | None = None


@dataclass
class Post:
    """A published post (or a Facebook Page post)."""

    id: str
    account: str
    text: str
    created_at: float
    reply_to: str | None = None
    alts: tuple[str, ...] = ()
    container: str | None = None
    comments: list[str] = field(default_factory=list)


@dataclass
class Photo:
    id: str
    page: str
    data: bytes
    caption: str
    alt: str
    published: bool
    attached: bool = False


class MetaServer(FakeServer):
    """The fake Graph API for one flavour; `account_id` and `token` are its account's."""

    def __init__(self, flavour: Flavour, *, clock: FakeClock | None = None,
                 token: str | None = None, account_id: str | None = None,
                 processing_seconds: float = 10.0, quota_total: int | None = None,
                 reply_quota_total: int = 1000, fetch_timeout: float = 5.0) -> None:
        super().__init__(clock=clock)
        self.flavour = flavour
        self.account_id = account_id or {"threads": "17841400000000001",
                                         "instagram": "17841400000000002",
                                         "facebook": "100000000000003"}[flavour]
        self.username = "dr.crier"
        self.processing_seconds = processing_seconds
        self.quota_total = quota_total or {"threads": 250, "instagram": 100,
                                           "facebook": 10**6}[flavour]
        self.reply_quota_total = reply_quota_total
        self.fetch_timeout = fetch_timeout
        self.tokens: dict[str, Token] = {}
        self.containers: dict[str, Container] = {}
        self.posts: list[Post] = []
        self.photos: dict[str, Photo] = {}
        self.fetched: list[str] = []  # every image address fetched
        self.fetch_failures = 0  # the next N fetches fail as if the host were unreachable
        self.processing_failures = 0  # the next N containers end their processing in ERROR
        self._seq = 0
        self._http = requests.Session()
        self._http.trust_env = False
        self.token = token or f"{flavour}-token-{secrets.token_hex(8)}"
        self.add_token(self.token, issued_at=self.clock.now() - 2 * DAY)
        self.add_route("GET", "/refresh_access_token", self._refresh)
        if flavour == "threads":
            self.add_route("POST", "/:user/threads", self._threads_container)
            self.add_route("POST", "/:user/threads_publish", self._publish)
            self.add_route("GET", "/:user/threads_publishing_limit", self._quota)
            self.add_route("GET", "/:user/threads", self._list_posts)
            self.add_route("GET", "/:user/replies", self._list_posts)
        elif flavour == "instagram":
            self.add_route("POST", "/:user/media", self._instagram_container)
            self.add_route("POST", "/:user/media_publish", self._publish)
            self.add_route("GET", "/:user/content_publishing_limit", self._quota)
            self.add_route("GET", "/:user/media", self._list_posts)
            self.add_route("POST", "/:post/comments", self._comment)
        else:
            self.add_route("POST", "/:page/feed", self._feed_post)
            self.add_route("POST", "/:page/photos", self._photo)
            self.add_route("GET", "/:page/feed", self._list_posts)
            self.add_route("POST", "/:post/comments", self._comment)
        self.add_route("GET", "/:id", self._node)

    # ---- for tests -----------------------------------------------------------------------------

    @property
    def create_path(self) -> str:
        """The request that makes a post public."""
        return {"threads": f"/{self.account_id}/threads_publish",
                "instagram": f"/{self.account_id}/media_publish",
                "facebook": f"/{self.account_id}/feed"}[self.flavour]

    @property
    def container_path(self) -> str:
        return {"threads": f"/{self.account_id}/threads",
                "instagram": f"/{self.account_id}/media",
                "facebook": f"/{self.account_id}/photos"}[self.flavour]

    def add_token(self, value: str, *, issued_at: float | None = None,
                  lifetime: float = TOKEN_LIFETIME) -> Token:
        with self.lock:
            issued = self.clock.now() if issued_at is None else issued_at
            token = Token(value, self.account_id, issued, issued + lifetime)
            self.tokens[value] = token
            return token

    def live_posts(self) -> list[Post]:
        with self.lock:
            return list(self.posts)

    def _id(self) -> str:
        self._seq += 1
        return str(18000000000000000 + int(self.clock.now()) % 10**6 * 1000 + self._seq)

    # ---- auth and errors -----------------------------------------------------------------------

    def graph_error(self, status: int, message: str, code: int, subcode: int | None = None, *,
                    user_message: str | None = None, transient: bool = False,
                    kind: str = "OAuthException",
                    headers: dict[str, str] | None = None) -> Response:
        error: dict[str, Any] = {"message": message, "type": kind, "code": code,
                                 "is_transient": transient,
                                 "fbtrace_id": "A" + secrets.token_hex(10)}
        if subcode is not None:
            error["error_subcode"] = subcode
        if user_message:
            error["error_user_title"] = "Error"
            error["error_user_msg"] = user_message
        return Response(status, {"error": error}, headers or {})

    def refuse_with(self, *args: Any, **kwargs: Any) -> HttpError:
        return HttpError(self.graph_error(*args, **kwargs))

    def error_response(self, status: int, message: str) -> Response:
        if status >= 500:
            return self.graph_error(status, "An unexpected error has occurred. Please retry "
                                            "your request later.", 2, transient=True)
        if status == 404:
            return self.graph_error(404, "Unsupported request: the object does not exist", 100,
                                    33, kind="GraphMethodException")
        if status == 403:
            return self.graph_error(403, "(#200) Permissions error", 200)
        return self.graph_error(status, message, 100)

    def fault_rate_limit_response(self, request: Request, route: Route | None,
                                  reset_epoch: float) -> Response:
        minutes = max(0, math.ceil((reset_epoch - self.clock.now()) / 60))
        usage = {self.account_id: [{"type": "pages" if self.flavour == "facebook" else
                                    "instagram", "call_count": 100, "total_cputime": 40,
                                    "total_time": 60,
                                    "estimated_time_to_regain_access": minutes}]}
        code = 32 if self.flavour == "facebook" else 4
        return self.graph_error(400, "(#4) Application request limit reached", code,
                                headers={"X-Business-Use-Case-Usage": json.dumps(usage),
                                         "X-App-Usage": json.dumps({"call_count": 100,
                                                                    "total_cputime": 40,
                                                                    "total_time": 60})})

    def dispatch(self, request: Request, route: Route | None) -> Response:
        # A versioned base (`/v1.0/...`) reaches the same routes.
        bare = _VERSION.sub("", request.path)
        if bare != request.path:
            request.path = bare
            route = self.route_for(request)
        if route is None:
            return super().dispatch(request, route)
        token = self._token_of(request)
        found = self.tokens.get(token)
        if found is None:
            return self.graph_error(400, "Invalid OAuth access token - Cannot parse access "
                                         "token", 190)
        if found.expires_at <= self.clock.now():
            return self.graph_error(400, "Error validating access token: Session has expired",
                                    190, 463)
        request.context["token"] = found
        owner = request.path.strip("/").split("/")[0]
        is_node = route.name == "GET /:id"
        if not is_node and owner not in (self.account_id, "refresh_access_token") \
                and not route.name.endswith("/comments"):
            return self.graph_error(400, "(#10) The user has not authorized this object", 10)
        return super().dispatch(request, route)

    def _token_of(self, request: Request) -> str:
        header = request.header("authorization") or ""
        if header[:7].lower() == "bearer ":
            return header[7:].strip()
        query = request.arg("access_token")
        if query:
            return query
        try:
            fields = request.form() if request.body else {}
        except ValueError:
            return ""
        values = fields.get("access_token")
        return values[0].text if values else ""

    def _fields(self, request: Request) -> dict[str, str]:
        if "image_url" in request.query:
            # Meta reads it from the query too, but a presigned address pasted there breaks
            # the call (PLATFORMS.md): Crier must send it in the body.
            raise self.refuse_with(400, "image_url in the query string", 100)
        try:
            form = request.form()
        except ValueError:
            form = {}
        fields = {name: parts[0].text for name, parts in form.items()
                  if parts and parts[0].filename is None}
        fields.update({k: v[0] for k, v in request.query.items() if v and k != "access_token"})
        return fields

    # ---- tokens --------------------------------------------------------------------------------

    def _refresh(self, request: Request) -> Response:
        grant = request.arg("grant_type")
        wanted = {"threads": "th_refresh_token", "instagram": "ig_refresh_token"}.get(
            self.flavour)
        if wanted is None or grant != wanted:
            raise self.refuse_with(400, f"Unsupported grant_type {grant}", 100)
        token: Token = request.context["token"]
        if self.clock.now() - token.issued_at < DAY:
            raise self.refuse_with(400, "The access token is too new to be refreshed: wait until "
                                        "it is at least 24 hours old", 190, 460)
        fresh = self.add_token(f"{self.flavour}-refreshed-{secrets.token_hex(8)}")
        return Response(200, {"access_token": fresh.value, "token_type": "bearer",
                              "expires_in": int(TOKEN_LIFETIME)})

    # ---- containers ----------------------------------------------------------------------------

    def _fetch(self, url: str) -> bytes:
        """Get an image as Meta does: over HTTP, at container creation."""
        self.fetched.append(url)
        failed = self.fetch_failures > 0
        if failed:
            self.fetch_failures -= 1
        try:
            if failed:
                raise requests.ConnectionError("simulated unreachable media host")
            answer = self._http.get(url, timeout=self.fetch_timeout)
        except requests.RequestException:
            answer = None
        if answer is None or answer.status_code != 200:
            raise self.refuse_with(400, "Media download has failed.: The media could not be "
                                        "fetched from this URI", 9004, 2207052,
                                   user_message="The media could not be fetched from the URI")
        return answer.content

    def _check_image(self, data: bytes) -> None:
        kind = sniff_image(data)
        if self.flavour == "instagram":
            if kind != "image/jpeg":
                raise self.refuse_with(400, "Only photo or video can be accepted as media type.",
                                       9004, 2207026, user_message="The image format is not "
                                       "supported: only JPEG")
            if len(data) > INSTAGRAM_BYTES:
                raise self.refuse_with(400, "The image size is too large.", 36000, 2207004)
            width, height = Image.open(io.BytesIO(data)).size
            if not 0.8 - 1e-3 <= width / height <= 1.91 + 1e-3:
                raise self.refuse_with(400, "The aspect ratio is not supported.", 36003,
                                       2207009)
        elif kind not in ("image/jpeg", "image/png"):
            raise self.refuse_with(400, "Unsupported image format", 100)

    def _new_container(self, request: Request, fields: dict[str, str],
                       media_type: str) -> Response:
        user = request.params["user"]
        container = Container(self._id(), user, self.clock.now(), media_type)
        container.text = fields.get("text") or fields.get("caption") or ""
        container.carousel_item = fields.get("is_carousel_item") == "true"
        if fields.get("image_url"):
            self._check_image(self._fetch(fields["image_url"]))
            container.image_urls = [fields["image_url"]]
            container.alts = [fields.get("alt_text", "")]
        if media_type == "CAROUSEL":
            ids = [c for c in (fields.get("children") or "").split(",") if c]
            if not 2 <= len(ids) <= 10:
                raise self.refuse_with(400, "A carousel takes 2 to 10 children", 100, 2207028)
            for child in ids:
                item = self.containers.get(child)
                if item is None or not item.carousel_item or item.account != user:
                    raise self.refuse_with(400, f"Invalid carousel child {child}", 100)
            container.children = ids
            container.alts = [a for child in ids for a in self.containers[child].alts]
        if self.processing_failures > 0:
            self.processing_failures -= 1
            container.fails = True
        self.containers[container.id] = container
        return Response(200, {"id": container.id})

    def _threads_container(self, request: Request) -> Response:
        fields = self._fields(request)
        media_type = (fields.get("media_type") or "").upper()
        if media_type not in ("TEXT", "IMAGE", "CAROUSEL"):
            raise self.refuse_with(400, "Param media_type must be one of {TEXT, IMAGE, VIDEO, "
                                        "CAROUSEL}", 100)
        text = fields.get("text") or ""
        if _threads_length(text) > THREADS_LIMIT:
            raise self.refuse_with(400, f"Param text must be at most {THREADS_LIMIT} characters "
                                        "long.", 100)
        if len(set(_LINK.findall(text))) > THREADS_LINKS:
            raise self.refuse_with(400, "THREADS_API__LINK_LIMIT_EXCEEDED: a post may hold at "
                                        f"most {THREADS_LINKS} links", 100)
        if media_type == "IMAGE" and not fields.get("image_url"):
            raise self.refuse_with(400, "Param image_url is required for IMAGE", 100)
        reply_to = fields.get("reply_to_id")
        if reply_to and not any(p.id == reply_to for p in self.posts):
            raise self.refuse_with(400, "Param reply_to_id must be a post of this account", 100)
        response = self._new_container(request, fields, media_type)
        self.containers[response.body["id"]].reply_to = reply_to
        return response

    def _instagram_container(self, request: Request) -> Response:
        fields = self._fields(request)
        media_type = (fields.get("media_type") or "IMAGE").upper()
        caption = fields.get("caption") or ""
        if len(caption) > CAPTION_LIMIT:
            raise self.refuse_with(400, f"The caption is longer than {CAPTION_LIMIT} "
                                        "characters.", 100, 2207010)
        if len(_TAG.findall(caption)) > MAX_TAGS:
            raise self.refuse_with(400, f"The caption has more than {MAX_TAGS} hashtags.", 100,
                                   2207010)
        if len(_MENTION.findall(caption)) > MAX_MENTIONS:
            raise self.refuse_with(400, f"The caption tags more than {MAX_MENTIONS} accounts.",
                                   100, 2207010)
        if media_type == "IMAGE" and not fields.get("image_url"):
            raise self.refuse_with(400, "Instagram posts need an image: image_url is required",
                                   100, 2207001)
        if media_type not in ("IMAGE", "CAROUSEL"):
            raise self.refuse_with(400, "Unsupported media_type", 100)
        return self._new_container(request, fields, media_type)

    def state(self, container: Container) -> tuple[str, str]:
        """(status, error message) of a container now, on the fake clock."""
        if container.published_as:
            return "PUBLISHED", ""
        now = self.clock.now()
        if now >= container.created_at + CONTAINER_TTL:
            return "EXPIRED", ""
        parts = [container] + [self.containers[c] for c in container.children]
        if any(p.fails for p in parts):
            return "ERROR", "UNKNOWN"
        if any(now < p.created_at + self.processing_seconds for p in parts):
            return "IN_PROGRESS", ""
        return "FINISHED", ""

    def _publish(self, request: Request) -> Response:
        fields = self._fields(request)
        container = self.containers.get(fields.get("creation_id") or "")
        if container is None or container.account != request.params["user"] \
                or container.carousel_item:
            raise self.refuse_with(400, "Invalid parameter: creation_id", 100, 2207032)
        state, _ = self.state(container)
        if state == "PUBLISHED":
            raise self.refuse_with(400, "The media has already been published", 100, 2207006)
        if state == "EXPIRED":
            raise self.refuse_with(400, "The media container has expired", 100, 2207008)
        if state == "ERROR":
            raise self.refuse_with(400, "The media could not be processed", 100, 2207001)
        if state == "IN_PROGRESS":
            if self.flavour == "threads":
                raise self.refuse_with(400, "Media Not Found", 24, 4279009)
            raise self.refuse_with(400, "Media ID is not available: the media is not ready for "
                                        "publishing, please wait for a moment", 9007, 2207027)
        if self._used("quota") >= self.quota_total and not container.reply_to:
            raise self.refuse_with(400, "The account has reached its publishing limit", 4,
                                   2207042)
        post = Post(self._id(), container.account, container.text, self.clock.now(),
                    container.reply_to, tuple(container.alts), container.id)
        container.published_as = post.id
        self.posts.append(post)
        return Response(200, {"id": post.id})

    def _used(self, which: str) -> int:
        since = self.clock.now() - DAY
        return sum(1 for p in self.posts if p.created_at > since
                   and (p.reply_to is None) == (which == "quota"))

    def _quota(self, request: Request) -> Response:
        row: dict[str, Any] = {"quota_usage": self._used("quota"),
                               "config": {"quota_total": self.quota_total,
                                          "quota_duration": int(DAY)}}
        if self.flavour == "threads":
            row.update(reply_quota_usage=self._used("replies"),
                       reply_config={"quota_total": self.reply_quota_total,
                                     "quota_duration": int(DAY)})
        return Response(200, {"data": [row]})

    # ---- reading -------------------------------------------------------------------------------

    def _node(self, request: Request) -> Response:
        node = request.params["id"]
        wanted = set((request.arg("fields") or "id").split(","))
        if node in ("me", self.account_id):
            return Response(200, {"id": self.account_id, "username": self.username,
                                  "name": "Dr. Crier", "user_id": self.account_id})
        container = self.containers.get(node)
        if container is not None:
            state, message = self.state(container)
            body: dict[str, Any] = {"id": container.id}
            if "status_code" in wanted:
                body["status_code"] = state
                if state == "ERROR":
                    body["status"] = f"Error: {message}"
            if "status" in wanted:
                body["status"] = state
            if "error_message" in wanted and message:
                body["error_message"] = message
            return Response(200, body)
        post = next((p for p in self.posts if p.id == node), None)
        if post is not None:
            return Response(200, {"id": post.id, "text": post.text})
        raise HttpError(self.error_response(404, "Not Found"))

    def _list_posts(self, request: Request) -> Response:
        limit = int(request.arg("limit") or 25)
        replies = request.path.endswith("/replies")
        text_key = {"threads": "text", "instagram": "caption", "facebook": "message"}[
            self.flavour]
        rows = [p for p in reversed(self.posts)
                if self.flavour != "threads" or (p.reply_to is not None) == replies]
        data = [{"id": p.id, text_key: p.text, "timestamp": _iso(p.created_at),
                 "created_time": _iso(p.created_at)} for p in rows[:limit]]
        return Response(200, {"data": data, "paging": {}})

    def _comment(self, request: Request) -> Response:
        post = next((p for p in self.posts if p.id == request.params["post"]), None)
        message = self._fields(request).get("message") or ""
        if post is None:
            raise HttpError(self.error_response(404, "Not Found"))
        if not message:
            raise self.refuse_with(400, "(#100) Missing message", 100)
        post.comments.append(message)
        return Response(200, {"id": f"{post.id}_{len(post.comments)}"})

    # ---- Facebook Page -------------------------------------------------------------------------

    def _photo(self, request: Request) -> Response:
        form = request.form()
        source = (form.get("source") or [None])[0]
        if source is None or source.filename is None:
            raise self.refuse_with(400, "(#324) Requires upload file", 324)
        if sniff_image(source.data) not in ("image/jpeg", "image/png", "image/gif"):
            raise self.refuse_with(400, "(#324) Invalid image file", 324)
        if len(source.data) > FACEBOOK_BYTES:
            raise self.refuse_with(400, "The photo is too large", 1366046)
        fields = {k: v[0].text for k, v in form.items() if v[0].filename is None}
        published = fields.get("published", "true") != "false"
        photo = Photo(self._id(), request.params["page"], source.data, fields.get("caption", ""),
                      fields.get("alt_text_custom", ""), published)
        self.photos[photo.id] = photo
        if not published:
            return Response(200, {"id": photo.id})
        post = self._page_post(photo.caption, (photo.alt,))
        return Response(200, {"id": photo.id, "post_id": post.id})

    def _feed_post(self, request: Request) -> Response:
        fields = self._fields(request)
        message = fields.get("message") or ""
        attached: list[Photo] = []
        for key in sorted(k for k in fields if k.startswith("attached_media[")):
            fbid = str(json.loads(fields[key]).get("media_fbid"))
            photo = self.photos.get(fbid)
            if photo is None or photo.published or photo.attached:
                raise self.refuse_with(400, f"(#100) Invalid media_fbid {fbid}", 100)
            attached.append(photo)
        if not message and not attached:
            raise self.refuse_with(400, "(#100) The post is empty", 100)
        for photo in attached:
            photo.attached = True
        post = self._page_post(message, tuple(p.alt for p in attached))
        return Response(200, {"id": post.id})

    def _page_post(self, message: str, alts: tuple[str, ...]) -> Post:
        if len(message) > FACEBOOK_LIMIT:
            raise self.refuse_with(400, f"(#100) The message is longer than {FACEBOOK_LIMIT} "
                                        "characters", 100)
        if self.posts and self.posts[-1].text == message and message:
            raise self.refuse_with(400, "(#506) Duplicate status message", 506)
        post = Post(f"{self.account_id}_{self._id()}", self.account_id, message,
                    self.clock.now(), None, alts)
        self.posts.append(post)
        return post


def _threads_length(text: str) -> int:
    """Emoji by their UTF-8 bytes (as Meta documents), anything else one per code point."""
    return sum(len(char.encode()) if unicodedata.category(char) == "So" or ord(char) > 0xFFFF
               else 1 for char in text)


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class MediaFolderServer(FakeServer):
    """The author's web server publishing CRIER_MEDIA_DIR: what Meta's fetcher reaches."""

    def __init__(self, folder: Path, *, clock: FakeClock | None = None) -> None:
        super().__init__(clock=clock)
        self.folder = folder
        self.add_route("GET", "/media/:name", self._file)

    @property
    def media_url(self) -> str:
        return f"{self.base_url}/media"

    def _file(self, request: Request) -> Response:
        path = self.folder / request.params["name"]
        if not path.is_file():
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        kind = sniff_image(path.read_bytes()) or "application/octet-stream"
        return Response(200, path.read_bytes(), {"Content-Type": kind})


__all__ = ["Container", "MediaFolderServer", "MetaServer", "Photo", "Post", "Token"]
