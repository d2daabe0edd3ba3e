"""Screenshots of the desk for the README: the calendar and the composer, made from the sample
post (examples/glutamate.md) on a throw-away database, in Debian's Chromium.

    .venv/bin/python scripts/desk_screenshots.py          # writes docs/img/desk-*.png

Run from the repository's root (the composer opens post files under the working folder).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from scheduler.service import Service, When
from scheduler.settings import Settings, sqlite_url
from scheduler.web.server import DeskServer

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path("examples/glutamate.md")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def populate(service: Service, clock: Clock) -> None:
    """A fortnight of the author's queue: published, queued, a missed one, free slots."""
    service.set_slots("all", "mon,wed,fri 09:00")
    service.set_slots("instagram", "tue,thu 12:30")
    service.queue([SAMPLE], When("at", "2026-12-01 07:00"), platforms=["threads"])
    clock.now += timedelta(hours=5)  # the daemon was down: Threads' 07:00 is missed
    service.queue([SAMPLE], When("now"), platforms=["bluesky", "mastodon"])
    service.run(until_idle=True)
    service.queue([SAMPLE], When("at", "2026-12-03 09:00"), platforms=["x", "linkedin"])
    service.queue([SAMPLE], When("next_slot"), platforms=["instagram", "facebook"])


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 1
    out = REPO / "docs" / "img"
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
        settings = Settings.from_env({
            "CRIER_BRAND": str(REPO / "brand.toml"), "CRIER_DATA_DIR": f"{tmp}/data",
            "CRIER_DATABASE_URL": sqlite_url(Path(tmp) / "crier.db"),
            "CRIER_OUTBOX_DIR": f"{tmp}/outbox", "CRIER_MAX_LATENESS_MINUTES": "60"})
        service = Service(settings, clock=clock)
        populate(service, clock)
        server = DeskServer(service, port=0, with_daemon=False).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1360, "height": 1000},
                                        device_scale_factor=1)
                page.goto(f"{server.url}/calendar")
                page.locator(".fc-event").first.wait_for()
                page.locator("#calendar").screenshot(path=str(out / "desk-calendar.png"))
                page.goto(f"{server.url}/compose?file={SAMPLE}")
                page.locator("#preview figure.image img").first.wait_for()
                page.wait_for_function(
                    "[...document.querySelectorAll('#preview img')].every(i => i.complete)")
                # The preview pane scrolled to X's closing part: the disclaimer and call to
                # action, marked, where they are sent.
                page.locator('#preview section[data-network="x"] li.part').last \
                    .scroll_into_view_if_needed()
                page.screenshot(path=str(out / "desk-composer.png"))
                browser.close()
        finally:
            server.stop()
            service.close()
    print(f"wrote {out / 'desk-calendar.png'} and {out / 'desk-composer.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
