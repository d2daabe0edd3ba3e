"""The shared HTTP base of the networks' publishers (`HttpPublisher`) and its plumbing: sessions
with timeouts, the one request-and-classify loop, rate-limit resets, secret redaction, the
cached who-am-I call, the recent-posts scan of reconcile, the MIME table and the check that a
network's variables are set. A network's module keeps only what is its own.

How a failure is sorted decides whether a post can be duplicated, so the rule is one place:

- the request certainly never reached the server (connection refused, DNS, connect timeout),
  or it was a step before the post itself (a media upload: at worst an orphan upload)
  -> `Transient(sent=False)`: back off and send again;
- the post request went out and no answer came back (read timeout, reset, dropped connection)
  -> `UnknownOutcome`: the daemon looks the part up before anything is resent;
- the server answered 5xx (or 408) to the post request -> `Transient(sent=True)`: it may have
  stored the post anyway (some do), so the daemon treats it like an unknown outcome;
- 429 -> `RateLimited` at the reset time the network names;
- any other 4xx -> `Permanent`, with the network's own words.

Every message made here goes through a `Redactor` first: a secret never reaches an exception,
a log line or the database.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests  # type: ignore[import-untyped]
from requests.adapters import HTTPAdapter  # type: ignore[import-untyped]
from urllib3.exceptions import NewConnectionError

from scheduler.publishers.base import (
    Permanent,
    Publisher,
    PublishError,
    PublisherSpec,
    RateLimited,
    Reconnect,
    Transient,
    UnknownOutcome,
)
from scheduler.settings import Settings

log = logging.getLogger(__name__)

# (connect, read) seconds. Connecting is quick or hopeless; a post with images may take a while.
DEFAULT_TIMEOUT = (5.0, 30.0)
# When a 429 names no reset at all: come back after this long rather than hammering.
FALLBACK_RATE_LIMIT_WAIT = timedelta(minutes=15)
MAX_WORDS = 500  # characters of the network's error text kept in a message
USER_AGENT = "Crier/0.1 (a social media scheduler)"


class TimeoutAdapter(HTTPAdapter):  # type: ignore[misc]
    """A transport adapter that applies a default timeout to requests made without one.

    tweepy calls `session.request` without a timeout, which would wait forever on a server
    that accepted the connection and never answers: the adapter is the one place to fix that.
    """

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeout = timeout

    def send(self, request: Any, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> Any:
        return super().send(request, stream=stream,
                            timeout=self.timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


def timeouts(settings: Settings) -> tuple[float, float]:
    """(connect, read) timeouts; `settings.http_timeout` (CRIER_HTTP_TIMEOUT) is the read one."""
    seconds = settings.http_timeout
    return (min(DEFAULT_TIMEOUT[0], seconds), seconds)


def new_session(timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                session: requests.Session | None = None, *,
                mount: bool = True) -> requests.Session:
    """A requests session (or `session`, e.g. tweepy's) whose requests all have timeouts.

    `mount=False` keeps the session's own adapters: an injected session's transport (a test's
    in-process server) is the caller's choice, and `HttpPublisher` passes timeouts per request.
    """
    session = session or requests.Session()
    if mount:
        adapter = TimeoutAdapter(timeout)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    # A ~/.netrc entry would silently replace the Authorization header we set. requests reads
    # it only for a session without auth: give it one that does nothing (proxies from the
    # environment still apply).
    session.auth = _NoNetrc()
    session.headers.setdefault("User-Agent", USER_AGENT)
    return session


class _NoNetrc:
    """A do-nothing auth: with `session.auth` set, requests never looks in ~/.netrc."""

    def __call__(self, request: Any) -> Any:
        return request


def write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically, readable by its owner only (it may hold tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    finally:
        os.close(fd)
    os.replace(tmp, path)


# ---- secrets ---------------------------------------------------------------------------------

class Redactor:
    """Replaces every known secret value in a text with `***`. Thread-safe; secrets may be added
    as they are learnt (a session token)."""

    MIN_LENGTH = 4  # shorter values would blank out ordinary words; no real secret is that short

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            for secret in secrets:
                if secret and len(secret.strip()) >= self.MIN_LENGTH:
                    value = secret.strip()
                    # The value as it may appear inside a URL or an OAuth header, too.
                    self._secrets.update({value, quote(value, safe=""), quote(value)})

    def __call__(self, text: object) -> str:
        out = str(text)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in out:
                out = out.replace(secret, "***")
        return out


class RedactingFilter(logging.Filter):
    """Takes the secrets out of the records of a third-party logger that logs what it sends
    or receives (tweepy logs whole responses at DEBUG; oauthlib the signed header)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


# One filter for every library logger, knowing every publisher's secrets.
LIBRARY_SECRETS = Redactor()
_LIBRARY_FILTER = RedactingFilter(LIBRARY_SECRETS)


def guard_library_logs(loggers: Iterable[str], secrets: Iterable[str | None]) -> None:
    """Make sure `secrets` never appear in what the named (third-party) loggers log."""
    LIBRARY_SECRETS.add(*secrets)
    for name in loggers:
        logger = logging.getLogger(name)
        if _LIBRARY_FILTER not in logger.filters:
            logger.addFilter(_LIBRARY_FILTER)


# ---- what a response or an exception means -------------------------------------------------

def reset_time(headers: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    """The moment a rate limit resets, from whichever header the network uses.

    `x-rate-limit-reset` or `ratelimit-reset` (unix seconds), `X-RateLimit-Reset` (ISO 8601),
    `Retry-After` (seconds or an HTTP date): the networks' publishers name which they send.
    """
    now = now or datetime.now(UTC)
    lower = {k.lower(): v for k, v in headers.items()}
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        raw = (lower.get(name) or "").strip()
        if not raw:
            continue
        when = _parse_reset(raw, now)
        if when is not None:
            return when
    retry_after = (lower.get("retry-after") or "").strip()
    if retry_after:
        if retry_after.isdigit():
            return now + timedelta(seconds=int(retry_after))
        try:
            return parsedate_to_datetime(retry_after).astimezone(UTC)
        except (TypeError, ValueError):
            return None
    return None


def _parse_reset(raw: str, now: datetime) -> datetime | None:
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        value = float(raw)
        # A small number is a delay in seconds (the IETF draft's form), a large one an instant.
        if value < 1_000_000_000:
            return now + timedelta(seconds=value)
        return datetime.fromtimestamp(value, UTC)
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _never_connected(exc: BaseException) -> bool:
    """True when the exception chain shows the connection was never made (refused, DNS)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError):
            return True
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def _address(exc: requests.RequestException) -> str:
    """scheme://host:port of the request that failed (no path: it may carry a token)."""
    url = getattr(exc.request, "url", None) if exc.request is not None else None
    if not url:
        return "the server"
    parts = urlsplit(str(url))
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def connection_failed(exc: requests.RequestException, what: str, *, creates_post: bool,
                      redact: Redactor) -> PublishError:
    """The publish error for a request that got no HTTP answer. `what` names the request
    ("<network>: sending part 2") and starts the message."""
    kind = type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _never_connected(exc):
        return Transient(redact(f"{what}: could not connect to {_address(exc)} ({kind}); "
                                "nothing was sent"), sent=False)
    if isinstance(exc, requests.exceptions.SSLError):
        return Transient(redact(f"{what}: TLS failed ({exc}); nothing was sent"), sent=False)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return Permanent(redact(f"{what}: bad address: {exc}"))
    if not creates_post:
        # A lookup, a login or a media upload: no post can have been made by it.
        return Transient(redact(f"{what}: no answer ({kind})"), sent=False)
    if isinstance(exc, requests.exceptions.Timeout):
        return UnknownOutcome(redact(f"{what}: no answer in time ({kind}); it may have landed"))
    return UnknownOutcome(redact(f"{what}: the connection failed after sending ({kind}); "
                                 "it may have landed"))


def status_failed(status: int, words: str, what: str, *, creates_post: bool, redact: Redactor,
                  headers: Mapping[str, str] | None = None,
                  now: datetime | None = None) -> PublishError:
    """The publish error for an HTTP error answer. `words` is the network's own message."""
    words = words.strip()[:MAX_WORDS] or "no message"
    message = redact(f"{what}: {status} {words}")
    if status == 429:
        now = now or datetime.now(UTC)
        reset = reset_time(headers or {}, now)
        if reset is None:
            reset = now + FALLBACK_RATE_LIMIT_WAIT
            message += f" (no reset time given; waiting {FALLBACK_RATE_LIMIT_WAIT})"
        return RateLimited(reset, message)
    if status >= 500 or status == 408:
        return Transient(message, sent=creates_post)
    if status == 401:  # the credentials no longer work: she must reconnect, nothing went out
        return Reconnect(f"{message}: the account's credentials were refused; renew them in "
                         "the network's settings, then check with `crier accounts check`")
    return Permanent(message)


def response_words(response: requests.Response) -> str:
    """The network's error text from an error response, whatever shape its JSON has."""
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:MAX_WORDS] if text else (response.reason or "")
    return json_words(body) or (response.reason or "")


def json_words(body: Any) -> str:
    """The message in an error body: `detail`/`errors`, `error`, atproto's
    `error` + `message`."""
    if not isinstance(body, dict):
        return str(body)[:MAX_WORDS]
    parts: list[str] = []
    error, message = body.get("error"), body.get("message")
    if isinstance(error, str):
        parts.append(error)
    if isinstance(message, str) and message:
        parts.append(message)
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict) and isinstance(item.get("message"), str):
                parts.append(item["message"])
            elif isinstance(item, str):
                parts.append(item)
    detail = body.get("detail")
    if isinstance(detail, str) and detail not in parts and not errors:
        parts.append(detail)
    return ": ".join(parts)[:MAX_WORDS]


