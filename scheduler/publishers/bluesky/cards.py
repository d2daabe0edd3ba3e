"""Bluesky link cards: a part with a link and no image shows the page's Open Graph card
(`app.bsky.embed.external`). The client builds it itself: the page is read with a timeout and a
size cap, its thumbnail shrunk to what a blob may weigh; no card when the page cannot be read.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests  # type: ignore[import-untyped]

from scheduler.publishers.http import MIME, new_session

log = logging.getLogger(__name__)

MAX_BLOB_BYTES = 1_000_000  # older servers refuse more (PLATFORMS.md)


@dataclass(frozen=True)
class LinkCard:
    uri: str
    title: str
    description: str
    image: bytes | None = None
    image_mime: str | None = None


class _OpenGraph(HTMLParser):
    """The Open Graph tags of a page's head, with <title> and the description as fallbacks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, str] = {}
        self.title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = dict(attrs)
            key = (values.get("property") or values.get("name") or "").strip().lower()
            content = values.get("content")
            if key and content is not None and key not in self.tags:
                self.tags[key] = content.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)


CARD_TIMEOUT = (3.0, 5.0)
CARD_MAX_HTML = 512 * 1024  # the head is near the top; no need to read a huge page
CARD_MAX_IMAGE = 5 * 1024 * 1024  # fetched at most; shrunk below MAX_BLOB_BYTES if needed


def fetch_link_card(url: str, session: requests.Session | None = None) -> LinkCard | None:
    """A link card for `url` from its Open Graph tags, or None when the page cannot be read.
    Nothing here raises: a missing card never stops a post."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    session = session or new_session(CARD_TIMEOUT)
    try:
        page = _fetch(session, url, CARD_MAX_HTML, ("text/html", "application/xhtml+xml"))
    except (requests.RequestException, OSError) as exc:
        log.info("no link card for %s: %s", url, type(exc).__name__)
        return None
    if page is None:
        return None
    body, charset = page
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = body.decode("utf-8", errors="replace")
    parser = _OpenGraph()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # badly broken markup: use what was read
        pass
    tags = parser.tags
    title = tags.get("og:title") or tags.get("twitter:title") or "".join(parser.title).strip()
    description = (tags.get("og:description") or tags.get("twitter:description")
                   or tags.get("description") or "")
    image = mime = None
    image_url = tags.get("og:image") or tags.get("og:image:url") or tags.get("twitter:image")
    if image_url:
        try:
            fetched = _fetch(session, urljoin(url, image_url), CARD_MAX_IMAGE, ("image/",))
        except (requests.RequestException, OSError) as exc:
            log.info("no thumbnail for the card of %s: %s", url, type(exc).__name__)
            fetched = None
        if fetched is not None:
            image, mime = _fit_thumbnail(fetched[0])
    return LinkCard(url, " ".join(title.split())[:300], " ".join(description.split())[:1000],
                    image, mime)


def _fetch(session: requests.Session, url: str, cap: int,
           kinds: tuple[str, ...]) -> tuple[bytes, str | None] | None:
    with session.get(url, stream=True, timeout=CARD_TIMEOUT,
                     headers={"Accept": "text/html,image/*;q=0.9"}) as response:
        kind = (response.headers.get("content-type") or "").lower()
        if response.status_code != 200 or not kind.startswith(kinds):
            return None
        data = bytearray()
        for chunk in response.iter_content(64 * 1024):
            data += chunk
            if len(data) > cap:
                if kinds == ("image/",):
                    return None  # a truncated image is no image
                break  # a truncated page still has its head
        # Not `response.encoding`: for text/html without a charset it says ISO-8859-1, while
        # pages without one are nearly all UTF-8.
        charset = re.search(r"charset=[\"']?([\w.:-]+)", kind)
        return bytes(data[:cap]), charset.group(1) if charset else None


def _fit_thumbnail(data: bytes) -> tuple[bytes | None, str | None]:
    """The image as a blob Bluesky takes (at most 1,000,000 bytes), shrunk if it must be."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = (image.format or "").upper()
            if len(data) <= MAX_BLOB_BYTES and kind in MIME:
                return data, MIME[kind]
            image.thumbnail((1200, 1200))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=82)
    except (UnidentifiedImageError, OSError, ValueError):
        return None, None
    shrunk = out.getvalue()
    return (shrunk, "image/jpeg") if len(shrunk) <= MAX_BLOB_BYTES else (None, None)


CardFetcher = Callable[[str], LinkCard | None]


__all__ = ["MAX_BLOB_BYTES", "CardFetcher", "LinkCard", "fetch_link_card"]
