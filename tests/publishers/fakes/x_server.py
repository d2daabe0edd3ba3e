"""A fake X API v2 on 127.0.0.1 that enforces X's rules, and `route_to` for tweepy.

Endpoints: ``POST /2/tweets``, ``GET /2/users/me``, ``GET /2/users/:id/tweets``,
``GET /2/tweets/:id``, ``POST /2/media/upload`` (simple upload, multipart ``media`` +
``media_category``, or JSON with base64 ``media``), ``POST /2/media/metadata`` (alt text).

Rules enforced (sources: ../shared/PLATFORMS.md and docs.x.com):
- OAuth 1.0a user context: an ``Authorization: OAuth ...`` header whose ``oauth_consumer_key`` is
  the configured consumer key and whose ``oauth_token`` is a known user's access token, with the
  other protocol parameters present (the signature itself is not verified). 401 otherwise.
- Text: 280 weighted, counted by the PyPI package ``twitter-text-parser`` (an independent
  implementation of twitter-text; the fake shares no code with ours): over -> 400.
- Duplicate text by the same author -> 403 "You are not allowed to create a Tweet with duplicate
  content." in X's problem-details shape.
- Replies must reference an existing tweet -> 403 otherwise. At most 4 media ids, each uploaded by
  the author and not expired (24 h) -> 400 otherwise.
- Media: images only, 5 MB (5 * 1024 * 1024 bytes); alt text at most 1000 characters.
- Rate limits per endpoint and user on the fake clock (``POST /2/tweets``: 100 per 15 min per user
  and 10,000 per 24 h per app); every endpoint response carries ``x-rate-limit-limit``,
  ``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (unix seconds); 429 when exhausted.
  ``POST /2/tweets`` also counts the app's day (and the user's, with ``user_limit_24h``) and
  answers ``x-app-limit-24hour-*`` / ``x-user-limit-24hour-*`` (limit, remaining, reset), as X's
  responses do; a 429 from a daily cap carries both those and the 15-minute window's headers.
- Returned text has its URLs wrapped as ``https://t.co/...`` like X does; `server.tweets` keeps
  what the client sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import twitter_text
from requests.adapters import HTTPAdapter

from .base import FakeClock, FakeServer, HttpError, Request, Response, Route, sniff_image

TWEPOCH_MS = 1288834974657
MEDIA_EXPIRES_AFTER_SECS = 86400
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_ALT_TEXT = 1000
MAX_MEDIA_PER_TWEET = 4

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
REPLY_MISSING_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
TOO_LONG_DETAIL = (
    "Your Tweet text is too long. For more information on how X determines text length, "
    "see https://github.com/twitter/twitter-text."
)
INVALID_REQUEST_TYPE = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"

# Default per-endpoint limits: (requests, window seconds). Only POST /2/tweets is documented in
# PLATFORMS.md; the others are X's published v2 numbers for user context (override as needed).
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "POST /2/tweets": (100, 900),
    "GET /2/users/me": (75, 900),
    "GET /2/users/:id/tweets": (900, 900),
    "GET /2/tweets/:id": (900, 900),
    "POST /2/media/upload": (500, 900),
    "POST /2/media/metadata": (500, 900),
}

TWEET_FIELDS = (
    "attachments",
    "author_id",
    "conversation_id",
    "created_at",
    "edit_history_tweet_ids",
    "id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "text",
)
EXPANSION_PARAMS = ("expansions", "media.fields", "user.fields", "place.fields", "poll.fields")
CREATE_TWEET_FIELDS = {
    "text",
    "reply",
    "media",
    "quote_tweet_id",
    "poll",
    "reply_settings",
    "geo",
    "nullcast",
    "for_super_followers_only",
    "direct_message_deep_link",
    "community_id",
    "card_uri",
    "made_with_ai",
    "paid_partnership",
    "share_with_followers",
    "edit_options",
}
OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
)


@dataclass
class XUser:
    id: str
    username: str
    name: str
    access_token: str


@dataclass
class XMedia:
    id: str
    media_key: str
    owner_id: str
    size: int
    media_type: str
    media_category: str
    created_at: float
    alt_text: str | None = None
    data: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class XMediaRef:
    """A media attached to a stored tweet, with the alt text it had when the tweet was made."""

    id: str
    alt_text: str | None


@dataclass
class XTweet:
    id: str
    text: str  # as the client sent it (URLs not wrapped)
    author_id: str
    created_at: float
    reply_to: str | None = None
    media: list[XMediaRef] = field(default_factory=list)
    conversation_id: str = ""

    @property
    def media_ids(self) -> list[str]:
        return [m.id for m in self.media]


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> Response:
    """X's RFC 7807 problem-details error body."""
    return Response(status, {"detail": detail, "type": type_, "title": title, "status": status})


