"""The desk's pages other than the composer: calendar, queue, a delivery, slots, accounts,
sign-in. Each handler reads the request, calls the service, renders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from content.errors import CrierError
from scheduler import timing
from scheduler.service import NoSuchDelivery, When
from scheduler.web import security
from scheduler.web.app import back, checked_form, desk_of, flash, render, session_of


def routes() -> list[Route]:
    return [
        Route("/", lambda r: RedirectResponse("/calendar", status_code=303)),
        Route("/favicon.ico", lambda r: Response(status_code=204)),
        Route("/calendar", calendar),
        Route("/calendar/events", events),
        Route("/queue", queue),
        Route("/deliveries/{id:int}", delivery),
        Route("/deliveries/{id:int}/move", move, methods=["POST"]),
        Route("/deliveries/{id:int}/{action:str}", act, methods=["POST"]),
        Route("/attention/seen", seen, methods=["POST"]),
        Route("/images/{sha:str}", image),
        Route("/slots", slots, methods=["GET", "POST"]),
        Route("/accounts", accounts, methods=["GET", "POST"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]


# -- calendar -----------------------------------------------------------------------------------

async def calendar(request: Request) -> Response:
    service = desk_of(request).service
    now = service.clock()
    upcoming = service.calendar(now - timedelta(days=1), now + timedelta(days=35))
    local = now.astimezone(timing.load_zone(desk_of(request).zone))
    return render(request, "calendar.html", upcoming=upcoming, today=local.date(),
                  now=local.strftime("%Y-%m-%dT%H:%M:%S"))


def _instant(raw: str | None, default: datetime, zone: str) -> datetime:
    """A range end the calendar sent: its wall clock is the author's (see `events`)."""
    if not raw:
        return default
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"not a date: {raw!r}") from None
    return value.replace(tzinfo=None).replace(tzinfo=timing.load_zone(zone)).astimezone(UTC)


async def events(request: Request) -> Response:
    """FullCalendar's event feed. The calendar runs in UTC mode and is given wall times in the
    author's zone (FullCalendar alone cannot convert named zones), so it shows her clock."""
    desk = desk_of(request)
    service, zone = desk.service, timing.load_zone(desk.zone)
    now = service.clock()
    start = _instant(request.query_params.get("start"), now - timedelta(days=7), desk.zone)
    end = _instant(request.query_params.get("end"), now + timedelta(days=35), desk.zone)
    if end - start > timedelta(days=100):
        raise HTTPException(400, "ask for at most 100 days at a time")
    asked = request.query_params.get("network")
    shown = set(asked.split(",")) if asked is not None else None

    def wanted(network: str) -> bool:
        return shown is None or network in shown

    out: list[dict[str, Any]] = []
    for row in service.calendar(start, end):
        if not wanted(row.platform):
            continue
        wall = row.due_at.astimezone(zone)
        own = (f" ({row.due_at.astimezone(timing.load_zone(row.zone)):%H:%M} {row.zone})"
               if row.zone and row.zone != desk.zone else "")
        out.append({
            "id": str(row.id), "title": f"{desk_display(row.platform)}: {row.title or row.source}"
            f"{own}", "start": wall.strftime("%Y-%m-%dT%H:%M:%S"),
            "url": f"/deliveries/{row.id}", "classNames": ["crier-event", f"status-{row.status}"],
            "editable": row.status == "queued" and row.live_parts == 0,
            "extendedProps": {"status": row.status, "network": row.platform},
        })
    # Free slots at one instant are one place to fill, naming its networks.
    places: dict[datetime, list[str]] = {}
    for platform, slot in service.slot_places(start, end):
        if wanted(platform):
            places.setdefault(slot.instant, []).append(platform)
    for instant, platforms in places.items():
        wall = instant.astimezone(zone)
        names = ", ".join(desk_display(p) for p in platforms)
        out.append({
            "id": f"slot-{instant.isoformat()}", "title": f"free slot: {names}",
            "start": wall.strftime("%Y-%m-%dT%H:%M:%S"),
            "url": f"/compose?{urlencode([('network', p) for p in platforms])}"
                   f"&when={wall:%Y-%m-%dT%H:%M}",
            "classNames": ["crier-event", "slot"], "editable": False,
            "extendedProps": {"status": "slot", "network": ",".join(platforms)},
        })
    return JSONResponse(out)


def desk_display(name: str) -> str:
    from content.networks import rules_for

    return rules_for(name).display


async def move(request: Request) -> Response:
    """Drag and drop: another day, the same time of day. JSON for the calendar's script."""
    form = await checked_form(request)
    try:
        day = date.fromisoformat(str(form.get("day", "")))
    except ValueError:
        return JSONResponse({"ok": False, "message": "give the day as YYYY-MM-DD"}, 400)
    service = desk_of(request).service
    try:
        moved = service.move_to_day(request.path_params["id"], day)
    except NoSuchDelivery as exc:
        return JSONResponse({"ok": False, "message": str(exc)}, 404)
    except CrierError as exc:
        return JSONResponse({"ok": False, "message": str(exc)}, 409)
    row = moved.rows[0]
    return JSONResponse({"ok": True, "message": f"moved to {row.wall} {row.zone}",
                         "wall": row.wall, "notes": moved.notes})


