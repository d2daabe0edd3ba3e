"""The LinkedIn publisher: the Posts API for the post, the Images API for its images, the
socialActions API for a first comment, and the account's checks (facts: ../shared/PLATFORMS.md,
LinkedIn section).

- A post is `POST /rest/posts` (author, commentary, PUBLIC, the main feed, PUBLISHED) with the
  `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0` headers; LinkedIn answers 201 and
  names the new post in the `x-restli-id` header. The commentary arrives already in LinkedIn's
  "little text" (the formatter escapes it with content/networks/linkedin.py): sent as it is.
- Images: `POST /rest/images?action=initializeUpload` (the author owns them), a PUT of the bytes
  to the upload address it returns, then `content.media` (one) or `content.multiImage` (several),
  each with its alt text. An upload comes before the post: failing there never duplicates.
- LinkedIn has no idempotency key, but it refuses the same commentary from the same author with
  422 DUPLICATE_POST naming the earlier post's URN: a resend after an unknown outcome comes back
  as that URN, recorded as sent, never posted twice.
- Reconcile (`lookup`) reads the author's recent posts (`GET /rest/posts?q=author`). That needs
  `r_member_social` (or `r_organization_social`), which a self-serve app does not get: then it
  cannot tell, and says so (the author looks; her retry is safe, LinkedIn refusing a duplicate).
- A 429 names no reset: LinkedIn's daily limits reset at midnight UTC, so it waits for that.
- A first comment (`part.payload["first_comment"]`) goes on the post once it is live; failing
  there is logged and never makes the post go out again.
- `check_account`: whose the token is (`GET /v2/userinfo`, under /v2, not /rest) for a person;
  the member's roles in the organization (`GET /rest/organizationAcls`) for one. Tokens last 60
  days and a self-serve app cannot refresh them: the expiry is what the author copies from the
  token generator into LINKEDIN_TOKEN_EXPIRES. (`/oauth/v2/introspectToken` reports it, but
  needs the app's client id and secret besides the token.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

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
    Reconnect,
    Sent,
    Transient,
    UnknownOutcome,
)
from scheduler.publishers.http import (
    DEFAULT_TIMEOUT,
    HttpPublisher,
    Page,
    json_words,
    mime_of,
    require_variables,
    reset_time,
    timeouts,
    utc_now,
)
from scheduler.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.linkedin.com/rest"
# LinkedIn serves each monthly version for about a year (its versioning page); a retired one is
# answered 426 NONEXISTENT_VERSION. Raise this as months pass.
DEFAULT_VERSION = "202610"
RESTLI_VERSION = "2.0.0"
ENV = ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_AUTHOR_URN")
OPTIONAL = ("LINKEDIN_API_URL", "LINKEDIN_VERSION", "LINKEDIN_TOKEN_EXPIRES")
MAX_IMAGES = 20  # a multi-image post takes 2 to 20
# Reconcile reads the author's last 100 posts (2 pages of 50): a solo author's recent sends.
RECENT_PAGES = 2
PAGE_SIZE = 50
# The roles that may post as an organization (w_organization_social's list).
POSTING_ROLES = ("ADMINISTRATOR", "CONTENT_ADMIN", "DIRECT_SPONSORED_CONTENT_POSTER")
TOKEN_GENERATOR = "https://www.linkedin.com/developers/tools/oauth/token-generator"
RECONNECT = (f"LinkedIn tokens last 60 days and a self-serve app cannot refresh them: generate a "
             f"new one in the developer portal's token generator ({TOKEN_GENERATOR}, scopes "
             "openid profile w_member_social), set LINKEDIN_ACCESS_TOKEN and "
             "LINKEDIN_TOKEN_EXPIRES, then retry")
LOOK_BY_HAND = ("look at the author's recent activity on LinkedIn; if the post is not there, "
                "retry the delivery: LinkedIn refuses a duplicate, so a retry of a post that did "
                "land is answered with its address instead of a second copy")

_AUTHOR = re.compile(r"urn:li:(?:person:[A-Za-z0-9_-]+|organization:\d+)")
_VERSION = re.compile(r"20\d\d(?:0[1-9]|1[0-2])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_POST_URN = re.compile(r"urn:li:(?:share|ugcPost):\d+")


def author_urn(raw: str) -> str:
    """LINKEDIN_AUTHOR_URN, checked: `urn:li:person:<id>` or `urn:li:organization:<number>`."""
    if not _AUTHOR.fullmatch(raw):
        raise Permanent("LINKEDIN_AUTHOR_URN must be urn:li:person:<id> (the id is the `sub` "
                        "of /v2/userinfo) or urn:li:organization:<number>; fix it in .env or "
                        "the environment")
    return raw


def api_version(raw: str | None) -> str:
    """LINKEDIN_VERSION, checked: a month, YYYYMM; unset gives DEFAULT_VERSION."""
    if raw is None:
        return DEFAULT_VERSION
    if not _VERSION.fullmatch(raw):
        raise Permanent(f"LINKEDIN_VERSION must be a LinkedIn API version, a month written "
                        f"YYYYMM (such as {DEFAULT_VERSION}); fix it in .env or the environment")
    return raw


def token_expiry(raw: str | None) -> datetime | None:
    """LINKEDIN_TOKEN_EXPIRES, checked: a day, YYYY-MM-DD. The token is taken to stop working
    when that day begins (UTC): a warning that comes early, never late."""
    if raw is None:
        return None
    problem = ("LINKEDIN_TOKEN_EXPIRES must be the day the token expires, YYYY-MM-DD (the token "
               "generator shows it); fix it in .env or the environment")
    if not _DAY.fullmatch(raw):
        raise Permanent(problem)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Permanent(problem) from None
    return datetime.combine(day, time(0), UTC)


def api_url(raw: str | None) -> str:
    if raw is None:
        return DEFAULT_API_URL
    if not raw.startswith(("http://", "https://")):
        raise Permanent("LINKEDIN_API_URL must start with https:// (or http:// for a test "
                        "server); fix it in .env or the environment")
    return raw.rstrip("/")


def next_midnight(now: datetime) -> datetime:
    """When LinkedIn's daily limits reset: the next midnight UTC."""
    today = now.astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), time(0), UTC)


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def duplicate_of(body: Any) -> str | None:
    """The earlier post's URN in a 422 DUPLICATE_POST answer, or None for any other answer."""
    if not isinstance(body, dict):
        return None
    errors = ((body.get("errorDetails") or {}).get("inputErrors") or [])
    texts = [str(body.get("message") or "")]
    duplicate = False
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict) and error.get("code") == "DUPLICATE_POST":
            duplicate = True
            texts.append(str(error.get("description") or ""))
    if not duplicate:
        return None
    found = _POST_URN.search(" ".join(texts))
    return found.group(0) if found else None


