"""What the Meta Graph family of publishers shares: the Graph error object and what each code
means for a post, the request with the account's token, the usage headers' wait, the kept
(refreshed) token, and the container flow of the networks that publish through containers.

The error object (`{"error": {"message", "type", "code", "error_subcode", "error_user_msg",
"is_transient", "fbtrace_id"}}`, PLATFORMS.md, the Page section's errors) is sorted so:

- codes 4, 17, 32, 613 and 80001-80014 are rate limits: wait as long as the usage headers'
  `estimated_time_to_regain_access` says (minutes), not a failure;
- 190: the token expired or was revoked: Reconnect (the delivery waits for the author to
  reconnect; nothing was sent);
- 368: blocked for a policy reason: Permanent, in Meta's words;
- 2207052 / 2207003 (Meta could not fetch the image): nothing was published, so the container
  is simply made again;
- 2207027, and 24 with 4279009 (not ready yet): poll again later;
- 2207008 (the container expired): make a new one;
- `is_transient`, or a 5xx: Transient; any other answer: Permanent, in Meta's words.

The container flow (`ContainerPublisher`): a part's container is created and the part ends
`Pending({"container": id})`, so the daemon commits the id before anything can publish it; when
the part comes back its container's status is read, and only a FINISHED container is
published. A container that reads PUBLISHED is live already: it is found again in the
account's recent posts by its text, never published twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests  # type: ignore[import-untyped]

from content.errors import CrierError
from scheduler.media import MediaError, MediaHost, media_host, missing_host_message
from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Pending,
    Permanent,
    PublishError,
    RateLimited,
    Reconnect,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.http import (
    DEFAULT_TIMEOUT,
    FALLBACK_RATE_LIMIT_WAIT,
    MAX_WORDS,
    HttpPublisher,
    utc_now,
)
from scheduler.publishers.tokens import KeptToken
from scheduler.settings import Settings

log = logging.getLogger(__name__)

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
TOKEN_GONE = 190
POLICY_BLOCK = 368
MEDIA_NOT_FETCHED = frozenset({2207052, 2207003})
NOT_READY = frozenset({2207027, 4279009})
CONTAINER_EXPIRED = frozenset({2207008})
DAILY_LIMIT = frozenset({2207042})
# A spent publishing quota rolls over a 24-hour window whose oldest post is not named: look again
# in an hour.
QUOTA_WAIT = timedelta(hours=1)
# A quota read with room to spare is trusted this long, counting our own posts off it (another
# process posting meanwhile can only make the network refuse one, which waits like a 429).
QUOTA_TRUSTED = timedelta(minutes=10)
QUOTA_MARGIN = 5
QUOTA_UNKNOWN = 0  # an answer without the numbers: read it again next time
NO_QUOTA = 10**9  # what a network does not limit (a network without replies)

# Polling a container: once as soon as its id is committed, then after FIRST_POLL, then every
# POLL. Meta suggests about once a minute for at most 5 minutes; a peer saw a median of about
# 7 s before an image container was ready (PLATFORMS.md, container status).
FIRST_POLL = timedelta(seconds=10)
POLL = timedelta(seconds=30)
GIVE_UP = timedelta(minutes=10)  # still IN_PROGRESS: make the container again
MAX_REMADE = 2  # containers made again (expired, failed fetch, stuck) before giving up


# ---- the error object -------------------------------------------------------------------------

@dataclass(frozen=True)
class GraphError:
    """The Graph API's error object, as much of it as the answer carried."""

    code: int | None
    subcode: int | None
    is_transient: bool
    fbtrace_id: str
    message: str  # `error_user_msg` when Meta wrote one for people, else `message`

    def words(self) -> str:
        numbers = f"code {self.code}" + (f"/{self.subcode}" if self.subcode else "")
        trace = f", fbtrace_id {self.fbtrace_id}" if self.fbtrace_id else ""
        return f"{self.message[:MAX_WORDS]} ({numbers}{trace})"


def graph_error(response: requests.Response) -> GraphError | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None

    def number(key: str) -> int | None:
        value = error.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    message = error.get("error_user_msg") or error.get("message") or response.reason or ""
    return GraphError(number("code"), number("error_subcode"), error.get("is_transient") is True,
                      str(error.get("fbtrace_id") or ""), str(message))