# ---- what every network shares ---------------------------------------------------------------

MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "JPG": "image/jpeg", "GIF": "image/gif",
        "WEBP": "image/webp"}


def mime_of(image_format: str) -> str:
    return MIME.get(image_format.upper(), "application/octet-stream")


def require_variables(settings: Settings, spec: PublisherSpec, display: str) -> None:
    """Permanent, naming the variables, unless every variable `spec` declares is set."""
    missing = spec.missing(settings)
    if missing:
        raise Permanent(f"{display}: set {', '.join(missing)} to publish to {display}")


def utc_now() -> datetime:
    return datetime.now(UTC)


T = TypeVar("T")
Page = tuple[list[T], str | None]  # the items of one page, and the cursor of the next


class HttpPublisher(Publisher):
    """A publisher that speaks HTTP: owns its session, timeouts, redaction and the sorting of
    every failure into the interface's kinds (the rule in this module's docstring).

    `session` may be injected (tests pass one whose transport calls a fake server in-process);
    otherwise a new one gets `timeout` on every request. `clock` is read for rate-limit resets
    and `Pending` times, never deep inside a network's code.
    """

    label: str  # the network as the author knows it (its display name): starts every message

    def __init__(self, *, secrets: Iterable[str | None] = (),
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.timeout = timeout
        self.session: requests.Session = new_session(timeout, session, mount=session is None)
        self.redact = Redactor(secrets)
        self.clock = clock
        self._identity_lock = threading.Lock()
        self._identity: dict[str, Any] | None = None

    # ---- the one request-and-classify loop -----------------------------------------------

    def send(self, method: str, url: str, what: str, *, creates_post: bool = False,
             **kwargs: Any) -> requests.Response:
        """One request; whatever the server answered comes back. No answer at all raises its
        kind (`creates_post`: this request may make a post, so silence is an unknown outcome)."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            return self.session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            raise self.unanswered(exc, what, creates_post=creates_post) from None

    def request(self, method: str, url: str, what: str, *, creates_post: bool = False,
                **kwargs: Any) -> Any:
        """One request whose 2xx answer's JSON is returned; any other answer is raised as its
        kind, in the network's words."""
        response = self.send(method, url, what, creates_post=creates_post, **kwargs)
        if not 200 <= response.status_code < 300:
            raise self.refusal(response, what, creates_post=creates_post)
        return self.json_body(response, what, creates_post=creates_post)

    def json_body(self, response: requests.Response, what: str, *, creates_post: bool) -> Any:
        try:
            return response.json()
        except ValueError:
            message = self.redact(f"{what}: {self.label} answered {response.status_code} with "
                                  "something not JSON")
            # A post request answered oddly may still have made the post.
            raise (UnknownOutcome(message) if creates_post else Permanent(message)) from None

    def refusal(self, response: Any, what: str, *, creates_post: bool,
                words: str | None = None) -> PublishError:
        """The error for an HTTP error answer (`words`: the network's message, when the caller
        has read it already)."""
        said = self.words(response) if words is None else words
        return status_failed(response.status_code, said, f"{what}: {self.label} said",
                             creates_post=creates_post, redact=self.redact,
                             headers=dict(response.headers), now=self.clock())

    def unanswered(self, exc: requests.RequestException, what: str, *,
                   creates_post: bool) -> PublishError:
        return connection_failed(exc, what, creates_post=creates_post, redact=self.redact)

    def words(self, response: requests.Response) -> str:
        """The network's error text in an error answer."""
        return response_words(response)

    # ---- who am I, and what did I post lately ---------------------------------------------

    def whoami(self, what: str, *, fresh: bool = False) -> dict[str, Any]:
        """The account the credentials belong to, asked once (or again when `fresh`)."""
        with self._identity_lock:
            if self._identity is not None and not fresh:
                return dict(self._identity)
        identity = self.fetch_identity(what)
        with self._identity_lock:
            self._identity = identity
        return dict(identity)

    def fetch_identity(self, what: str) -> dict[str, Any]:
        """The network's who-am-I call; a network that reconciles by its timeline has one."""
        raise NotImplementedError(f"{type(self).__name__} has no who-am-I call")

    @staticmethod
    def read_recent(fetch_page: Callable[[str | None], Page[T]], *, pages: int,
                    stop: Callable[[T], bool] | None = None) -> list[T]:
        """The account's recent posts, newest first, `pages` pages at most (reconcile reads
        only as far back as a solo author's recent sends); stops early once `stop` matches."""
        items: list[T] = []
        cursor: str | None = None
        for _ in range(pages):
            page, cursor = fetch_page(cursor)
            items.extend(page)
            if not page or not cursor or (stop is not None and any(map(stop, page))):
                break
        return items


__all__ = [
    "DEFAULT_TIMEOUT",
    "LIBRARY_SECRETS",
    "MIME",
    "HttpPublisher",
    "RedactingFilter",
    "Redactor",
    "TimeoutAdapter",
    "connection_failed",
    "guard_library_logs",
    "json_words",
    "mime_of",
    "new_session",
    "require_variables",
    "reset_time",
    "response_words",
    "status_failed",
    "timeouts",
    "utc_now",
    "write_private",
]
