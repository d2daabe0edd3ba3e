"""Every route of the desk, in-process: status codes, escaping, CSRF, Host and Origin checks,
upload limits, and no secret in any response."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from desk_support import SAMPLE, SECRETS, START, Desk, compose_form, desk_service
from PIL import Image
from support import Clock

from scheduler.service import When
from scheduler.web import security

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    service = desk_service(tmp_path, Clock(START), accounts=True)
    yield Desk(service)
    service.close()


def queued(desk: Desk, title: str = "A post", platforms: str = "x,linkedin") -> list[int]:
    post = desk.service.desk_dir / "t.md"
    post.parent.mkdir(parents=True, exist_ok=True)
    post.write_text(f"---\ntitle: {title!r}\nplatforms: [{platforms}]\n---\nHello there.\n",
                    encoding="utf-8")
    rows = desk.service.queue([post], When("at", "2026-12-03 09:00")).rows
    return [r.id for r in rows]


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "teal").save(buf, "PNG")
    return buf.getvalue()


GETS = ["/calendar", "/calendar/events", "/queue", "/compose", "/slots", "/accounts",
        "/login", "/compose?file=examples/glutamate.md", "/static/desk.css",
        "/static/vendor/htmx/htmx.min.js", "/static/vendor/fullcalendar/index.global.min.js"]


@pytest.mark.parametrize("url", GETS)
def test_every_page_answers_and_names_its_navigation(desk: Desk, url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLE.parent.parent)
    response = desk.client.get(url)
    assert response.status_code == 200, response.text[:300]
    if response.headers["content-type"].startswith("text/html"):
        for name in ("Calendar", "Queue", "New post", "Slots", "Accounts"):
            assert f">{name}</a>" in response.text
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_root_goes_to_the_calendar_and_unknown_pages_are_404(desk: Desk) -> None:
    assert desk.client.get("/", follow_redirects=False).headers["location"] == "/calendar"
    assert desk.client.get("/deliveries/999").status_code == 404
    assert desk.client.get("/images/" + "0" * 64).status_code == 404
    assert desk.client.get("/preview-images/nope").status_code == 404


def test_a_delivery_page_shows_parts_actions_and_the_attempt_log(desk: Desk) -> None:
    ids = queued(desk)
    page = desk.client.get(f"/deliveries/{ids[0]}")
    assert page.status_code == 200
    for label in (">Cancel<", ">Reschedule<", "Hello there.", "Attempts", "Not tried yet."):
        assert label in page.text
    # Its image as stored, for the page to show what will be uploaded.
    sha = re.search(r'/images/([0-9a-f]{64})', page.text)
    assert sha, "the queued X post carries a thread cover"
    image = desk.client.get(f"/images/{sha.group(1)}")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")


def test_what_the_author_typed_comes_back_escaped(desk: Desk) -> None:
    evil = "<script>alert('x')</script>"
    ids = queued(desk, title=evil)
    for url in ("/queue", f"/deliveries/{ids[0]}", "/calendar"):
        text = desk.client.get(url).text
        assert evil not in text and "&lt;script&gt;" in text, url
    events = desk.client.get("/calendar/events?start=2026-11-30T00:00:00Z&end=2026-12-07T00:00:00Z")
    assert any(evil in e["title"] for e in events.json())  # JSON, shown by the calendar as text
    shown = desk.client.post("/compose/preview", data=compose_form(
        desk.csrf, title=evil, body=f"Body {evil}", platforms=["x"], images="0"))
    assert shown.status_code == 200
    assert evil not in shown.text and "&lt;script&gt;alert" in shown.text


STATE_CHANGING = ["/compose", "/compose/preview", "/compose/photo", "/deliveries/1/cancel",
                  "/deliveries/1/retry", "/deliveries/1/reschedule", "/deliveries/1/published",
                  "/deliveries/1/move", "/attention/seen", "/slots", "/accounts", "/login",
                  "/logout"]


@pytest.mark.parametrize("url", STATE_CHANGING)
def test_every_state_changing_request_needs_the_csrf_token(desk: Desk, url: str) -> None:
    ids = queued(desk)
    assert ids[0] == 1
    missing = desk.client.post(url, data={"title": "x"})
    wrong = desk.client.post(url, data={"csrf": "not-the-token"})
    assert missing.status_code == wrong.status_code == 403, (missing.text, wrong.text)
    assert desk.service.delivery(1).delivery.status == "queued"


def test_the_token_also_works_as_a_header_as_htmx_sends_it(desk: Desk) -> None:
    ids = queued(desk)
    response = desk.client.post(f"/deliveries/{ids[0]}/cancel",
                                headers={"X-CSRF-Token": desk.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert desk.service.delivery(ids[0]).delivery.status == "cancelled"


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io:8080", "127.0.0.1:9999"])
def test_a_foreign_host_header_is_refused(desk: Desk, host: str) -> None:
    # DNS rebinding: a foreign name resolving to 127.0.0.1 reaches the socket, not the desk.
    assert desk.client.get("/calendar", headers={"Host": host}).status_code == 400


def test_a_cross_origin_post_is_refused_even_with_the_token(desk: Desk) -> None:
    ids = queued(desk)
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = desk.post(f"/deliveries/{ids[0]}/cancel", headers=headers)
        assert response.status_code == 403  # type: ignore[attr-defined]
    assert desk.service.delivery(ids[0]).delivery.status == "queued"
    same = desk.post(f"/deliveries/{ids[0]}/cancel",
                     headers={"Origin": "http://127.0.0.1:8080"}, follow_redirects=False)
    assert same.status_code == 303  # type: ignore[attr-defined]


def test_the_session_cookie_is_httponly_and_samesite_strict(tmp_path: Path) -> None:
    desk = Desk(desk_service(tmp_path, Clock(START)))
    fresh = desk.client.__class__(desk.client.app, base_url="http://127.0.0.1:8080")
    cookie = fresh.get("/calendar").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_uploads_are_capped_and_checked_as_images(desk: Desk) -> None:
    form = compose_form(desk.csrf, body="Hi", platforms=["x"])
    ok = desk.client.post("/compose/photo", data=form,
                          files={"photo": ("p.png", png(), "image/png")})
    assert ok.status_code == 200 and 'name="photo_path"' in ok.text and "Alt text" in ok.text
    stored = list((desk.service.desk_dir / "posts" / "photos").iterdir())
    assert len(stored) == 1
    fake = desk.client.post("/compose/photo", data=form,
                            files={"photo": ("p.png", b"GIF89a not really", "image/png")})
    assert fake.status_code == 422 and "not an image" in fake.text
    big = desk.client.post("/compose/photo", data=form, files={
        "photo": ("big.png", b"\0" * (security.MAX_BODY + 1), "image/png")})
    assert big.status_code == 413
    assert list((desk.service.desk_dir / "posts" / "photos").iterdir()) == stored


def test_no_secret_reaches_any_page(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLE.parent.parent)
    queued(desk)
    bodies = [desk.client.get(url).text for url in GETS if "vendor" not in url]
    bodies.append(desk.post("/accounts").text)  # type: ignore[attr-defined]  # checks for real
    bodies.append(desk.client.get("/deliveries/1").text)
    checked = bodies[-2]
    mastodon_row = checked.split("<td>Mastodon</td>")[1].split("</tr>")[0]
    assert "not checked" not in mastodon_row  # the check ran (and failed: no server there)
    for body in bodies:
        for value in SECRETS.values():
            if value.startswith("sekrit"):
                assert value not in body
    assert "MASTODON_ACCESS_TOKEN" not in bodies[-2]  # configured: nothing to name


def test_accounts_show_what_is_missing_by_name(tmp_path: Path) -> None:
    desk = Desk(desk_service(tmp_path, Clock(START)))
    page = desk.client.get("/accounts").text
    assert "MASTODON_ACCESS_TOKEN" in page and "not checked" in page


def test_a_password_protects_every_page(desk: Desk) -> None:
    path = security.set_password(desk.service.settings.data_dir, "correct horse")
    assert path.stat().st_mode & 0o777 == 0o600
    assert "correct horse" not in path.read_text()
    assert desk.client.get("/queue", follow_redirects=False).status_code == 303
    assert desk.post("/slots", {"network": "x", "spec": "mon 09:00"}
                     ).status_code == 401  # type: ignore[attr-defined]
    page = desk.client.get("/login").text
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    bad = desk.client.post("/login", data={"csrf": csrf, "password": "wrong"})
    assert bad.status_code == 401
    good = desk.client.post("/login", data={"csrf": csrf, "password": "correct horse"},
                            follow_redirects=False)
    assert good.status_code == 303
    assert desk.client.get("/queue").status_code == 200
