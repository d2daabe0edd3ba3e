"""A blog on 127.0.0.1 for the import tests: the fixtures served with `{base}` filled in, a
feed the test can grow, conditional GET on feeds, and the bad cases (a stream that never ends,
a redirect to file:, images that 404). Never the internet."""

from __future__ import annotations

import hashlib
import io
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/rss+xml"}
STREAM_MB = 50


def photo(colour: tuple[int, int, int], size: tuple[int, int] = (320, 200)) -> bytes:
    """A small JPEG made here: the images the blog serves."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (120, 80), (10, 200, 30, 128)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Blog:
    """The server's state: what the test changes, and what it counts."""

    base: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    conditional: Counter[str] = field(default_factory=Counter)  # 304s sent
    grow_items: list[dict[str, str]] = field(default_factory=list)  # the growing feed's items
    routes: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path: (type, body)

    def url(self, path: str) -> str:
        return self.base + path

    def fixture(self, name: str) -> bytes:
        return (FIXTURES / name).read_text(encoding="utf-8").replace(
            "{base}", self.base).encode("utf-8")

    def grow(self, count: int, start: int | None = None) -> list[str]:
        """Add `count` items to /grow.xml (full content in the feed), newest first; their guids."""
        first = len(self.grow_items) + 1 if start is None else start
        guids = []
        for n in range(first, first + count):
            guid = f"grow-{n}"
            self.grow_items.insert(0, {"guid": guid, "n": str(n)})
            guids.append(guid)
        return guids

    def grow_feed(self) -> bytes:
        items = "".join(
            f"<item><title>Post number {i['n']}</title><link>{self.base}/grow/{i['n']}</link>"
            f"<guid isPermaLink=\"false\">{i['guid']}</guid>"
            f"<pubDate>Mon, {int(i['n']) % 28 + 1:02d} Nov 2026 10:00:00 GMT</pubDate>"
            "<content:encoded><![CDATA["
            f"<p>Post number {i['n']} says something worth reading about sleep, mood and the "
            "months after a birth, at enough length to be a post of its own.</p>"
            "<p>Disclaimer: Posts are for education and entertainment only. No medical advice "
            "given. This information is for general knowledge and not meant to diagnose or "
            "treat any conditions.</p>]]></content:encoded></item>"
            for i in self.grow_items)
        return ("<?xml version=\"1.0\"?><rss version=\"2.0\" "
                "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
                f"<title>Growing</title><link>{self.base}</link><description>d</description>"
                f"{items}</channel></rss>").encode()


IMAGES: dict[str, bytes] = {}


def _images() -> dict[str, bytes]:
    if not IMAGES:
        IMAGES.update({
            "/media/nursery.jpg": photo((40, 60, 90)),
            "/media/notes.png": png(),
            "/media/cover.jpg": photo((200, 180, 160)),
            "/wp-content/uploads/2026/11/infusion-1024x683.jpg": photo((90, 120, 140)),
            "/wp-content/uploads/2026/11/infusion-300x200.jpg": photo((90, 120, 141), (30, 20)),
            "/content/images/2026/11/window.jpg": photo((150, 150, 170)),
            "/img/window-seat.jpg": photo((120, 130, 150)),
            "/img/fourth.jpg": photo((230, 200, 190)),
        })
    return IMAGES


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def do_GET(self) -> None:
        blog = self.server.blog
        path = self.path.split("?")[0]
        blog.hits[path] += 1
        if path in blog.routes:
            kind, body = blog.routes[path]
            return self._send(200, kind, body)
        if path == "/stream":  # 50 MB of HTML, chunked: no Content-Length to refuse early
            return self._stream()
        if path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return None
        if path == "/hop":
            self.send_response(301)
            self.send_header("Location", "/to-file")
            self.end_headers()
            return None
        if path == "/grow.xml":
            return self._feed(blog.grow_feed())
        if path in _images():
            kind = "image/png" if path.endswith(".png") else "image/jpeg"
            return self._send(200, kind, _images()[path])
        routes = {
            "/post/sleep-after-birth": "wix-post.html", "/blog-feed.xml": "wix-feed.xml",
            "/feed/": "wordpress-feed.xml", "/atom/": "atom-feed.xml",
            "/": "no-article.html", "/post/broken-pictures": "page-images-404.html",
            "/no-link.xml": "feed-item-no-link.xml", "/bomb.xml": "bomb.xml",
            "/blog/five-myths": "plain-blog-post.html", "/p/the-fourth-trimester":
            "substack-post.html", "/html-feed": "wix-post.html",
        }
        name = routes.get(path)
        if name is None:
            return self._send(404, "text/html", b"<h1>Not found</h1>")
        body = blog.fixture(name)
        if name.endswith(".xml"):
            kind = "application/atom+xml" if "atom" in name else "application/rss+xml"
            return self._feed(body, kind)
        return self._send(200, TYPES[".html"], body)

    def _feed(self, body: bytes, kind: str = "application/rss+xml") -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.server.blog.conditional[self.path] += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(200, kind, body, {"ETag": etag,
                                     "Last-Modified": "Sat, 21 Nov 2026 09:00:00 GMT"})

    def _send(self, status: int, kind: str, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
        try:
            opening = b"<html><body>"
            self.wfile.write(f"{len(opening):x}\r\n".encode() + opening + b"\r\n")
            for _ in range(STREAM_MB * 16):
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.server.blog.hits["/stream:chunks"] += 1
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the importer stopped reading at its cap: what the test wants


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    blog: Blog


def serve() -> tuple[_Server, Blog]:
    server = _Server(("127.0.0.1", 0), _Handler)
    blog = Blog()
    blog.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.blog = blog
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server, blog