class MediaNotFetched(Transient):
    """Meta could not fetch an image: nothing was published, the container is made again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=False)


class NotReady(PublishError):
    """The container is not ready to publish yet: poll again."""


class ContainerExpired(PublishError):
    """The container is gone (not published within 24 hours): make a new one."""


def usage_wait(headers: Mapping[str, str]) -> timedelta | None:
    """The longest `estimated_time_to_regain_access` (minutes) in the usage headers."""
    minutes: list[float] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "estimated_time_to_regain_access" and isinstance(item, int | float):
                    minutes.append(float(item))
                else:
                    collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    lower = {k.lower(): v for k, v in headers.items()}
    for name in ("x-business-use-case-usage", "x-app-usage"):
        raw = lower.get(name)
        if raw:
            try:
                collect(json.loads(raw))
            except ValueError:
                continue
    return timedelta(minutes=max(minutes)) if minutes else None


def comparable(text: str) -> str:
    """A text as both sides can compare it: NFC, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# ---- the publisher base -----------------------------------------------------------------------

class GraphPublisher(HttpPublisher):
    """A publisher speaking Meta's Graph API for one account (a user or a Page).

    `token`: the account's token as configured; `kept` (networks that renew): where a renewed
    token is kept, used instead while the configured one has not changed. `token_variable`
    names the variable in the words of a 190 error.
    """

    token_variable: str

    def __init__(self, base_url: str, account_id: str, token: str, *,
                 kept: KeptToken | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(secrets=[token], timeout=timeout, session=session, clock=clock)
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        self._configured = token
        self.kept = kept
        if kept is not None:
            self.redact.add(kept.token_for(token))

    @property
    def token(self) -> str:
        if self.kept is None:
            return self._configured
        token = self.kept.token_for(self._configured)
        if token != self._configured:
            self.redact.add(token)  # renewed here or by another process: a secret too
        return token

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def send(self, method: str, url: str, what: str, *, creates_post: bool = False,
             **kwargs: Any) -> requests.Response:
        # The token goes in a header, never in the address: addresses end up in logs.
        kwargs["headers"] = {"Authorization": f"Bearer {self.token}",
                             **kwargs.get("headers", {})}
        return super().send(method, url, what, creates_post=creates_post, **kwargs)

    def graph(self, method: str, path: str, what: str, *, creates_post: bool = False,
              **kwargs: Any) -> Any:
        """One Graph call; its JSON on success, else the error its code means."""
        response = self.send(method, self.url(path), what, creates_post=creates_post, **kwargs)
        if 200 <= response.status_code < 300:
            return self.json_body(response, what, creates_post=creates_post)
        raise self.classify(response, what, creates_post=creates_post)

    def classify(self, response: requests.Response, what: str, *,
                 creates_post: bool) -> PublishError:
        """The error a Graph error answer means (this module's docstring)."""
        error = graph_error(response)
        if error is None:
            return self.refusal(response, what, creates_post=creates_post)
        said = self.redact(f"{what}: {self.label} said {response.status_code} {error.words()}")
        now = self.clock()
        if error.code in RATE_LIMIT_CODES or response.status_code == 429:
            wait = usage_wait(dict(response.headers))
            if wait is None:
                return RateLimited(now + FALLBACK_RATE_LIMIT_WAIT,
                                   f"{said} (no usage header; waiting {FALLBACK_RATE_LIMIT_WAIT})")
            return RateLimited(now + max(wait, timedelta(minutes=1)), said)
        if error.subcode in DAILY_LIMIT:
            return RateLimited(now + QUOTA_WAIT, said)
        if error.code == TOKEN_GONE:
            return Reconnect(f"{said}. The token has expired or was revoked: reconnect (make a "
                             f"new token as docs/connect/meta.md says and set "
                             f"{self.token_variable})")
        if error.subcode in MEDIA_NOT_FETCHED:
            return MediaNotFetched(f"{said}; nothing was published, the container is made "
                                   "again")
        if error.subcode in NOT_READY:
            return NotReady(said)
        if error.subcode in CONTAINER_EXPIRED:
            return ContainerExpired(said)
        if error.code == POLICY_BLOCK:
            return Permanent(f"{said} (Meta blocked it for a policy reason)")
        if error.is_transient or response.status_code >= 500:
            return Transient(said, sent=creates_post)
        return Permanent(said)

    def identity(self, fields: str, what: str) -> dict[str, Any]:
        me = self.graph("GET", "me", f"{what}: checking the account", params={"fields": fields})
        if not isinstance(me, dict):
            raise Permanent(f"{what}: {self.label} did not say whose the token is")
        return me

    def comment(self, media_id: str, message: str, what: str) -> None:
        """A first comment under a live post. A failure is logged, never raised: the post is
        live, and raising would have the daemon look it up or send it again."""
        try:
            self.graph("POST", f"{media_id}/comments", f"{what}: first comment",
                       data={"message": message})
        except PublishError as exc:
            log.warning("%s: the post is live as %s but its first comment failed: %s; add the "
                        "comment by hand", what, media_id, exc)

    def refresh_token(self, now: datetime) -> datetime | None:
        if self.kept is None:
            return None
        return self.kept.refresh(self._configured, now, self._exchange)

    def _exchange(self, token: str) -> tuple[str, timedelta]:
        """Ask the network for a renewed token: (token, valid for)."""
        what = f"{self.label}: renewing the token"
        response = self.session.request(
            "GET", self.url("refresh_access_token"),
            params={"grant_type": self.refresh_grant},
            headers={"Authorization": f"Bearer {token}"}, timeout=self.timeout)
        if not 200 <= response.status_code < 300:
            raise self.classify(response, what, creates_post=False)
        body = self.json_body(response, what, creates_post=False)
        fresh = str(body.get("access_token") or "") if isinstance(body, dict) else ""
        seconds = body.get("expires_in") if isinstance(body, dict) else None
        if not fresh or not isinstance(seconds, int):
            raise Permanent(f"{what}: {self.label} answered without a token and its lifetime")
        self.redact.add(fresh)
        return fresh, timedelta(seconds=seconds)

    refresh_grant = ""  # th_refresh_token, ig_refresh_token


# ---- the container flow ----------------------------------------------------------------------

class ContainerPublisher(GraphPublisher):
    """A network publishing through containers: one per post, polled, then published.

    A network supplies the fields of its containers (`create_container`, each made with
    `new_container` on its `container_edge`), the status field, its publish edge, its quota
    check and where its recent posts are listed (`recent_posts`, read with `listed`).
    """

    container_edge: str  # the account's edge where its containers are made
    status_field: str  # the container's status field: "status" or "status_code"
    publish_edge: str  # "threads_publish", "media_publish"

    def __init__(self, *args: Any, media: MediaHost | None = None, media_problem: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.media = media
        self.media_problem = media_problem  # why the configured host cannot be used
        self._quota_lock = threading.Lock()
        self._quota: tuple[datetime, int, int] | None = None  # (read at, posts, replies left)

    @abstractmethod
    def create_container(self, delivery: OutgoingDelivery, part: OutgoingPart,
                         previous: Sent | None, what: str) -> str:
        """Make the part's container (and a carousel's children first); its id."""

    @abstractmethod
    def check_quota(self, delivery: OutgoingDelivery, part: OutgoingPart,
                    what: str) -> tuple[int, int]:
        """Read the account's publishing quota: RateLimited when it has no room for the
        delivery, else the room left (posts, replies)."""

    @abstractmethod
    def recent_posts(self, part: OutgoingPart, what: str) -> list[tuple[str, str]]:
        """(media id, text) of the account's recent posts where `part` would be."""

    def new_container(self, fields: dict[str, Any], what: str) -> str:
        """Make one container (a post, or a carousel's child) from `fields`, form-encoded in
        the body (an image address carries its own query); its id."""
        answer = self.graph("POST", f"{self.account_id}/{self.container_edge}",
                            f"{what}: container", data=fields)
        container = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if not container:
            raise Permanent(f"{what}: {self.label} answered a container without an id")
        return container

    def require_post_room(self, posts: tuple[int, int] | None, what: str) -> None:
        """RateLimited when the quota's (used, total) posts leave no room for one more."""
        if posts is not None and posts[0] >= posts[1]:
            raise RateLimited(self.clock() + QUOTA_WAIT, f"{what}: the account has published "
                              f"{posts[0]} of its {posts[1]} posts in 24 hours")

    def signed_in(self, username: object) -> AccountStatus:
        """A working account's status, with the kept token's expiry when it is known."""
        expires = self.kept.expires_at(self._configured) if self.kept else None
        return AccountStatus(True, self.redact(f"signed in as @{username}"), expires)

    def image_url(self, image: OutgoingImage, what: str) -> str:
        """The address Meta fetches `image` from, minted now (a presigned one is fresh)."""
        if self.media is None:
            raise Permanent(f"{what}: {self.media_problem or missing_host_message(self.label)}")
        try:
            return self.media.public_url(image)
        except MediaError as exc:
            raise Permanent(f"{what}: {exc}") from None

    # ---- the interface ---------------------------------------------------------------------

    def publish_part(self, delivery: OutgoingDelivery, part: OutgoingPart,
                     previous: Sent | None) -> Sent | Pending:
        what = self.what(delivery, part)
        checkpoint = dict(part.checkpoint or {})
        container = str(checkpoint.get("container") or "")
        remade = int(checkpoint.get("remade") or 0)
        if container:
            state, words = self.container_state(container, what)
            created = _instant(checkpoint.get("created_at")) or self.clock()
            if state == "PUBLISHED":
                # Published by an attempt whose answer was lost: find it, never publish again.
                return self._found_or_unknown(part, container, what)
            if state == "FINISHED":
                return self._publish(delivery, part, previous, checkpoint, what)
            age = self.clock() - created
            if state == "IN_PROGRESS" and age < GIVE_UP:
                wait = FIRST_POLL if age < FIRST_POLL else POLL
                return Pending(checkpoint, self.clock() + wait,
                               f"{what}: {self.label} is still processing container {container}")
            if state not in ("EXPIRED", "ERROR", "IN_PROGRESS"):
                raise Permanent(self.redact(f"{what}: container {container} is {state}"))
            remade += 1
            if remade > MAX_REMADE:
                raise Permanent(self.redact(
                    f"{what}: container {container} is {state}" + (f": {words}" if words else "")
                    + f" after {MAX_REMADE} new containers; nothing was published"))
            log.info("%s: container %s is %s%s; making a new one", what, container, state,
                     f" ({words})" if words else "")
        return self._create(delivery, part, previous, remade, what)

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        what = self.what(delivery, part)
        container = str((part.checkpoint or {}).get("container") or "")
        if not container:
            # The container id is committed before publish is ever called.
            return Lookup(Found.NO, None, "no container was made for it, so it was never "
                                          "published")
        try:
            state, _ = self.container_state(container, what)
        except Permanent as exc:  # e.g. the token expired meanwhile: the post may be live
            return Lookup(Found.UNKNOWN, None, f"cannot read its container {container} ({exc})")
        if state != "PUBLISHED":
            return Lookup(Found.NO, None, f"its container {container} is {state}, not published")
        try:
            found = self._find(part, what)
        except Permanent as exc:
            return Lookup(Found.UNKNOWN, None, f"its container {container} is published, and "
                                               f"the account's posts cannot be read ({exc})")
        if found is None:
            return Lookup(Found.UNKNOWN, None, f"its container {container} is published but the "
                          "post is not among the account's recent posts; look on "
                          f"{self.label}")
        return Lookup(Found.YES, Sent(found), f"container {container} is published as {found}")

    # ---- steps -----------------------------------------------------------------------------

    def _create(self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None,
                remade: int, what: str) -> Pending:
        if part.index == 0 and not remade and not self._room_for(delivery):
            posts, replies = self.check_quota(delivery, part, what)
            with self._quota_lock:
                self._quota = (self.clock(), posts, replies)
        container = self.create_container(delivery, part, previous, what)
        now = self.clock()
        checkpoint = {"container": container, "created_at": now.isoformat(), "remade": remade}
        # Back at once: the daemon commits the id first, and a text container is often ready
        # by then; one still processing waits FIRST_POLL, then POLL.
        return Pending(checkpoint, now, f"{what}: {self.label} is processing container "
                                        f"{container}")

    def _publish(self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None,
                 checkpoint: dict[str, Any], what: str) -> Sent | Pending:
        container = str(checkpoint["container"])
        try:
            answer = self.graph("POST", f"{self.account_id}/{self.publish_edge}", what,
                                creates_post=True, data={"creation_id": container})
        except NotReady:
            return Pending(checkpoint, self.clock() + POLL,
                           f"{what}: container {container} is not ready yet")
        except ContainerExpired:
            return self._create(delivery, part, previous, int(checkpoint.get("remade") or 0) + 1,
                                what)
        media_id = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if not media_id:
            raise UnknownOutcome(self.redact(f"{what}: {self.label} answered without a media id"))
        log.info("%s: published as %s", what, media_id)
        self._spend(part)
        first_comment = part.payload.get("first_comment")
        if first_comment and self.comments:
            self.comment(media_id, str(first_comment), what)
        return Sent(media_id)

    comments = False  # whether the network takes the author's first comment under a post

    def _room_for(self, delivery: OutgoingDelivery) -> bool:
        """Whether the last quota read, recent and counted down since, leaves room enough."""
        with self._quota_lock:
            if self._quota is None:
                return False
            read_at, posts, replies = self._quota
        replies_wanted = len(delivery.parts) - 1
        return (self.clock() - read_at < QUOTA_TRUSTED and posts > QUOTA_MARGIN
                and replies - replies_wanted > QUOTA_MARGIN)

    def _spend(self, part: OutgoingPart) -> None:
        with self._quota_lock:
            if self._quota is not None:
                read_at, posts, replies = self._quota
                self._quota = (read_at, posts - (part.index == 0), replies - (part.index > 0))

    def container_state(self, container: str, what: str) -> tuple[str, str]:
        """(status, Meta's words about it) of a container."""
        # Meta's words about a failed container: `error_message` beside `status`, or `status`
        # beside `status_code`.
        fields = f"{self.status_field},error_message" if self.status_field == "status" \
            else f"{self.status_field},status"
        body = self.graph("GET", container, f"{what}: container status",
                          params={"fields": fields})
        if not isinstance(body, dict):
            raise Permanent(f"{what}: {self.label} answered a container status without fields")
        state = str(body.get(self.status_field) or "").upper()
        words = str(body.get("error_message") or body.get("status") or "")
        return state.split(":")[0].strip(), self.redact(words)

    def _find(self, part: OutgoingPart, what: str) -> str | None:
        want = comparable(part.text)
        for media_id, text in self.recent_posts(part, what):
            if comparable(text) == want:
                return media_id
        return None

    def _found_or_unknown(self, part: OutgoingPart, container: str, what: str) -> Sent:
        found = self._find(part, what)
        if found is None:
            raise UnknownOutcome(f"{what}: container {container} is published but the post is "
                                 "not among the account's recent posts")
        return Sent(found)

    def what(self, delivery: OutgoingDelivery, part: OutgoingPart) -> str:
        return (f"{self.label}: part {part.index + 1} of {len(delivery.parts)} of delivery "
                f"{delivery.id}")


def read_quota(body: Any, usage: str, config: str) -> tuple[int, int] | None:
    """(used, total) from a publishing-limit answer `{"data": [{usage: n, config: {...}}]}`."""
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        return None
    used, limits = rows[0].get(usage), rows[0].get(config)
    total = limits.get("quota_total") if isinstance(limits, dict) else None
    if isinstance(used, int) and isinstance(total, int):
        return used, total
    return None


def listed(body: Any, text_field: str) -> list[tuple[str, str]]:
    """(media id, text) of each post in a listing `{"data": [{id, <text_field>}, ...]}`."""
    rows = body.get("data") if isinstance(body, dict) else None
    return [(str(row["id"]), str(row.get(text_field) or "")) for row in rows or []
            if isinstance(row, dict) and row.get("id")]


def configured_media(settings: Settings) -> dict[str, Any]:
    """The `media` and `media_problem` arguments for the configured host: a host set up wrongly
    fails only the posts with images, naming the variable, and text still goes out."""
    try:
        return {"media": media_host(settings), "media_problem": ""}
    except CrierError as exc:
        return {"media": None, "media_problem": str(exc)}


def _instant(raw: object) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def account_file_key(network: str, account_id: str) -> str:
    """A file name part for an account: its hash, so the file name says nothing."""
    return f"{network}-{hashlib.sha256(account_id.encode()).hexdigest()[:12]}"


__all__ = ["ContainerExpired", "ContainerPublisher", "GraphError", "GraphPublisher",
           "MediaNotFetched", "NotReady", "account_file_key", "comparable", "configured_media",
           "listed",
           "graph_error",
           "read_quota", "usage_wait"]