def same_commentary(ours: str, theirs: str) -> bool:
    """Whether a post LinkedIn returns carries our commentary (whitespace aside)."""
    return " ".join(ours.split()) == " ".join(theirs.split())


class LinkedInPublisher(HttpPublisher):
    """Publishes as one LinkedIn member or organization (LINKEDIN_AUTHOR_URN)."""

    name = "linkedin"
    label = "LinkedIn"

    def __init__(self, access_token: str, author: str, *, base_url: str = DEFAULT_API_URL,
                 version: str = DEFAULT_VERSION, expires_at: datetime | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(secrets=[access_token], timeout=timeout, session=session, clock=clock)
        self.author = author_urn(author)
        self.base_url = base_url.rstrip("/")
        self.version = api_version(version)
        self.expires_at = expires_at
        self._authorization = f"Bearer {access_token}"

    @classmethod
    def from_settings(cls, settings: Settings, *, session: requests.Session | None = None,
                      clock: Callable[[], datetime] = utc_now) -> LinkedInPublisher:
        require_variables(settings, PUBLISHER, "LinkedIn")
        return cls(settings.require("LINKEDIN_ACCESS_TOKEN"),
                   author_urn(settings.require("LINKEDIN_AUTHOR_URN")),
                   base_url=api_url(settings.value("LINKEDIN_API_URL")),
                   version=api_version(settings.value("LINKEDIN_VERSION")),
                   expires_at=token_expiry(settings.value("LINKEDIN_TOKEN_EXPIRES")),
                   timeout=timeouts(settings), session=session, clock=clock)

    @property
    def is_person(self) -> bool:
        return self.author.startswith("urn:li:person:")

    # ---- the interface ---------------------------------------------------------------------

    def publish_part(
        self, delivery: OutgoingDelivery, part: OutgoingPart, previous: Sent | None
    ) -> Sent:
        what = _what(delivery, part)
        if len(delivery.parts) != 1 or previous is not None:
            # Its disclaimer is in its last part: posting the first alone would drop it.
            raise Permanent(f"{what}: a LinkedIn post stands alone, and this delivery has "
                            f"{len(delivery.parts)} parts; queue the post again so it is "
                            "formatted for LinkedIn")
        if len(part.images) > MAX_IMAGES:
            raise Permanent(f"{what}: {len(part.images)} images; LinkedIn takes at most "
                            f"{MAX_IMAGES}")
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": part.text,
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [self._upload(image, f"{what}, image {n}")
                  for n, image in enumerate(part.images, 1)]
        if len(images) == 1:
            body["content"] = {"media": images[0]}
        elif images:
            body["content"] = {"multiImage": {"images": images}}
        response = self.send("POST", self._rest("/posts"), what, creates_post=True, json=body,
                             headers=self._api_headers())
        if response.status_code == 422:
            earlier = duplicate_of(_json_or_none(response))
            if earlier is not None:
                log.warning("%s: LinkedIn refused it as a duplicate of %s: an earlier attempt "
                            "landed there", what, earlier)
                return Sent(earlier, post_url(earlier))
        if not 200 <= response.status_code < 300:
            raise self.refusal(response, what, creates_post=True)
        urn = (response.headers.get("x-restli-id") or "").strip()
        if not urn:
            raise UnknownOutcome(self.redact(
                f"{what}: LinkedIn answered {response.status_code} without naming the post"))
        log.info("%s: posted as %s", what, urn)
        comment = part.payload.get("first_comment")
        if comment:
            self._comment(urn, str(comment), what)
        return Sent(urn, post_url(urn))

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        what = _what(delivery, part)
        try:
            posts = self._recent(what)
        except Permanent as exc:  # no r_member_social: the self-serve case
            return Lookup(Found.UNKNOWN, None,
                          f"cannot read the author's posts ({exc}); {LOOK_BY_HAND}")
        except RateLimited as exc:  # the daemon looks again later, before any resend
            raise Transient(f"{what}: cannot look yet ({exc})", sent=True) from None
        for post in posts:
            if same_commentary(part.text, str(post.get("commentary") or "")):
                urn = str(post.get("id") or "")
                if urn:
                    return Lookup(Found.YES, Sent(urn, post_url(urn)),
                                  f"post {urn} has the part's text")
        return Lookup(Found.NO, None, f"not among the author's {len(posts)} most recent posts "
                                      "on LinkedIn")

    def check_account(self) -> AccountStatus:
        try:
            if self.is_person:
                found, detail = self._check_person()
            else:
                found, detail = self._check_organization()
        except PublishError as exc:
            return AccountStatus(False, str(exc), self.expires_at)
        return AccountStatus(found, self.redact(detail + self._expiry_words()), self.expires_at)

    def fetch_identity(self, what: str) -> dict[str, Any]:
        what = f"{what}: checking the account"
        response = self.send("GET", self._userinfo_url(), what)
        if response.status_code == 403:
            raise Permanent(self.redact(
                f"{what}: LinkedIn said 403 {self.words(response)}: the token was made without "
                "the scopes openid and profile, so LinkedIn will not say whose it is; generate "
                f"it again with openid profile w_member_social ({TOKEN_GENERATOR})"))
        if not 200 <= response.status_code < 300:
            raise self.refusal(response, what, creates_post=False)
        info = self.json_body(response, what, creates_post=False)
        if not isinstance(info, dict) or not info.get("sub"):
            raise Permanent(f"{what}: LinkedIn did not say whose the token is")
        return info

    # ---- the shared loop, LinkedIn's way ---------------------------------------------------

    def send(self, method: str, url: str, what: str, *, creates_post: bool = False,
             **kwargs: Any) -> requests.Response:
        # Per request, not on the session: an injected session may serve several accounts.
        kwargs["headers"] = {"Authorization": self._authorization, **kwargs.get("headers", {})}
        return super().send(method, url, what, creates_post=creates_post, **kwargs)

    def refusal(self, response: Any, what: str, *, creates_post: bool,
                words: str | None = None) -> PublishError:
        said = self.words(response) if words is None else words
        status = response.status_code
        if status == 401:
            return Reconnect(self.redact(
                f"{what}: LinkedIn refused the access token ({status} {said}): it has expired "
                f"or been revoked. {RECONNECT}"))
        if status == 403:
            return Permanent(self.redact(f"{what}: LinkedIn said {status} {said}: "
                                         f"{self._permission_words()}"))
        if status == 426:
            return Permanent(self.redact(
                f"{what}: LinkedIn no longer serves the API version Crier asked for ({status} "
                f"{said}); set LINKEDIN_VERSION to a recent month, YYYYMM"))
        if status == 429 and reset_time(dict(response.headers), self.clock()) is None:
            # LinkedIn names no reset: its daily limits reset at midnight UTC.
            reset = next_midnight(self.clock())
            return RateLimited(reset, self.redact(
                f"{what}: LinkedIn said {status} {said} (its daily limits reset at midnight "
                f"UTC; waiting until {reset:%Y-%m-%d %H:%M} UTC)"))
        return super().refusal(response, what, creates_post=creates_post, words=said)

    def words(self, response: requests.Response) -> str:
        body = _json_or_none(response)
        if isinstance(body, dict):
            code = body.get("code")
            message = json_words(body)
            if isinstance(code, str) and code and code not in message:
                return f"{code}: {message}" if message else code
            if message:
                return message
        return super().words(response)

    # ---- steps -----------------------------------------------------------------------------

    def _upload(self, image: OutgoingImage, what: str) -> dict[str, str]:
        """The image uploaded, as the post's content names it: {id, altText}."""
        answer = self.request("POST", self._rest("/images"), what,
                              params={"action": "initializeUpload"},
                              json={"initializeUploadRequest": {"owner": self.author}},
                              headers=self._api_headers())
        value = answer.get("value") if isinstance(answer, dict) else None
        upload_url = str((value or {}).get("uploadUrl") or "")
        urn = str((value or {}).get("image") or "")
        if not upload_url or not urn:
            raise Permanent(self.redact(f"{what}: LinkedIn answered the upload request without "
                                        "an upload address or an image id"))
        headers: dict[str, str | None] = {"Content-Type": mime_of(image.format)}
        if not self._trusted(upload_url):
            headers["Authorization"] = None  # requests then sends none: the token stays home
        response = self.send("PUT", upload_url, what, data=image.data, headers=headers)
        if not 200 <= response.status_code < 300:
            raise self.refusal(response, what, creates_post=False)
        media = {"id": urn}
        if image.alt:
            media["altText"] = image.alt
        return media

    def _comment(self, urn: str, text: str, what: str) -> None:
        """The first comment; the post is live whatever happens here, so nothing is raised."""
        try:
            self.request("POST", self._rest(f"/socialActions/{quote(urn, safe='')}/comments"),
                         f"{what}, first comment",
                         json={"actor": self.author, "object": urn, "message": {"text": text}},
                         headers=self._api_headers())
        except PublishError as exc:
            log.warning("%s: posted as %s, but its first comment failed (%s); the post stays "
                        "as it is: add the comment on LinkedIn by hand", what, urn, exc)

    def _recent(self, what: str) -> list[dict[str, Any]]:
        """The author's most recent posts, newest first (`r_member_social` needed)."""

        def page(cursor: str | None) -> Page[dict[str, Any]]:
            start = int(cursor or 0)
            answer = self.request(
                "GET", self._rest("/posts"), f"{what}: reading the author's posts",
                params={"author": self.author, "q": "author", "count": PAGE_SIZE,
                        "start": start},
                headers={**self._api_headers(), "X-RestLi-Method": "FINDER"})
            elements = answer.get("elements") if isinstance(answer, dict) else None
            posts = [e for e in elements or [] if isinstance(e, dict)]
            more = len(posts) == PAGE_SIZE
            return posts, str(start + len(posts)) if more else None

        return self.read_recent(page, pages=RECENT_PAGES)

    def _check_person(self) -> tuple[bool, str]:
        info = self.whoami("LinkedIn", fresh=True)
        sub = str(info.get("sub"))
        whose = f"{info.get('name') or 'a member'} (urn:li:person:{sub})"
        if f"urn:li:person:{sub}" != self.author:
            return False, (f"the token belongs to {whose}, but LINKEDIN_AUTHOR_URN names "
                           f"another member: set LINKEDIN_AUTHOR_URN=urn:li:person:{sub}")
        # No call tells whether the token may post (w_member_social) without posting.
        return True, f"signed in as {whose}; posting permission is checked at the first post"

    def _check_organization(self) -> tuple[bool, str]:
        what = "LinkedIn: checking the organization roles"
        answer = self.request("GET", self._rest("/organizationAcls"), what,
                              params={"q": "roleAssignee", "state": "APPROVED", "count": 100},
                              headers=self._api_headers())
        elements = answer.get("elements") if isinstance(answer, dict) else None
        roles = sorted({str(e.get("role")) for e in elements or []
                        if isinstance(e, dict) and e.get("organization") == self.author})
        if not roles:
            return False, (f"the token's member has no approved role in {self.author}: an "
                           "administrator of the page must give her one (Admin tools, Manage "
                           "admins)")
        if not set(roles) & set(POSTING_ROLES):
            return False, (f"the token's member is {', '.join(roles)} of {self.author}, which "
                           f"may not post; posting needs one of {', '.join(POSTING_ROLES)}")
        return True, f"may post as {self.author} ({', '.join(roles)})"

    def _expiry_words(self) -> str:
        if self.expires_at is None:
            return ("; LinkedIn does not report the token's expiry: set LINKEDIN_TOKEN_EXPIRES "
                    "to the day the token generator showed")
        if self.expires_at <= self.clock():
            return ("; LinkedIn still takes the token, but LINKEDIN_TOKEN_EXPIRES is past: set "
                    "it to the current token's expiry day")
        return ""

    def _permission_words(self) -> str:
        if self.is_person:
            return ("the token lacks a permission this needs: posting needs the scope "
                    "w_member_social (the \"Share on LinkedIn\" product; generate the token "
                    "with it); reading the author's posts needs r_member_social, which LinkedIn "
                    "grants to approved partners only")
        return (f"the token may not act for {self.author}: posting as an organization needs "
                "w_organization_social (the Community Management API) and a member who is an "
                "administrator or content admin of the page; reading its posts needs "
                "r_organization_social")

    def _trusted(self, url: str) -> bool:
        """Whether the token may go to `url`: LinkedIn's own hosts, or the API's (a test
        server, a proxy). LinkedIn's upload addresses carry the token, as its docs show."""
        host = (urlsplit(url).hostname or "").lower()
        return (host == "linkedin.com" or host.endswith(".linkedin.com")
                or host == urlsplit(self.base_url).hostname)

    def _api_headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": self.version, "X-Restli-Protocol-Version": RESTLI_VERSION}

    def _rest(self, path: str) -> str:
        return self.base_url + path

    def _userinfo_url(self) -> str:
        # OpenID Connect's userinfo lives beside /rest, under /v2.
        root = self.base_url.removesuffix("/rest")
        return f"{root}/v2/userinfo"


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _what(delivery: OutgoingDelivery, part: OutgoingPart) -> str:
    return f"LinkedIn: part {part.index + 1} of {len(delivery.parts)} of delivery {delivery.id}"


PUBLISHER = PublisherSpec(
    network="linkedin",
    variables=ENV,
    account_variable="LINKEDIN_AUTHOR_URN",
    secrets=("LINKEDIN_ACCESS_TOKEN",),
    factory=LinkedInPublisher.from_settings,
    optional=OPTIONAL,
)

__all__ = ["DEFAULT_API_URL", "DEFAULT_VERSION", "PUBLISHER", "LinkedInPublisher", "api_version",
           "author_urn", "duplicate_of", "next_midnight", "post_url", "token_expiry"]
