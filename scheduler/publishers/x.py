"""The X publisher: posts through tweepy, images through the v2 media upload, reconcile by reading
the account's recent posts.

- Each part is `tweepy.Client.create_tweet` (OAuth 1.0a user context), a reply to the part
  before it.
- Images: tweepy 4.17 has no v2 media upload, so `POST /2/media/upload` (multipart) and the alt
  text (`POST /2/media/metadata`) are sent on tweepy's own session, signed by tweepy's
  `OAuth1UserHandler(...).apply_auth()`.
- X has no idempotency key. Reconcile reads the account's recent posts and looks for the part
  by its text, compared in a normal form (NFC, entities unescaped, URLs removed: X returns every
  link as a t.co link and appends one for attached media). A part after the first must also be
  a reply to a post carrying the previous part's text, and so on up to the first, so the
  identical closing part of an older thread is never mistaken for this one.
- A 403 "duplicate content" means X already holds that text: after an unknown outcome that is
  the sign the part landed. It is confirmed by the same lookup before it is believed.

`X_API_BASE_URL` (for tests and self-hosted proxies only) sends every request meant for X's hosts
to another address, keeping path and query: the signature is still made over X's real URL.

tweepy signs and posts; what its errors mean is decided by the shared `HttpPublisher` code, like
every other network's. tweepy (and the X counter) load in the factory, not on import: the
declaration is read by every command.
"""

from __future__ import annotations

import html
import logging
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests  # type: ignore[import-untyped]

from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Permanent,
    PublishError,
    PublisherSpec,
    RateLimited,
    Sent,
    UnknownOutcome,
)
from scheduler.publishers.http import (
    DEFAULT_TIMEOUT,
    HttpPublisher,
    Page,
    TimeoutAdapter,
    guard_library_logs,
    json_words,
    mime_of,
    require_variables,
    timeouts,
    utc_now,
)
from scheduler.settings import Settings

log = logging.getLogger(__name__)
# At DEBUG these log what goes over the wire: tweepy whole responses (a server may echo a
# token back), requests-oauthlib and oauthlib the consumer key, the access token and the
# signed header. Their records pass through a filter that takes our secrets out.
LIBRARY_LOGGERS = ("tweepy.client", "requests_oauthlib.oauth1_auth", "oauthlib.oauth1.rfc5849",
                   "oauthlib.oauth1.rfc5849.signature")

X_API = "https://api.x.com"
X_HOSTS = (
    "https://api.twitter.com/",
    "https://api.x.com/",
    "https://upload.twitter.com/",
    "https://upload.x.com/",
)
ENV = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
MAX_IMAGES = 4
MAX_ALT_TEXT = 1000
# How far back reconcile reads: the account's last 200 posts (2 pages of 100). A part being
# reconciled was sent minutes or hours ago by a solo author: it is well within them.
RECENT_PAGES = 2
PAGE_SIZE = 100
DUPLICATE = "duplicate content"
# The daily caps' headers (PLATFORMS.md, X "rate limits": seen in X's responses, not in its
# docs). A 429 from a daily cap also carries the 15-minute window's reset, which would only
# bring the post back to another 429: the daily one is waited for.
DAILY_WINDOWS = ("x-user-limit-24hour", "x-app-limit-24hour")


def _tweepy() -> Any:
    import tweepy

    return tweepy


class RewriteAdapter(TimeoutAdapter):
    """Sends requests meant for X's hosts to `base_url` instead, keeping path and query."""

    def __init__(self, base_url: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout)
        self.base_url = base_url.rstrip("/")

    def send(self, request: Any, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> Any:
        parts = urlsplit(request.url or "")
        request.url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                            proxies=proxies)


def normalise(text: str) -> str:
    """A post's text as it can be compared with what X returns: NFC, HTML entities unescaped,
    every URL removed (X rewrites them to t.co), whitespace collapsed."""
    from content.counting.twitter_text import extract_urls

    text = unicodedata.normalize("NFC", html.unescape(text))
    spans = extract_urls(text)
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return " ".join("".join(out).split())


@dataclass(frozen=True)
class _Tweet:
    id: str
    text: str  # normalised
    parent: str | None  # the post it replies to


