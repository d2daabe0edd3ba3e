"""The composer: a post's fields beside a live preview of every chosen network, as sent.

The form becomes a `Draft`; the service turns it into the post file the CLI would read and
previews or queues that file through the same path as `crier queue add`.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content.errors import CrierError
from content.networks import NETWORK_NAMES
from scheduler import timing
from scheduler.service import Service, When
from scheduler.service.drafts import (
    Draft,
    DraftImage,
    DraftPreview,
    PhotoError,
    field_of,
    marked,
)
from scheduler.web.app import Desk, checked_form, desk_of, flash, render

ACTIONS = {"schedule": "at", "queue": "next_slot", "now": "now"}


def routes() -> list[Route]:
    return [
        Route("/compose", compose, methods=["GET", "POST"]),
        Route("/compose/preview", preview, methods=["POST"]),
        Route("/compose/photo", photo, methods=["POST"]),
        Route("/preview-images/{key:str}", preview_image),
    ]


def post_file(service: Service, raw: str) -> Path | None:
    """The post file a form names: a .md file under the working folder or the desk's own
    folder, nowhere else (the form is the author's, but a path is still checked)."""
    if not raw.strip():
        return None
    path = Path(raw).expanduser()
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    roots = [Path.cwd().resolve(), service.desk_dir.resolve()]
    if path.suffix != ".md" or not any(path.is_relative_to(root) for root in roots):
        raise HTTPException(400, "the desk opens .md post files under its working folder only")
    return path


def new_post_path(service: Service, title: str) -> Path:
    stamp = service.clock().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "post"
    return service.desk_dir / "posts" / f"{stamp}-{slug}.md"


def base_of(service: Service, path: Path | None) -> Path | None:
    """The folder the post's photo paths are relative to (None: the desk's own)."""
    return path.parent if path is not None else None


def draft_from_form(form: FormData, extra: dict[str, Any]) -> Draft:
    paths = [str(p) for p in form.getlist("photo_path")]
    alts = [str(a) for a in form.getlist("photo_alt")]
    empty = {str(i) for i in form.getlist("photo_noalt")}
    removed = {str(i) for i in form.getlist("photo_remove")}
    images = []
    for number, path in enumerate(paths):
        if str(number) in removed:
            continue
        alt = alts[number].strip() if number < len(alts) else ""
        images.append(DraftImage(path, "" if str(number) in empty else (alt or None)))
    chosen = [str(p) for p in form.getlist("platforms") if str(p) in NETWORK_NAMES]
    return Draft(
        body=str(form.get("body", "")).replace("\r\n", "\n"), title=str(form.get("title", "")),
        link=str(form.get("link", "")).strip(), hashtags=str(form.get("hashtags", "")),
        quote=str(form.get("quote", "")), images=tuple(images), platforms=tuple(chosen),
        extra=extra)


def _extra(service: Service, path: Path | None) -> dict[str, Any]:
    # Keys the composer has no field for (thread, numbering, timezone) survive a save.
    if path is None or not path.is_file():
        return {}
    try:
        return service.read_draft(path, check=False).extra  # on every keystroke: no re-parse
    except (CrierError, OSError, UnicodeDecodeError):
        return {}


def _cache_images(desk: Desk, shown: DraftPreview) -> dict[str, list[list[dict[str, Any]]]]:
    """Each rendered image put in the preview cache; per network, per part, what the page
    shows of each (its cache key, alt text, size, format, bytes)."""
    pictures: dict[str, list[list[dict[str, Any]]]] = {}
    for net in shown.networks:
        pictures[net.network] = []
        for part in net.images:
            listed = []
            for img in part:
                key = hashlib.sha256(img.data).hexdigest()[:32]
                desk.images.put(key, img.data, f"image/{img.format.lower()}")
                listed.append({"key": key, "alt": img.alt, "width": img.width,
                               "height": img.height, "format": img.format,
                               "bytes": len(img.data)})
            pictures[net.network].append(listed)
    return pictures


def _preview_context(desk: Desk, shown: DraftPreview) -> dict[str, Any]:
    brand = desk.service.brand
    return {"shown": shown, "pictures": _cache_images(desk, shown),
            "marked": lambda text, platform: marked(text, brand, platform)}


async def compose(request: Request) -> Response:
    desk = desk_of(request)
    service = desk.service
    if request.method == "GET":
        path = post_file(service, request.query_params.get("file", ""))
        if path is not None:
            try:
                draft = service.read_draft(path)
            except CrierError as exc:
                raise HTTPException(400, str(exc)) from None
            if not draft.platforms:
                draft = _with(draft, platforms=service.brand.platforms)
        else:
            asked = [n for n in request.query_params.getlist("network") if n in NETWORK_NAMES]
            draft = Draft(platforms=tuple(asked or service.brand.platforms))
        when = request.query_params.get("when", "") or _default_when(draft)
        shown = await run_in_threadpool(service.preview_draft, draft, base_of(service, path))
        return render(request, "compose.html", draft=draft, file=_shown_path(path), when=when,
                      problems={}, **_preview_context(desk, shown))
    form = await checked_form(request)
    path = post_file(service, str(form.get("file", "")))
    draft = draft_from_form(form, _extra(service, path))
    action = str(form.get("action", "preview"))
    when = str(form.get("when", "")).strip()
    problems: dict[str, list[str]] = {}
    if action in ACTIONS or action == "save":
        target = path or new_post_path(service, draft.title)
        try:
            if action == "save":
                service.save_draft(draft, target)
                flash(request, f"Saved {_shown_path(target)}.")
                return RedirectResponse(f"/compose?file={_shown_path(target)}", status_code=303)
            if action == "schedule" and not when:
                raise _FieldError("when", "give a date and time, or choose \"Add to queue\" "
                                          "or \"Publish now\"")
            kind = ACTIONS[action]
            wall = when.replace("T", " ") if kind == "at" else None
            queued = await run_in_threadpool(
                service.queue_draft, draft, target, When(kind, wall))  # type: ignore[arg-type]
            flash(request, f"Queued {len(queued.rows)} deliveries from {_shown_path(target)}."
                  + "".join(f" {n}." for n in queued.notes))
            return RedirectResponse("/queue", status_code=303)
        except _FieldError as exc:
            problems[exc.field] = [exc.message]
        except CrierError as exc:
            message = str(exc)
            about_when = any(w in message for w in ("time", "slot", "past", "zone"))
            problems.setdefault("when" if about_when else field_of(message), []).append(message)
            path = target if target.exists() else path
    shown = await run_in_threadpool(service.preview_draft, draft, base_of(service, path))
    for key, messages in shown.problems.items():
        bucket = problems.setdefault(key, [])
        bucket.extend(m for m in messages if m not in bucket)
    return render(request, "compose.html", status_code=422 if problems else 200, draft=draft,
                  file=_shown_path(path), when=when, problems=problems,
                  **_preview_context(desk, shown))


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _with(draft: Draft, **changes: Any) -> Draft:
    return Draft(**{**draft.__dict__, **changes})


def _default_when(draft: Draft) -> str:
    at = draft.extra.get("at")
    if isinstance(at, datetime):
        return at.strftime("%Y-%m-%dT%H:%M")
    return str(at).replace(" ", "T") if at else ""


def _shown_path(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


async def preview(request: Request) -> Response:
    """The live preview fragment (htmx): every chosen network as it will receive the post."""
    desk = desk_of(request)
    form = await checked_form(request)
    path = post_file(desk.service, str(form.get("file", "")))
    draft = draft_from_form(form, _extra(desk.service, path))
    images = form.get("images", "1") != "0"
    shown = await run_in_threadpool(desk.service.preview_draft, draft,
                                    base_of(desk.service, path), with_images=images)
    return render(request, "_preview.html", fragment=True, **_preview_context(desk, shown))


async def photo(request: Request) -> Response:
    """An uploaded photo: checked as an image, stored, and added to the form's photo list."""
    desk = desk_of(request)
    form = await checked_form(request)
    path = post_file(desk.service, str(form.get("file", "")))
    draft = draft_from_form(form, {})
    upload = form.get("photo")
    problem = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        folder = base_of(desk.service, path) or desk.service.desk_dir / "posts"
        try:
            stored = desk.service.save_photo(data, folder)
        except PhotoError as exc:
            problem = str(exc)
        else:
            rel = os.path.relpath(stored, folder)
            draft = _with(draft, images=(*draft.images, DraftImage(rel, None)))
    else:
        problem = "choose a photo file first"
    response = render(request, "_photos.html", status_code=422 if problem else 200,
                      draft=draft, photo_problem=problem, problems={})
    # After the swap, so the preview that follows sees the new photo's fields.
    response.headers["HX-Trigger-After-Settle"] = "photos-changed"
    return response


async def preview_image(request: Request) -> Response:
    found = desk_of(request).images.get(request.path_params["key"])
    if found is None:
        raise HTTPException(404, "this preview image is gone; preview again")
    data, media = found
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


__all__ = ["draft_from_form", "routes", "timing"]
