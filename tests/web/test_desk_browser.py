"""The desk end to end in a real browser (Debian's Chromium through Playwright): compose, check
the preview against `crier preview --json`, schedule, see it in the calendar, drag it to
another day, cancel, retry, publish through the daemon running in the same process.

One server (uvicorn in a thread, with the daemon) and one browser for the module, on a
throw-away database and outbox; the clock is fixed, so "now" is the same for the server, the
daemon and the assertions. Nothing sleeps: Playwright's expectations wait for conditions.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from desk_support import START, desk_service
from PIL import Image
from support import CHROMIUM, CHROMIUM_ARGS, REPO, Clock, require_chromium

from scheduler.service import Service
from scheduler.web.server import DeskServer

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
# A busy machine renders the sample's images slowly; conditions, not sleeps, so a long
# ceiling costs nothing when things are fast.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DeskServer, Service]]:
    require_chromium()
    service = desk_service(tmp_path_factory.mktemp("desk"), Clock(START))
    desk = DeskServer(service, port=0, with_daemon=True).start()
    yield desk, service
    desk.stop()
    service.close()


@pytest.fixture(scope="module")
def browser(server: tuple[DeskServer, Service]) -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: tuple[DeskServer, Service]) -> Iterator[Any]:
    context = browser.new_context(base_url=server[0].url, viewport={"width": 1300, "height": 950})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def cli_preview(post: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "CRIER_BRAND": str(REPO / "brand.toml")}
    done = subprocess.run([sys.executable, "-m", "scheduler.cli", "preview", str(post), "--json"],
                          capture_output=True, text=True, env=env, check=True, cwd=post.parent)
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def shown_parts(page: Any, network: str) -> list[tuple[str, int]]:
    parts = page.locator(f'#preview section[data-network="{network}"] li.part')
    return [(parts.nth(i).locator("pre.part-text").text_content(),
             int(parts.nth(i).get_attribute("data-length"))) for i in range(parts.count())]


def photo(tmp: Path) -> Path:
    path = tmp / "scan.png"
    Image.new("RGB", (800, 600), (30, 60, 120)).save(path, "PNG")
    return path


def test_compose_preview_is_what_the_cli_previews_then_schedule_and_see_it(
        page: Any, server: tuple[DeskServer, Service], tmp_path: Path) -> None:
    _, service = server
    page.goto("/compose")
    page.get_by_label("Title", exact=True).fill("Glutamate, briefly")
    page.get_by_label("Body", exact=True).fill(
        "Ketamine acts on **glutamate** pathways.\n\nIt works fast; the side effects are the "
        "question. See [the study](https://example.com/study).")
    page.get_by_label("Link", exact=True).fill("https://www.example.com/post/glutamate")
    page.get_by_label("Hashtags", exact=True).fill("Psychiatry, Depression")
    for name in ("X", "Bluesky", "Mastodon", "Threads", "LinkedIn", "Facebook", "Instagram"):
        box = page.get_by_label(name, exact=True)
        box.set_checked(name in ("X", "Bluesky", "LinkedIn"))
    page.get_by_label("Add a photo", exact=True).set_input_files(str(photo(tmp_path)))
    # A photo without alt text is a problem shown by the photos, before anything is queued.
    expect(page.locator("#problem-images")).to_contain_text("no alt text")
    page.get_by_label("Alt text", exact=True).fill("A brain scan in blue.")
    expect(page.locator("#problem-images")).to_be_empty()
    for network in ("x", "bluesky", "linkedin"):
        section = page.locator(f'#preview section[data-network="{network}"]')
        expect(section.locator("mark.disclaimer").last).to_be_visible()
        expect(section.locator("figure.image img").first).to_have_attribute(
            "alt", "A brain scan in blue.")
    expect(page.locator('#preview section[data-network="instagram"]')).to_have_count(0)

    page.get_by_label("When", exact=True).fill("2026-12-03T09:00")
    shown = {n: shown_parts(page, n) for n in ("x", "bluesky", "linkedin")}
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".flash")).to_contain_text("Queued 3 deliveries")
    saved = re.search(r"from (\S+\.md)", page.locator(".flash").text_content() or "")
    assert saved, page.locator(".flash").text_content()
    post = Path(saved.group(1))
    post = post if post.is_absolute() else Path.cwd() / post
    for delivery in cli_preview(post):
        assert shown[delivery["platform"]] == [(p["text"], p["length"])
                                               for p in delivery["parts"]]

    # In the calendar, on its day, one event per network, coloured as queued.
    page.get_by_role("link", name="Calendar").click()
    day = page.locator('td.fc-daygrid-day[data-date="2026-12-03"]')
    expect(day.locator('.crier-event[data-status="queued"]')).to_have_count(3)
    rows = service.deliveries(status=["queued"])
    assert {r.platform for r in rows} == {"x", "bluesky", "linkedin"}
    assert {r.wall for r in rows} == {"2026-12-03 09:00"}


def test_drag_a_queued_post_to_another_day_keeps_its_time_of_day(
        page: Any, server: tuple[DeskServer, Service]) -> None:
    _, service = server
    row = service.queue([REPO / "examples" / "glutamate.md"],
                        _at("2026-12-08 15:45"), platforms=["mastodon"]).rows[0]
    page.goto("/calendar")
    event = page.locator(f'.crier-event[data-delivery="{row.id}"]')
    target = page.locator('td.fc-daygrid-day[data-date="2026-12-10"] .fc-daygrid-day-frame')
    _drag(page, event, target)
    expect(page.locator("#calendar-status")).to_contain_text("Moved")
    expect(page.locator("#calendar")).to_have_attribute("data-busy", "no")  # redrawn
    moved = service.delivery(row.id).delivery
    assert moved.wall == "2026-12-10 15:45" and moved.status == "queued"
    expect(page.locator('td.fc-daygrid-day[data-date="2026-12-10"] '
                        f'.crier-event[data-delivery="{row.id}"]')).to_have_count(1)
    # A past day refuses the drop: the event stays where it was, nothing is sent.
    _drag(page, page.locator(f'.crier-event[data-delivery="{row.id}"]'),
          page.locator('td.fc-daygrid-day[data-date="2026-11-30"] .fc-daygrid-day-frame'))
    expect(page.locator('td.fc-daygrid-day[data-date="2026-12-10"] '
                        f'.crier-event[data-delivery="{row.id}"]')).to_have_count(1)
    assert service.delivery(row.id).delivery.wall == "2026-12-10 15:45"


def test_cancel_then_retry_from_the_delivery_page(page: Any,
                                                  server: tuple[DeskServer, Service]) -> None:
    _, service = server
    row = service.queue([REPO / "examples" / "glutamate.md"], _at("2026-12-09 10:00"),
                        platforms=["facebook"]).rows[0]
    page.goto(f"/deliveries/{row.id}")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#status")).to_have_text("cancelled")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#status")).to_have_text("queued")
    assert service.delivery(row.id).delivery.wall == "2026-12-09 10:00"  # its time kept
    # The keyboard path for moving it: the Reschedule action with a date field.
    page.get_by_label(re.compile("New date and time")).fill("2026-12-11T08:30")
    page.get_by_role("button", name="Reschedule").press("Enter")
    expect(page.locator(".flash")).to_contain_text("moved to 2026-12-11 08:30")


def test_publish_now_goes_out_through_the_daemon_and_its_parts_show(
        page: Any, server: tuple[DeskServer, Service], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    _, service = server
    # A copy of the sample: queueing from the composer saves the file back.
    for name in ("glutamate.md", "brain-scans.jpg"):
        shutil.copy(REPO / "examples" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)  # the desk opens post files under its working folder
    page.goto("/compose?file=glutamate.md")
    expect(page.get_by_label("Title", exact=True)).to_have_value(re.compile("Glutamate"))
    for name in ("X", "Bluesky", "Mastodon", "Threads", "LinkedIn", "Facebook", "Instagram"):
        page.get_by_label(name, exact=True).set_checked(name == "Bluesky")
    expect(page.locator('#preview section[data-network="bluesky"]')).to_have_count(1)
    page.get_by_role("button", name="Publish now").click()
    expect(page.locator(".flash")).to_contain_text("Queued 1 deliveries")
    row = next(r for r in service.deliveries() if r.platform == "bluesky" and r.due_at == START)
    page.goto(f"/deliveries/{row.id}")
    expect(page.locator("#status")).to_have_text("published")  # the page follows the daemon
    parts = service.delivery(row.id).parts
    expect(page.locator("li.part")).to_have_count(len(parts))
    expect(page.locator("li.part").first).to_contain_text("Live:")
    assert all(p.remote_id for p in parts)
    outbox = Path(service.settings.outbox_dir) / "bluesky" / "sent.jsonl"
    assert len(outbox.read_text().splitlines()) == len(parts)


def _at(wall: str) -> Any:
    from scheduler.service import When

    return When("at", wall)


def _drag(page: Any, source: Any, target: Any) -> None:
    """FullCalendar follows the pointer; move in steps, as a hand would."""
    expect(page.locator("#calendar")).to_have_attribute("data-busy", "no")
    expect(source).to_be_visible()
    expect(target).to_be_visible()
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 8, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 20, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=15)
    page.mouse.up()