# -- the queue ----------------------------------------------------------------------------------

async def queue(request: Request) -> Response:
    service = desk_of(request).service
    status = [s for s in request.query_params.getlist("status") if s]
    try:
        rows = service.deliveries(status=status)
    except CrierError as exc:
        raise HTTPException(400, str(exc)) from None
    return render(request, "queue.html", rows=rows, chosen=status, counts=service.counts())


async def delivery(request: Request) -> Response:
    service = desk_of(request).service
    try:
        detail = service.delivery(request.path_params["id"])
    except NoSuchDelivery as exc:
        raise HTTPException(404, str(exc)) from None
    # Opening a failure is seeing it: it leaves the banner on every other page.
    service.mark_seen([detail.delivery.id])
    row = detail.delivery
    return render(request, "delivery.html", d=detail, row=row,
                  due_now=row.next_attempt_at <= service.clock())


async def act(request: Request) -> Response:
    """Cancel, retry, reschedule (a date and time, or the next free slot), or record an
    uncertain delivery as published at the URL the author found."""
    form = await checked_form(request)
    service = desk_of(request).service
    delivery_id, action = request.path_params["id"], request.path_params["action"]
    try:
        if action == "cancel":
            service.cancel([delivery_id])
            flash(request, f"Delivery {delivery_id} cancelled.")
        elif action == "retry":
            service.retry([delivery_id])
            flash(request, f"Delivery {delivery_id} will be sent again.")
        elif action == "reschedule":
            when = str(form.get("when", "")).replace("T", " ").strip()
            asked = When("next_slot") if form.get("next_slot") else When("at", when or None)
            moved = service.reschedule([delivery_id], asked)
            flash(request, f"Delivery {delivery_id} moved to {moved.rows[0].wall} "
                           f"{moved.rows[0].zone}." + "".join(f" {n}" for n in moved.notes))
        elif action == "published":
            service.confirm_published(delivery_id, str(form.get("url", "")))
            flash(request, f"Delivery {delivery_id} recorded as published.")
        else:
            raise HTTPException(404, f"no action {action!r}")
    except NoSuchDelivery as exc:
        raise HTTPException(404, str(exc)) from None
    except CrierError as exc:
        flash(request, f"Not done: {exc}")
    return RedirectResponse(f"/deliveries/{delivery_id}", status_code=303)


async def seen(request: Request) -> Response:
    form = await checked_form(request)
    ids = [int(str(i)) for i in form.getlist("id") if str(i).isdigit()]
    desk_of(request).service.mark_seen(ids)
    return back(request, "/queue")


async def image(request: Request) -> Response:
    """A queued delivery's image, as it will be (or was) uploaded."""
    found = desk_of(request).service.image(request.path_params["sha"])
    if found is None:
        raise HTTPException(404, "no such image")
    data, kind = found
    return Response(data, media_type=f"image/{kind.lower()}",
                    headers={"Cache-Control": "private, max-age=86400"})


# -- slots and accounts -------------------------------------------------------------------------

async def slots(request: Request) -> Response:
    service = desk_of(request).service
    problem: dict[str, str] = {}
    if request.method == "POST":
        form = await checked_form(request)
        network = str(form.get("network", ""))
        spec = str(form.get("spec", "")).strip()
        try:
            service.set_slots(network, spec or None)
            flash(request, f"{desk_display(network)}: slots saved." if spec
                  else f"{desk_display(network)}: slots cleared.")
            return RedirectResponse("/slots", status_code=303)
        except CrierError as exc:
            problem[network] = str(exc)
    plans = {p.network: p for p in service.slots(upcoming=3)}
    return render(request, "slots.html", plans=plans, problem=problem,
                  status_code=422 if problem else 200)


async def accounts(request: Request) -> Response:
    """Each account's state. Only a POST (the author's "check now") calls the networks."""
    service = desk_of(request).service
    checks = None
    if request.method == "POST":
        await checked_form(request)
        checks = {c.network: c for c in service.accounts()}
    return render(request, "accounts.html", checks=checks,
                  configured=service.account_states())


# -- signing in ---------------------------------------------------------------------------------

async def login(request: Request) -> Response:
    desk = desk_of(request)
    if request.method == "GET":
        return render(request, "login.html", problem=None)
    form = await checked_form(request)
    stored = desk.password
    if stored is None or security.check_password(stored, str(form.get("password", ""))):
        # A new session on signing in: a token seen before it is worth nothing after.
        desk.sessions.drop(request.state.sid)
        sid, session = desk.sessions.new()
        session.authed = True
        response = RedirectResponse("/calendar", status_code=303)
        response.set_cookie(security.SESSION_COOKIE, sid, httponly=True, samesite="strict",
                            path="/")
        return response
    return render(request, "login.html", status_code=401, problem="That is not the password.")


async def logout(request: Request) -> Response:
    await checked_form(request)
    desk_of(request).sessions.drop(request.state.sid)
    session_of(request).authed = False
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response
