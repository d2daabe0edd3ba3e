"""Fetching pages, feeds and images for an import, defensively.

Every fetch has a timeout (per read and for the whole body), a size cap (the body is read as a
stream and reading stops at the cap, whatever Content-Length says), a content-type check, and
follows at most a few redirects itself, each checked: only http and https, so a redirect to
file: or anything else is refused. Failures are `FetchError`, naming the URL and the reason.
Conditional GET: an ETag or Last-Modified given is sent, and 304 comes back as `not_modified`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin, urlsplit

import requests  # type: ignore[import-untyped]

from content.errors import CrierError

Kind = Literal["page", "feed", "image", "any"]

MB = 1024 * 1024
LIMITS: dict[str, int] = {"page": 5 * MB, "feed": 5 * MB, "image": 20 * MB, "any": 5 * MB}
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
              "application/rdf+xml", "application/feed+xml")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
TYPES: dict[str, tuple[str, ...]] = {
    "page": HTML_TYPES, "feed": FEED_TYPES, "image": IMAGE_TYPES,
    "any": HTML_TYPES + FEED_TYPES,
}
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = "Crier/0.1 (blog import)"


class FetchError(CrierError):
    """A URL that could not be fetched as asked: the message has the URL and the reason."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 (not modified)
    content_type: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


# What the importer calls: tests and the daemon may pass any function of this shape.
Fetch = Callable[..., Fetched]


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"only http and https addresses are fetched, not "
                              f"{parts.scheme or 'a relative address'}:")
    if not parts.hostname:
        raise FetchError(url, "the address has no host")


class Fetcher:
    """A requests session with the limits above. `timeout`: seconds per connect and per read,
    and `timeout * 4` for the whole body."""

    def __init__(self, timeout: float = 20.0, limits: Mapping[str, int] | None = None,
                 session: requests.Session | None = None) -> None:
        self.timeout = timeout
        self.limits = {**LIMITS, **(limits or {})}
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def __call__(self, url: str, kind: Kind = "any", *, etag: str | None = None,
                 last_modified: str | None = None) -> Fetched:
        headers = {"Accept": ", ".join(TYPES[kind]) + ", */*;q=0.1"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_url(current)
            try:
                response = self.session.get(current, headers=headers, stream=True,
                                            allow_redirects=False, timeout=self.timeout)
            except requests.Timeout:
                raise FetchError(current, f"no answer within {self.timeout:.0f} s") from None
            except requests.RequestException as exc:
                raise FetchError(current, f"cannot connect ({type(exc).__name__})") from None
            with response:
                if response.is_redirect or response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchError(current, f"redirect {response.status_code} with no "
                                                  "Location")
                    target = urljoin(current, location)
                    if urlsplit(target).scheme not in ("http", "https"):
                        raise FetchError(current, f"redirects to {target}, which is refused: "
                                                  "only http and https are followed")
                    current = target
                    continue
                return self._finish(current, response, kind)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _finish(self, url: str, response: requests.Response, kind: Kind) -> Fetched:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status == 304:
            return Fetched(url, 304, "", b"", headers)
        if status != 200:
            reason = response.reason or ""
            raise FetchError(url, f"the server answered {status} {reason}".rstrip())
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in TYPES[kind]:
            raise FetchError(url, _wrong_type(content_type, kind))
        limit = self.limits[kind]
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, f"is {_size(int(declared))}, more than the "
                                  f"{_size(limit)} allowed")
        deadline = time.monotonic() + self.timeout * 4
        body = bytearray()
        try:
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > limit:
                    raise FetchError(url, f"more than {_size(limit)}; stopped reading")
                if time.monotonic() > deadline:
                    raise FetchError(url, f"took more than {self.timeout * 4:.0f} s to send")
        except requests.RequestException as exc:
            raise FetchError(url, f"the connection broke while reading "
                                  f"({type(exc).__name__})") from None
        return Fetched(url, 200, content_type, bytes(body), headers)


def _size(count: int) -> str:
    return f"{count / MB:.0f} MB" if count >= MB else f"{count / 1024:.0f} KB"


def _wrong_type(content_type: str, kind: Kind) -> str:
    got = content_type or "no content type"
    if kind == "feed" and content_type in HTML_TYPES:
        return (f"is an HTML page ({got}), not a feed; give the feed's address (a Wix blog's "
                "is /blog-feed.xml, WordPress's /feed/, Ghost's /rss/)")
    if kind == "page" and content_type in FEED_TYPES:
        return f"is a feed ({got}), not a page"
    wanted = {"page": "a web page", "feed": "a feed", "image": "an image",
              "any": "a web page or a feed"}[kind]
    return f"is {got}, not {wanted}"
