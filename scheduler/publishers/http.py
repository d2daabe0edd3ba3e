"""Shared HTTP plumbing of the publishers: sessions with timeouts, errors sorted into the
interface's kinds, rate-limit resets, and secret redaction.

How a failure is sorted decides whether a post can be duplicated, so the rule is one place:

- the request certainly never reached the server (connection refused, DNS, connect timeout),
  or it was a step before the post itself (a media upload: at worst an orphan upload)
  -> `Transient(sent=False)`: back off and send again;
- the post request went out and no answer came back (read timeout, reset, dropped connection)
  -> `UnknownOutcome`: the daemon looks the part up before anything is resent;
- the server answered 5xx (or 408) to the post request -> `Transient(sent=True)`: it may have
  stored the post anyway (X is known to), so the daemon treats it like an unknown outcome;
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
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests  # type: ignore[import-untyped]
from requests.adapters import HTTPAdapter  # type: ignore[import-untyped]
from urllib3.exceptions import NewConnectionError

from scheduler.publishers.base import (
    Permanent,
    PublishError,
    RateLimited,
    Transient,
    UnknownOutcome,
)

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


def timeout_from_env(env: Mapping[str, str]) -> tuple[float, float]:
    """(connect, read) timeouts; CRIER_HTTP_TIMEOUT sets the read timeout in seconds."""
    raw = env.get("CRIER_HTTP_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"CRIER_HTTP_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if seconds <= 0:
        raise ValueError("CRIER_HTTP_TIMEOUT must be positive")
    return (min(DEFAULT_TIMEOUT[0], seconds), seconds)


def new_session(timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                session: requests.Session | None = None) -> requests.Session:
    """A requests session (or `session`, e.g. tweepy's) whose requests all have timeouts."""
    session = session or requests.Session()
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


def data_dir(env: Mapping[str, str]) -> Path:
    """Where publishers keep state between runs (sessions, caches): CRIER_DATA_DIR or ./data."""
    raw = env.get("CRIER_DATA_DIR", "").strip()
    return Path(raw) if raw else Path.cwd() / "data"


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

    X: `x-rate-limit-reset` (unix seconds); Bluesky: `ratelimit-reset` (unix seconds);
    Mastodon: `X-RateLimit-Reset` (ISO 8601); anyone: `Retry-After` (seconds or an HTTP date).
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


def connection_failed(exc: requests.RequestException, what: str, *, creates_post: bool,
                      redact: Redactor) -> PublishError:
    """The publish error for a request that got no HTTP answer. `what` names the request
    ("X: sending part 2") and starts the message."""
    kind = type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _never_connected(exc):
        return Transient(redact(f"{what}: could not connect ({kind}); nothing was sent"),
                         sent=False)
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
    """The message in an error body: X's `detail`/`errors`, Mastodon's `error`, atproto's
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


__all__ = [
    "DEFAULT_TIMEOUT",
    "LIBRARY_SECRETS",
    "RedactingFilter",
    "Redactor",
    "TimeoutAdapter",
    "connection_failed",
    "data_dir",
    "guard_library_logs",
    "json_words",
    "new_session",
    "reset_time",
    "response_words",
    "status_failed",
    "timeout_from_env",
    "write_private",
]