class XPublisher(HttpPublisher):
    """Publishes to one X account (the one whose access token is configured)."""

    name = "x"
    label = "X"

    def __init__(self, consumer_key: str, consumer_secret: str, access_token: str,
                 access_token_secret: str, *, base_url: str | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        tweepy = _tweepy()
        secrets = [consumer_key, consumer_secret, access_token, access_token_secret]
        self._client: Any = tweepy.Client(
            consumer_key=consumer_key, consumer_secret=consumer_secret,
            access_token=access_token, access_token_secret=access_token_secret,
            return_type=dict, wait_on_rate_limit=False)  # the daemon waits, not a worker
        # tweepy passes no timeout: its own session gets the timeout adapter, an injected one
        # keeps its transport. Either way tweepy and our media calls share it.
        super().__init__(secrets=secrets, timeout=timeout, clock=clock,
                         session=session or self._client.session)
        if session is None:
            self.session.mount("http://", TimeoutAdapter(timeout))
            self.session.mount("https://", TimeoutAdapter(timeout))
        self._client.session = self.session
        if base_url:
            adapter = RewriteAdapter(base_url, timeout)
            for prefix in X_HOSTS:
                self.session.mount(prefix, adapter)
        self._auth = tweepy.OAuth1UserHandler(
            consumer_key, consumer_secret, access_token, access_token_secret).apply_auth()
        guard_library_logs(LIBRARY_LOGGERS, secrets)
        self._lock = threading.Lock()
        # Parts X refused as duplicates that reconcile could not find: lookup must not say NO.
        self._refused_as_duplicate: set[tuple[str, int, int]] = set()

    @classmethod
    def from_settings(cls, settings: Settings, *,
                      session: requests.Session | None = None) -> XPublisher:
        require_variables(settings, PUBLISHER, "X")
        base_url = settings.value("X_API_BASE_URL")
        if base_url and not base_url.startswith(("http://", "https://")):
            raise Permanent(f"X_API_BASE_URL must start with http:// or https://, got {base_url}")
        return cls(*(settings.require(name) for name in ENV), base_url=base_url,
                   timeout=timeouts(settings), session=session)

    # ---- the interface ---------------------------------------------------------------------

    def publish_part(
        self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> Sent:
        what = _what(delivery, part)
        if len(part.images) > MAX_IMAGES:
            raise Permanent(f"{what}: {len(part.images)} images; X takes at most {MAX_IMAGES}")
        for position, image in enumerate(part.images, 1):
            if len(image.alt) > MAX_ALT_TEXT:
                raise Permanent(f"{what}: the alt text of image {position} is {len(image.alt)} "
                                f"characters; X takes at most {MAX_ALT_TEXT}")
        media_ids = [self._upload(image, f"{what}, image {n}")
                     for n, image in enumerate(part.images, 1)]
        kwargs: dict[str, Any] = {"text": part.text, "user_auth": True}
        if media_ids:
            kwargs["media_ids"] = media_ids
        if previous is not None:
            kwargs["in_reply_to_tweet_id"] = previous.remote_id
        tweepy = _tweepy()
        try:
            body = self._client.create_tweet(**kwargs)
        except tweepy.Forbidden as exc:
            if DUPLICATE in _words(exc).lower():
                return self._already_live(delivery, part, what, _words(exc))
            raise self._classified(exc, what, creates_post=True) from None
        except (tweepy.HTTPException, requests.RequestException) as exc:
            raise self._classified(exc, what, creates_post=True) from None
        tweet_id = str(((body or {}).get("data") or {}).get("id") or "")
        if not tweet_id:
            raise UnknownOutcome(self.redact(f"{what}: X answered without a post id: {body}"))
        log.info("%s: posted as %s", what, tweet_id)
        return Sent(tweet_id, _url(tweet_id))

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        what = _what(delivery, part)
        try:
            tweets = self._recent(what)
        except Permanent as exc:  # e.g. an access tier that may not read timelines
            return Lookup(Found.UNKNOWN, None, f"cannot read the account's posts ({exc}); "
                                               "look on X")
        found, detail = _find(delivery, part, tweets)
        if found is not None:
            return Lookup(Found.YES, Sent(found, _url(found)), detail)
        if detail:  # a match whose thread could not be checked
            return Lookup(Found.UNKNOWN, None, detail)
        with self._lock:
            refused = _key(delivery, part) in self._refused_as_duplicate
        if refused:
            return Lookup(Found.UNKNOWN, None,
                          f"X refused it as a duplicate of a post it holds, but it is not "
                          f"among the account's {len(tweets)} most recent posts; look on X")
        return Lookup(Found.NO, None,
                      f"not among the account's {len(tweets)} most recent posts on X")

    def check_account(self) -> AccountStatus:
        try:
            data = self.whoami("X", fresh=True)
        except PublishError as exc:
            return AccountStatus(False, str(exc))
        return AccountStatus(True, self.redact(
            f"signed in as @{data.get('username')} (user id {data.get('id')})"))

    def fetch_identity(self, what: str) -> dict[str, Any]:
        tweepy = _tweepy()
        try:
            body = self._client.get_me(user_auth=True)
        except (tweepy.HTTPException, requests.RequestException) as exc:
            raise self._classified(exc, f"{what}: reading the account",
                                   creates_post=False) from None
        data = (body or {}).get("data") or {}
        if not data.get("id"):
            raise Permanent(f"{what}: X did not say which account the token belongs to")
        return dict(data)

    def refusal(self, response: Any, what: str, *, creates_post: bool,
                words: str | None = None) -> PublishError:
        error = super().refusal(response, what, creates_post=creates_post, words=words)
        if isinstance(error, RateLimited):
            daily = daily_reset(response.headers)
            if daily is not None and daily > error.reset_at:
                return RateLimited(daily, f"{error} (X's daily cap, which resets at "
                                          f"{daily:%Y-%m-%d %H:%M} UTC)")
        return error

    def words(self, response: requests.Response) -> str:
        try:
            return json_words(response.json()) or str(response.reason or "")
        except ValueError:
            return (response.text or "")[:500] or str(response.reason or "")

    # ---- steps -----------------------------------------------------------------------------

    def _upload(self, image: OutgoingImage, what: str) -> str:
        # Before the post itself: a failure here cannot duplicate anything.
        mime = mime_of(image.format)
        extension = mime.rpartition("/")[2]
        body = self.request("POST", f"{X_API}/2/media/upload", what, auth=self._auth,
                            files={"media": (f"image.{extension}", image.data, mime)},
                            data={"media_category": "tweet_image"})
        media_id = str(((body or {}).get("data") or {}).get("id") or "")
        if not media_id:
            raise Permanent(self.redact(f"{what}: X answered the upload without a media id"))
        if image.alt:
            self.request("POST", f"{X_API}/2/media/metadata", f"{what}, alt text",
                         auth=self._auth,
                         json={"id": media_id, "metadata": {"alt_text": {"text": image.alt}}})
        return media_id

    def _already_live(self, delivery: OutgoingDelivery, part: OutgoingPart, what: str,
                      words: str) -> Sent:
        """X says it holds this text already: find that post, and believe it only if found."""
        try:
            tweets = self._recent(what)
        except Permanent as exc:
            raise UnknownOutcome(self.redact(
                f"{what}: X refused it as a duplicate ({words}), so it is probably live, but "
                f"the account's posts cannot be read to confirm it ({exc})")) from None
        found, detail = _find(delivery, part, tweets)
        if found is not None:
            log.warning("%s: X refused it as a duplicate; it is already live as %s (%s)",
                        what, found, detail)
            return Sent(found, _url(found))
        want = normalise(part.text)
        other = next((t for t in tweets.values() if t.text == want), None)
        if other is not None and not detail:
            raise Permanent(self.redact(
                f"{what}: X refused it as a duplicate of an earlier post ({other.id}) that is "
                f"not part of this thread: X will not take the same text twice; edit the "
                f"part and retry ({words})"))
        with self._lock:
            self._refused_as_duplicate.add(_key(delivery, part))
        raise UnknownOutcome(self.redact(
            f"{what}: X refused it as a duplicate ({words}), so it is probably live, but "
            f"reconcile could not find it{': ' + detail if detail else ''}"))

    def _recent(self, what: str) -> dict[str, _Tweet]:
        """The account's most recent posts, by id (replies included, reposts not)."""
        user_id = str(self.whoami(what)["id"])
        tweepy = _tweepy()

        def page(token: str | None) -> Page[_Tweet]:
            params: dict[str, Any] = {
                "max_results": PAGE_SIZE, "exclude": ["retweets"],
                "tweet_fields": ["referenced_tweets"], "user_auth": True}
            if token:
                params["pagination_token"] = token
            try:
                body = self._client.get_users_tweets(user_id, **params)
            except (tweepy.HTTPException, requests.RequestException) as exc:
                raise self._classified(exc, f"{what}: reading recent posts",
                                       creates_post=False) from None
            tweets = []
            for item in (body or {}).get("data") or []:
                parent = next((str(ref.get("id")) for ref in item.get("referenced_tweets") or []
                               if ref.get("type") == "replied_to"), None)
                tweets.append(_Tweet(str(item["id"]), normalise(str(item.get("text", ""))),
                                     parent))
            return tweets, ((body or {}).get("meta") or {}).get("next_token")

        return {t.id: t for t in self.read_recent(page, pages=RECENT_PAGES)}

    def _classified(self, exc: Exception, what: str, *, creates_post: bool) -> PublishError:
        """A tweepy or requests error, sorted by the shared rule."""
        if isinstance(exc, requests.RequestException):
            return self.unanswered(exc, what, creates_post=creates_post)
        return self.refusal(exc.response, what,  # type: ignore[attr-defined]
                            creates_post=creates_post, words=_words(exc))


def _find(delivery: OutgoingDelivery, part: OutgoingPart,
          tweets: dict[str, _Tweet]) -> tuple[str | None, str]:
    """(id, detail) of the post that is `part` of `delivery` among `tweets`, checked along the
    thread; (None, detail) when a text matches but its thread reaches out of sight; (None, "")
    when nothing matches."""
    wants = [normalise(p.text) for p in delivery.parts[: part.index + 1]]
    unsure = ""
    for tweet in sorted(tweets.values(), key=lambda t: int(t.id), reverse=True):
        if tweet.text != wants[-1]:
            continue
        verdict = _chain(tweet, part.index, wants, tweets)
        if verdict is True:
            return tweet.id, f"post {tweet.id} has the text of part {part.index + 1}" + (
                " and replies to the thread's earlier parts" if part.index else "")
        if verdict is None:
            unsure = (f"post {tweet.id} has the text of part {part.index + 1}, but the thread "
                      "it replies to is older than the posts read")
    return None, unsure


def _chain(tweet: _Tweet, index: int, wants: list[str],
           tweets: dict[str, _Tweet]) -> bool | None:
    """Whether `tweet` (with part `index`'s text) sits where that part belongs: True, False,
    or None when its ancestors are out of sight."""
    current = tweet
    for position in range(index, 0, -1):
        if current.parent is None:
            return False
        parent = tweets.get(current.parent)
        if parent is None:
            return None
        if parent.text != wants[position - 1]:
            return False
        current = parent
    return current.parent is None  # the first part is never a reply


def daily_reset(headers: Any) -> datetime | None:
    """When the exhausted daily cap of a 429 resets: the later of the user's and the app's
    whose remaining count is 0 (or not given: the reset's presence on a 429 says enough)."""
    lower = {str(k).lower(): str(v).strip() for k, v in dict(headers).items()}
    resets = [datetime.fromtimestamp(int(lower[f"{window}-reset"]), UTC)
              for window in DAILY_WINDOWS
              if lower.get(f"{window}-reset", "").isdigit()
              and lower.get(f"{window}-remaining", "0") == "0"]
    return max(resets, default=None)


def _key(delivery: OutgoingDelivery, part: OutgoingPart) -> tuple[str, int, int]:
    return (delivery.store_id, delivery.id, part.index)


def _what(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    return f"X: part {part.index + 1} of {len(delivery.parts)} of delivery {delivery.id}"


def _url(tweet_id: str) -> str:
    return f"https://x.com/i/status/{tweet_id}"


def _words(exc: Any) -> str:
    messages = [str(m) for m in getattr(exc, "api_messages", []) if m]
    if messages:
        return "; ".join(messages)
    return str(exc).partition("\n")[2] or str(exc)


PUBLISHER = PublisherSpec(
    network="x",
    variables=ENV,
    account_variable=None,  # X names the account only through a network call
    secrets=ENV,
    factory=XPublisher.from_settings,
    optional=("X_API_BASE_URL",),
)


__all__ = ["ENV", "PUBLISHER", "RewriteAdapter", "XPublisher", "daily_reset", "normalise"]
