"""The desk's application: routes, the guard every request passes, and page rendering.

Handlers are thin: they read the request, call one `Service` method and render the answer.
Nothing here formats a post or touches the store.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from content.networks import NETWORK_NAMES, rules_for
from scheduler.service import Service
from scheduler.web import security

HERE = Path(__file__).resolve().parent
NAV = (("Calendar", "/calendar"), ("Queue", "/queue"), ("New post", "/compose"),
       ("Slots", "/slots"), ("Accounts", "/accounts"))
STATUSES = ("queued", "publishing", "published", "failed", "needs_attention", "missed",
            "cancelled")
NETWORKS = tuple((name, rules_for(name).display) for name in NETWORK_NAMES)


class ImageCache:
    """Preview images by content hash, the last few hundred: the page links them instead of
    inlining megabytes of base64 on each keystroke."""

    def __init__(self, size: int = 256) -> None:
        self._lock = threading.Lock()
        self._items: collections.OrderedDict[str, tuple[bytes, str]] = collections.OrderedDict()
        self._size = size

    def put(self, key: str, data: bytes, media: str) -> None:
        with self._lock:
            self._items[key] = (data, media)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get(self, key: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._items.get(key)


@dataclass
class Desk:
    """What every handler needs: the service, the guards' state, the templates."""

    service: Service
    hosts: frozenset[str]
    templates: Environment
    sessions: security.Sessions = field(default_factory=security.Sessions)
    images: ImageCache = field(default_factory=ImageCache)

    @property
    def password(self) -> str | None:
        return security.password_hash(self.service.settings.data_dir)

    @property
    def zone(self) -> str:
        return self.service.brand.timezone


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def session_of(request: Request) -> security.Session:
    session: security.Session = request.state.session
    return session


class Guard(BaseHTTPMiddleware):
    """Host and Origin checks, the body cap, the session cookie, the password, and headers
    that keep the pages from being framed or leaking where they came from."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        desk = desk_of(request)
        host = request.headers.get("host", "")
        if host not in desk.hosts:
            return PlainTextResponse(f"unknown host {host!r}: open the desk at its own address",
                                     status_code=400)
        unsafe = request.method not in security.SAFE_METHODS
        origin = request.headers.get("origin")
        if unsafe and origin is not None and urlsplit(origin).netloc not in desk.hosts:
            return PlainTextResponse("cross-origin request refused", status_code=403)
        if unsafe and request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
            return PlainTextResponse("cross-site request refused", status_code=403)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > security.MAX_BODY):
            return PlainTextResponse(
                f"request too large: at most {security.MAX_BODY // (1024 * 1024)} MB",
                status_code=413)
        sid = request.cookies.get(security.SESSION_COOKIE)
        session = desk.sessions.get(sid)
        fresh = session is None
        if session is None:
            sid, session = desk.sessions.new()
        request.state.session = session
        request.state.sid = sid
        # No password: loopback only (the CLI refuses otherwise), every session may act. Not
        # stored in the session, so setting a password takes effect at once.
        authed = desk.password is None or session.authed
        request.state.authed = authed
        open_paths = ("/login", "/static/")
        if not authed and not request.url.path.startswith(open_paths):
            if unsafe:
                return PlainTextResponse("sign in first", status_code=401)
            response: Response = RedirectResponse("/login", status_code=303)
        else:
            response = await call_next(request)
        if fresh:
            response.set_cookie(security.SESSION_COOKIE, sid or "", httponly=True,
                                samesite="strict", path="/")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
            "style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


async def checked_form(request: Request) -> FormData:
    """The request's form, once its CSRF token (field or header) matches the session's."""
    session = session_of(request)
    form = await request.form(max_files=10, max_fields=200,
                              max_part_size=security.MAX_BODY)
    given = request.headers.get(security.CSRF_HEADER) or form.get(security.CSRF_FIELD)
    if not security.same_token(session.csrf, given if isinstance(given, str) else None):
        raise HTTPException(403, "the form's security token is missing or stale; reload the "
                                 "page and try again")
    return form


def render(request: Request, template: str, status_code: int = 200, **context: Any
           ) -> HTMLResponse:
    """A page (or, with a name starting with "_", a fragment) with what every page shows:
    the navigation, the CSRF token, and every failure the author has not seen yet."""
    desk = desk_of(request)
    session = session_of(request)
    base: dict[str, Any] = {
        "request": request, "nav": NAV, "csrf": session.csrf, "zone": desk.zone,
        "networks": NETWORKS, "statuses": STATUSES, "display": dict(NETWORKS),
        "local": lambda dt, z=None: local_time(dt, desk.zone, z),
        "signed_in": desk.password is not None and session.authed,
    }
    if not template.startswith("_"):
        # Only a page shows (and so uses up) the messages: a fragment arriving meanwhile,
        # such as a late preview, must not swallow the "queued" after a redirect.
        base["flash"] = list(session.flash)
        session.flash.clear()
        if request.state.authed:
            base["unseen"] = desk.service.unseen(limit=10)
    html = desk.templates.get_template(template).render(**base, **context)
    return HTMLResponse(html, status_code=status_code)


def local_time(instant: datetime | None, zone: str, own_zone: str | None = None) -> str:
    """An instant in the author's zone, and in the post's own zone when that differs."""
    if instant is None:
        return ""
    text = instant.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y, %H:%M")
    if own_zone and own_zone != zone:
        text += f" ({instant.astimezone(ZoneInfo(own_zone)):%H:%M} {own_zone})"
    return text


def flash(request: Request, message: str) -> None:
    session_of(request).flash.append(message)


def back(request: Request, default: str) -> RedirectResponse:
    """303 to where the form came from, if that is one of the desk's pages."""
    referer = urlsplit(request.headers.get("referer", ""))
    target = referer.path if referer.netloc in desk_of(request).hosts and referer.path else default
    if referer.query and target != default:
        target += f"?{referer.query}"
    return RedirectResponse(target, status_code=303)


Handler = Callable[[Request], Awaitable[Response]]


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if "session" not in request.state._state:  # noqa: SLF001 - before the guard ran
        return PlainTextResponse(exc.detail, status_code=exc.status_code)
    return render(request, "error.html", status_code=exc.status_code, message=exc.detail)


def create_app(service: Service, *, host: str = "127.0.0.1", port: int = 8080,
               extra_hosts: tuple[str, ...] = ()) -> Starlette:
    """The desk for `service`, answering to `host:port` (plus `extra_hosts`)."""
    from scheduler.web import composer, pages

    templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                            autoescape=select_autoescape(default=True), trim_blocks=True,
                            lstrip_blocks=True)
    routes = [
        *pages.routes(), *composer.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard)],
                    exception_handlers={HTTPException: http_error})
    app.state.desk = Desk(service, security.allowed_hosts(host, port) | set(extra_hosts),
                          templates)
    return app


__all__ = ["Desk", "Route", "checked_form", "create_app", "render"]