def invalid_request(message: str, parameters: dict[str, list[str]] | None = None) -> Response:
    """X's 400 "Invalid Request" body, one error with the offending parameters."""
    error: dict[str, Any] = {"parameters": parameters or {}, "message": message}
    return Response(
        400,
        {
            "errors": [error],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST_TYPE,
        },
    )


def _oauth_params(header: str | None) -> dict[str, str] | None:
    if not header or not header.startswith("OAuth "):
        return None
    return {k: unquote(v) for k, v in re.findall(r'([\w.-]+)="([^"]*)"', header[6:])}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int(epoch * 1000) % 1000:03d}Z"
    )


class XServer(FakeServer):
    """The fake X API. Use as a context manager; `base_url` is where it listens."""

    def __init__(
        self,
        *,
        consumer_key: str = "test-consumer-key",
        access_token: str = "1500000000000000001-test-access-token",
        user_id: str = "1500000000000000001",
        username: str = "crier_author",
        name: str = "Crier Author",
        clock: FakeClock | None = None,
        max_weighted_length: int = 280,
        limits: dict[str, tuple[int, float]] | None = None,
        app_limit_24h: int = 10_000,
        user_limit_24h: int | None = None,
        max_image_bytes: int = MAX_IMAGE_BYTES,
        wrap_urls: bool = True,
    ) -> None:
        super().__init__(clock=clock)
        self.consumer_key = consumer_key
        self.users: dict[str, XUser] = {}  # by access token
        self.add_user(access_token, user_id=user_id, username=username, name=name)
        self.max_weighted_length = max_weighted_length
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.app_limit_24h = app_limit_24h
        self.user_limit_24h = user_limit_24h
        self.max_image_bytes = max_image_bytes
        self.wrap_urls = wrap_urls
        self.tweets: list[XTweet] = []
        self.media: dict[str, XMedia] = {}
        self._seq = 0
        self.add_route("POST", "/2/tweets", self._create_tweet)
        self.add_route("GET", "/2/users/me", self._users_me)
        self.add_route("GET", "/2/users/:id/tweets", self._user_tweets)
        self.add_route("GET", "/2/tweets/:id", self._get_tweet)
        self.add_route("POST", "/2/media/upload", self._upload_media)
        self.add_route("POST", "/2/media/metadata", self._media_metadata)

    # ---- configuration and helpers for tests -----------------------------------------------

    def add_user(
        self,
        access_token: str,
        *,
        user_id: str | None = None,
        username: str = "other_user",
        name: str = "Other User",
    ) -> XUser:
        with self.lock:
            user = XUser(
                user_id or str(1500000000000000001 + len(self.users)), username, name, access_token
            )
            self.users[access_token] = user
            return user

    @property
    def user(self) -> XUser:
        """The first (default) user."""
        return next(iter(self.users.values()))

    def tweet(self, tweet_id: str) -> XTweet | None:
        with self.lock:
            return next((t for t in self.tweets if t.id == tweet_id), None)

    def seed_tweet(self, text: str, *, author_id: str | None = None) -> XTweet:
        """Store a tweet directly (e.g. an earlier post by the user, for reconcile tests)."""
        with self.lock:
            tweet = XTweet(self._next_id(), text, author_id or self.user.id, self.clock.now())
            tweet.conversation_id = tweet.id
            self.tweets.append(tweet)
            return tweet

    def weighted_length(self, text: str) -> int:
        return int(twitter_text.parse_tweet(text).weightedLength)

    def _next_id(self) -> str:
        self._seq += 1
        ms = int(self.clock.now() * 1000) - TWEPOCH_MS
        return str((ms << 22) | (self._seq & 0x3FFFFF))

    def displayed_text(self, text: str) -> str:
        """The text as X returns it: every URL the extractor finds becomes a t.co link."""
        if not self.wrap_urls:
            return text
        out, last = [], 0
        for entity in twitter_text.extract_urls_with_indices(text):
            start, end = entity["indices"]
            digest = hashlib.sha256(entity["url"].encode("utf-8")).digest()
            slug = base64.b32encode(digest).decode("ascii").lower()[:10]
            out += [text[last:start], f"https://t.co/{slug}"]
            last = end
        out.append(text[last:])
        return "".join(out)

    # ---- auth, limits, error shape (hooks of FakeServer) -----------------------------------

    def error_response(self, status: int, message: str) -> Response:
        if status == 404:
            return Response(
                404,
                {
                    "errors": [{"message": "Sorry, that page does not exist"}],
                    "title": "Not Found Error",
                    "detail": message,
                    "type": NOT_FOUND_TYPE,
                },
            )
        return problem(status, message, message)

    def _authenticate(self, request: Request) -> XUser:
        params = _oauth_params(request.header("authorization"))
        if (
            params is None
            or any(not params.get(name) for name in OAUTH_REQUIRED)
            or params["oauth_consumer_key"] != self.consumer_key
            or params["oauth_token"] not in self.users
        ):
            raise HttpError(problem(401, "Unauthorized", "Unauthorized"))
        return self.users[params["oauth_token"]]

    def dispatch(self, request: Request, route: Route | None) -> Response:
        if route is None:
            return super().dispatch(request, route)
        try:
            user = self._authenticate(request)
        except HttpError as err:
            return err.response
        request.context["user"] = user
        limit, period = self.limits[route.name]
        window = self.limiter.hit(route.name, user.id, limit, period)
        request.context["window"] = window
        if window.exceeded:
            return problem(429, "Too Many Requests", "Too Many Requests")
        if route.name == "POST /2/tweets":
            app = self.limiter.hit("app-24h", self.consumer_key, self.app_limit_24h, 86400)
            request.context["app_window"] = app
            user_day = None
            if self.user_limit_24h is not None:
                user_day = self.limiter.hit("user-24h", user.id, self.user_limit_24h, 86400)
                request.context["user_window"] = user_day
            if app.exceeded or (user_day is not None and user_day.exceeded):
                return problem(429, "Too Many Requests", "Too Many Requests")
        return super().dispatch(request, route)

    def finish(self, request: Request, route: Route | None, response: Response) -> Response:
        if route is None:
            return response
        window = request.context.get("window")
        if window is None:  # not authenticated: report the window without counting
            limit, period = self.limits[route.name]
            window = self.limiter.peek(route.name, "anonymous", limit, period)
        response.headers.update(
            {
                "x-rate-limit-limit": str(window.limit),
                "x-rate-limit-remaining": str(window.remaining),
                "x-rate-limit-reset": str(int(window.reset)),
            }
        )
        for key, prefix in (
            ("app_window", "x-app-limit-24hour"),
            ("user_window", "x-user-limit-24hour"),
        ):
            extra = request.context.get(key)
            if extra is not None:
                response.headers[f"{prefix}-limit"] = str(extra.limit)
                response.headers[f"{prefix}-remaining"] = str(extra.remaining)
                response.headers[f"{prefix}-reset"] = str(int(extra.reset))
        return response

    def fault_rate_limit_response(
        self, request: Request, route: Route | None, reset_epoch: float
    ) -> Response:
        limit = self.limits[route.name][0] if route is not None else 0
        response = problem(429, "Too Many Requests", "Too Many Requests")
        response.headers.update(
            {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(reset_epoch)),
            }
        )
        return response

    # ---- endpoints -------------------------------------------------------------------------

    def _json_body(self, request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise HttpError(invalid_request("Request body is not valid JSON.")) from None
        if not isinstance(body, dict):
            raise HttpError(invalid_request("Request body must be a JSON object."))
        return body

    def _create_tweet(self, request: Request) -> Response:
        user: XUser = request.context["user"]
        body = self._json_body(request)
        unknown = sorted(set(body) - CREATE_TWEET_FIELDS)
        if unknown:
            raise HttpError(
                invalid_request(
                    f"The `{unknown[0]}` field is not one of "
                    f"[{', '.join(sorted(CREATE_TWEET_FIELDS))}]",
                    {unknown[0]: [str(body[unknown[0]])]},
                )
            )
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise HttpError(invalid_request("`text` must be a string", {"text": [str(text)]}))

        media_ids: list[str] = []
        if "media" in body:
            media = body["media"]
            ids = media.get("media_ids") if isinstance(media, dict) else None
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise HttpError(
                    invalid_request(
                        "`media.media_ids` must be a list of strings",
                        {"media.media_ids": [str(ids)]},
                    )
                )
            if not 1 <= len(ids) <= MAX_MEDIA_PER_TWEET:
                raise HttpError(
                    invalid_request(
                        f"The number of values in the `media.media_ids` query parameter list "
                        f"[{len(ids)}] is not between 1 and {MAX_MEDIA_PER_TWEET}",
                        {"media.media_ids": ids},
                    )
                )
            now = self.clock.now()
            for media_id in ids:
                item = self.media.get(media_id)
                if (
                    item is None
                    or item.owner_id != user.id
                    or now > item.created_at + MEDIA_EXPIRES_AFTER_SECS
                ):
                    raise HttpError(
                        problem(
                            400,
                            "Invalid Request",
                            "Your media IDs are invalid.",
                            INVALID_REQUEST_TYPE,
                        )
                    )
            media_ids = ids

        if not text and not media_ids:
            raise HttpError(
                invalid_request(
                    "Post text is empty: `text` or `media.media_ids` is required", {"text": [""]}
                )
            )
        text = text or ""
        if text:
            parsed = twitter_text.parse_tweet(text)
            if parsed.weightedLength > self.max_weighted_length:
                raise HttpError(
                    problem(400, "Invalid Request", TOO_LONG_DETAIL, INVALID_REQUEST_TYPE)
                )
            if not parsed.valid:
                raise HttpError(
                    problem(
                        400, "Invalid Request", "Your Tweet text is invalid.", INVALID_REQUEST_TYPE
                    )
                )

        reply_to: str | None = None
        if "reply" in body:
            reply = body["reply"]
            target = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
            if not isinstance(target, str) or not target.isdigit():
                raise HttpError(
                    invalid_request(
                        "`reply.in_reply_to_tweet_id` must be a tweet id string",
                        {"reply.in_reply_to_tweet_id": [str(target)]},
                    )
                )
            if self.tweet(target) is None:
                raise HttpError(problem(403, "Forbidden", REPLY_MISSING_DETAIL))
            reply_to = target

        if text and any(t.author_id == user.id and t.text == text for t in self.tweets):
            raise HttpError(problem(403, "Forbidden", DUPLICATE_DETAIL))

        tweet = XTweet(
            id=self._next_id(),
            text=text,
            author_id=user.id,
            created_at=self.clock.now(),
            reply_to=reply_to,
            media=[XMediaRef(i, self.media[i].alt_text) for i in media_ids],
        )
        parent = self.tweet(reply_to) if reply_to else None
        tweet.conversation_id = parent.conversation_id if parent else tweet.id
        self.tweets.append(tweet)
        data = {
            "id": tweet.id,
            "text": self.displayed_text(text),
            "edit_history_tweet_ids": [tweet.id],
        }
        return Response(201, {"data": data})

    def _users_me(self, request: Request) -> Response:
        user: XUser = request.context["user"]
        return Response(
            200, {"data": {"id": user.id, "name": user.name, "username": user.username}}
        )

    def _check_params(self, request: Request, allowed: tuple[str, ...]) -> list[str]:
        for name in request.query:
            if name not in allowed:
                raise HttpError(
                    invalid_request(
                        f"The query parameter [{name}] is not one of [{','.join(allowed)}]",
                        {name: request.query[name]},
                    )
                )
        fields = [f for f in (request.arg("tweet.fields") or "").split(",") if f]
        for name in fields:
            if name not in TWEET_FIELDS:
                raise HttpError(
                    invalid_request(
                        f"The `tweet.fields` query parameter value [{name}] is not one of "
                        f"[{','.join(TWEET_FIELDS)}]",
                        {"tweet.fields": [name]},
                    )
                )
        return fields

    def _render(self, tweet: XTweet, fields: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": tweet.id,
            "text": self.displayed_text(tweet.text),
            "edit_history_tweet_ids": [tweet.id],
        }
        for name in fields:
            if name == "created_at":
                data[name] = _iso(tweet.created_at)
            elif name == "author_id":
                data[name] = tweet.author_id
            elif name == "conversation_id":
                data[name] = tweet.conversation_id
            elif name == "in_reply_to_user_id" and tweet.reply_to:
                parent = self.tweet(tweet.reply_to)
                if parent is not None:
                    data[name] = parent.author_id
            elif name == "referenced_tweets" and tweet.reply_to:
                data[name] = [{"type": "replied_to", "id": tweet.reply_to}]
            elif name == "attachments" and tweet.media:
                data[name] = {"media_keys": [self.media[m.id].media_key for m in tweet.media]}
        return data

    def _user_tweets(self, request: Request) -> Response:
        fields = self._check_params(
            request,
            (
                "max_results",
                "since_id",
                "until_id",
                "pagination_token",
                "exclude",
                "tweet.fields",
                "start_time",
                "end_time",
                *EXPANSION_PARAMS,
            ),
        )
        user_id = request.params["id"]
        if not any(u.id == user_id for u in self.users.values()):
            return Response(
                200,
                {
                    "errors": [
                        {
                            "value": user_id,
                            "detail": f"Could not find user with id: [{user_id}].",
                            "title": "Not Found Error",
                            "resource_type": "user",
                            "parameter": "id",
                            "resource_id": user_id,
                            "type": NOT_FOUND_TYPE,
                        }
                    ]
                },
            )
        raw_max = request.arg("max_results") or "10"
        if not raw_max.isdigit() or not 5 <= int(raw_max) <= 100:
            raise HttpError(
                invalid_request(
                    f"The `max_results` query parameter value [{raw_max}] is not between 5 and 100",
                    {"max_results": [raw_max]},
                )
            )
        max_results = int(raw_max)
        excluded = set((request.arg("exclude") or "").split(","))
        since_id, until_id = request.arg("since_id"), request.arg("until_id")
        mine = sorted(
            (t for t in self.tweets if t.author_id == user_id),
            key=lambda t: int(t.id),
            reverse=True,
        )
        if "replies" in excluded:
            mine = [t for t in mine if t.reply_to is None]
        if since_id:
            mine = [t for t in mine if int(t.id) > int(since_id)]
        if until_id:
            mine = [t for t in mine if int(t.id) < int(until_id)]
        token = request.arg("pagination_token")
        offset = 0
        if token:
            try:
                offset = int(token.removeprefix("page"))
            except ValueError:
                raise HttpError(
                    invalid_request("Invalid pagination_token", {"pagination_token": [token]})
                ) from None
        page = mine[offset : offset + max_results]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if offset + max_results < len(mine):
            meta["next_token"] = f"page{offset + max_results}"
        if offset:
            meta["previous_token"] = f"page{max(offset - max_results, 0)}"
        out: dict[str, Any] = {"meta": meta}
        if page:
            out["data"] = [self._render(t, fields) for t in page]
        return Response(200, out)

    def _get_tweet(self, request: Request) -> Response:
        fields = self._check_params(request, ("tweet.fields", *EXPANSION_PARAMS))
        tweet_id = request.params["id"]
        tweet = self.tweet(tweet_id)
        if tweet is None:
            return Response(
                200,
                {
                    "errors": [
                        {
                            "value": tweet_id,
                            "detail": f"Could not find tweet with id: [{tweet_id}].",
                            "title": "Not Found Error",
                            "resource_type": "tweet",
                            "parameter": "id",
                            "resource_id": tweet_id,
                            "type": NOT_FOUND_TYPE,
                        }
                    ]
                },
            )
        return Response(200, {"data": self._render(tweet, fields)})

    def _upload_media(self, request: Request) -> Response:
        user: XUser = request.context["user"]
        category: str | None
        media_type: str | None
        if request.content_type == "application/json":
            body = self._json_body(request)
            try:
                data = base64.b64decode(str(body.get("media") or ""), validate=True)
            except binascii.Error:
                raise HttpError(invalid_request("`media` is not valid base64")) from None
            category, media_type = body.get("media_category"), body.get("media_type")
        else:
            try:
                form = request.form()
            except (ValueError, UnicodeDecodeError):
                raise HttpError(
                    invalid_request("Request body is not multipart/form-data")
                ) from None
            parts = form.get("media")
            if "media_data" in form and not parts:
                try:
                    data = base64.b64decode(form["media_data"][0].data, validate=True)
                except binascii.Error:
                    raise HttpError(invalid_request("`media_data` is not valid base64")) from None
            elif parts:
                data = parts[0].data
            else:
                data = b""
            category = form["media_category"][0].text if "media_category" in form else None
            media_type = form["media_type"][0].text if "media_type" in form else None
        if not data:
            raise HttpError(invalid_request("`media` is required", {"media": []}))
        if category not in ("tweet_image", "dm_image", "subtitles"):
            raise HttpError(
                invalid_request(
                    f"The `media_category` value [{category}] is not one of "
                    "[tweet_image,dm_image,subtitles]",
                    {"media_category": [str(category)]},
                )
            )
        sniffed = sniff_image(data)
        if sniffed is None:
            raise HttpError(invalid_request("Unsupported media type: not an image", {"media": []}))
        if len(data) > self.max_image_bytes:
            raise HttpError(
                invalid_request(
                    f"Image file size must be <= {self.max_image_bytes} bytes (got {len(data)})",
                    {"media": [str(len(data))]},
                )
            )
        media_id = self._next_id()
        item = XMedia(
            id=media_id,
            media_key=f"3_{media_id}",
            owner_id=user.id,
            size=len(data),
            media_type=media_type or sniffed,
            media_category=category,
            created_at=self.clock.now(),
            data=data,
        )
        self.media[media_id] = item
        return Response(
            200,
            {
                "data": {
                    "id": item.id,
                    "media_key": item.media_key,
                    "size": item.size,
                    "expires_after_secs": MEDIA_EXPIRES_AFTER_SECS,
                }
            },
        )

    def _media_metadata(self, request: Request) -> Response:
        user: XUser = request.context["user"]
        body = self._json_body(request)
        media_id = body.get("id")
        metadata = body.get("metadata")
        if not isinstance(media_id, str) or not isinstance(metadata, dict):
            raise HttpError(invalid_request("`id` (string) and `metadata` (object) are required"))
        item = self.media.get(media_id)
        if item is None or item.owner_id != user.id:
            raise HttpError(
                problem(
                    400, "Invalid Request", f"Media id {media_id} not found.", INVALID_REQUEST_TYPE
                )
            )
        alt = metadata.get("alt_text")
        if alt is not None:
            alt_text = alt.get("text") if isinstance(alt, dict) else None
            if not isinstance(alt_text, str):
                raise HttpError(invalid_request("`metadata.alt_text.text` must be a string"))
            if len(alt_text) > MAX_ALT_TEXT:
                raise HttpError(
                    invalid_request(
                        f"`metadata.alt_text.text` must be at most {MAX_ALT_TEXT} characters "
                        f"(got {len(alt_text)})",
                        {"metadata.alt_text.text": [str(len(alt_text))]},
                    )
                )
            item.alt_text = alt_text
        return Response(200, {"data": {"id": item.id, "associated_metadata": metadata}})


# ---- tweepy routing --------------------------------------------------------------------------

X_HOSTS = (
    "https://api.twitter.com/",
    "https://api.x.com/",
    "https://upload.twitter.com/",
    "https://upload.x.com/",
)


class _RewriteAdapter(HTTPAdapter):
    """Sends requests for X's hosts to `base_url` instead, keeping path and query."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, *args, **kwargs)


def route_to(session: requests.Session, base_url: str) -> None:
    """Mount an adapter on `session` (e.g. ``tweepy.Client(...).session``) that rewrites
    ``https://api.twitter.com`` / ``https://api.x.com`` (and the upload hosts) to `base_url`.
    OAuth 1.0a signing happens before the adapter, so the signature is over X's real URL."""
    adapter = _RewriteAdapter(base_url)
    for prefix in X_HOSTS:
        session.mount(prefix, adapter)


@contextmanager
def running_x_server(**kwargs: Any) -> Iterator[XServer]:
    """Start an `XServer` (keyword arguments as for the class) and stop it afterwards."""
    with XServer(**kwargs) as server:
        yield server
