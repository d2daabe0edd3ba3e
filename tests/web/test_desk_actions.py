"""The desk's actions, in-process: moving to a day, the two ways out of needs_attention, the
banner of unseen failures, slots, the composer's refusals, and `crier web`'s own guards."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from desk_support import START, Desk, compose_form, desk_service
from sqlalchemy import update
from support import Clock, Result

from scheduler.service import When
from scheduler.store.schema import deliveries

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    service = desk_service(tmp_path, Clock(START))
    yield Desk(service)
    service.close()


def queue_one(desk: Desk, wall: str = "2026-12-03 09:00", platform: str = "x",
              zone: str | None = None) -> int:
    post = desk.service.desk_dir / f"{platform}-{wall[:10]}.md"
    post.parent.mkdir(parents=True, exist_ok=True)
    post.write_text(f"---\ntitle: T\nplatforms: [{platform}]\n---\nHello {wall}.\n",
                    encoding="utf-8")
    return desk.service.queue([post], When("at", wall, zone)).rows[0].id


def set_status(desk: Desk, delivery_id: int, status: str, error: str) -> None:
    # As the daemon would leave it; the desk only reads and acts on it.
    desk.service.store.write(lambda conn: conn.execute(
        update(deliveries).where(deliveries.c.id == delivery_id).values(
            status=status, last_error=error, updated_at=desk.service.clock())))


def test_moving_to_another_day_keeps_the_time_of_day_in_the_posts_zone(desk: Desk) -> None:
    paris = queue_one(desk, "2026-12-03 18:15", zone="Europe/Paris")
    moved: Any = desk.post(f"/deliveries/{paris}/move", {"day": "2026-12-07"})
    assert moved.status_code == 200 and moved.json()["ok"]
    row = desk.service.delivery(paris).delivery
    assert (row.wall, row.zone) == ("2026-12-07 18:15", "Europe/Paris")
    past: Any = desk.post(f"/deliveries/{paris}/move", {"day": "2026-11-30"})
    assert past.status_code == 409 and "past" in past.json()["message"]
    assert desk.service.delivery(paris).delivery.wall == "2026-12-07 18:15"
    bad: Any = desk.post(f"/deliveries/{paris}/move", {"day": "monday"})
    assert bad.status_code == 400
    missing: Any = desk.post("/deliveries/999/move", {"day": "2026-12-07"})
    assert missing.status_code == 404


def test_the_calendar_feed_is_in_the_authors_zone_with_the_posts_own(desk: Desk) -> None:
    queue_one(desk, "2026-12-03 18:15", zone="Europe/Paris")
    desk.service.set_slots("bluesky", "wed 10:00")
    feed: Any = desk.client.get("/calendar/events?start=2026-11-30T00:00:00Z"
                                "&end=2026-12-07T00:00:00Z")
    events = feed.json()
    post = next(e for e in events if e["extendedProps"]["status"] == "queued")
    assert post["start"] == "2026-12-03T12:15:00"  # 18:15 Paris is 12:15 in New York
    assert "18:15 Europe/Paris" in post["title"] and post["editable"] is True
    slot = next(e for e in events if e["extendedProps"]["status"] == "slot")
    assert slot["start"] == "2026-12-02T10:00:00" and "Bluesky" in slot["title"]
    only_x: Any = desk.client.get("/calendar/events?start=2026-11-30T00:00:00Z"
                                  "&end=2026-12-07T00:00:00Z&network=x")
    assert {e["extendedProps"]["network"] for e in only_x.json()} == {"x"}
    too_long: Any = desk.client.get("/calendar/events?start=2026-01-01&end=2026-12-31")
    assert too_long.status_code == 400


def test_needs_attention_offers_both_ways_out(desk: Desk) -> None:
    first, second = queue_one(desk), queue_one(desk, "2026-12-04 09:00")
    for delivery_id in (first, second):
        set_status(desk, delivery_id, "needs_attention", "timed out after sending part 1")
    page: Any = desk.client.get(f"/deliveries/{first}")
    assert "It is live: here is its URL" in page.text and "It is not: send it" in page.text
    assert "timed out after sending part 1" in page.text
    bad: Any = desk.post(f"/deliveries/{first}/published", {"url": "javascript:alert(1)"})
    assert "Not done" in bad.text and desk.service.delivery(first).delivery.status == \
        "needs_attention"
    done: Any = desk.post(f"/deliveries/{first}/published",
                          {"url": "https://x.com/author/status/1"})
    detail = desk.service.delivery(first)
    assert detail.delivery.status == "published"
    assert {p.remote_url for p in detail.parts} == {"https://x.com/author/status/1"}
    assert 'href="https://x.com/author/status/1"' in done.text
    desk.post(f"/deliveries/{second}/retry")
    assert desk.service.delivery(second).delivery.status == "queued"
    # Only an uncertain delivery can be recorded by hand.
    again: Any = desk.post(f"/deliveries/{second}/published", {"url": "https://x.com/a/1"})
    assert "Not done" in again.text and desk.service.delivery(second).delivery.status == \
        "queued"


def test_a_failure_is_on_every_page_until_she_has_seen_it(desk: Desk) -> None:
    failed, missed = queue_one(desk), queue_one(desk, "2026-12-05 09:00")
    set_status(desk, failed, "failed", "401 Unauthorized: bad token")
    set_status(desk, missed, "missed", "too late")
    for url in ("/calendar", "/queue", "/compose", "/slots", "/accounts"):
        text = desk.client.get(url).text
        assert "2 deliveries need you" in text and "401 Unauthorized: bad token" in text, url
    desk.client.get(f"/deliveries/{failed}")  # opening it is seeing it
    text = desk.client.get("/queue").text
    assert "1 delivery needs you" in text and "bad token" not in text.split("<main")[0]
    desk.post("/attention/seen", {"id": str(missed)})
    assert "need you" not in desk.client.get("/calendar").text
    # Failing again after a retry is news again.
    desk.post(f"/deliveries/{failed}/retry")
    desk.service.clock.advance(minutes=5)  # type: ignore[attr-defined]
    set_status(desk, failed, "failed", "401 again")
    assert "401 again" in desk.client.get("/calendar").text


def test_slots_are_edited_per_network_and_bad_ones_refused_in_place(desk: Desk) -> None:
    ok: Any = desk.post("/slots", {"network": "x", "spec": "mon,wed 09:00"})
    assert ok.status_code == 200 and "mon,wed 09:00" in ok.text
    assert {p.network: p.slots for p in desk.service.slots()} == {"x": "mon,wed 09:00"}
    bad: Any = desk.post("/slots", {"network": "bluesky", "spec": "someday 25:00"})
    assert bad.status_code == 422 and 'id="problem-bluesky"' in bad.text
    cleared: Any = desk.post("/slots", {"network": "x", "spec": ""})
    assert cleared.status_code == 200 and desk.service.slots() == []


def test_the_composer_refuses_to_schedule_what_has_a_problem_and_says_where(desk: Desk) -> None:
    form = compose_form(desk.csrf, body="Hello.", link="not-a-link", platforms=["x"],
                        when="2026-12-03T09:00", action="schedule")
    refused: Any = desk.client.post("/compose", data=form)
    assert refused.status_code == 422
    problem = re.search(r'<div id="problem-link".*?</div>', refused.text, re.S)
    assert problem and "link must be" in problem.group(0)
    assert desk.service.deliveries() == []
    past: Any = desk.client.post("/compose", data={**form, "link": "", "when": "2026-11-01T09:00"})
    assert past.status_code == 422 and "in the past" in past.text
    no_time: Any = desk.client.post("/compose", data={**form, "link": "", "when": ""})
    assert no_time.status_code == 422 and 'id="problem-when"' in no_time.text
    assert desk.service.deliveries() == []


def test_schedule_add_to_queue_and_publish_now(desk: Desk) -> None:
    desk.service.set_slots("x", "fri 10:00")
    for n, (action, when) in enumerate((("schedule", "2026-12-03T09:00"), ("queue", ""),
                                        ("now", ""))):
        # Three different posts: the same content twice would be refused as a repeat.
        base = compose_form(desk.csrf, title="Three ways", body=f"Hello, {n}.", platforms=["x"])
        done: Any = desk.client.post("/compose", data={**base, "action": action, "when": when},
                                     follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/queue"
    rows = desk.service.deliveries()
    assert sorted(r.wall or "" for r in rows) == ["2026-12-01 09:00", "2026-12-03 09:00",
                                                  "2026-12-04 10:00"]
    saved = {r.source for r in rows}
    assert all(Path(s).read_text(encoding="utf-8").startswith("---\ntitle: Three ways")
               for s in saved)


def test_a_cli_post_file_opens_and_is_saved_back_as_the_same_post(
        desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from content.post import parse_post

    monkeypatch.chdir(tmp_path)
    original = ("---\ntitle: Mine\nhashtags: [One]\nthread: false\n---\n"
                "# Heading\n\nSome *emphasis*.\n")
    Path("mine.md").write_text(original, encoding="utf-8")
    page: Any = desk.client.get("/compose?file=mine.md")
    assert page.status_code == 200 and "Some *emphasis*." in page.text
    form = compose_form(desk.csrf, file="mine.md", title="Mine", hashtags="One",
                        body="# Heading\n\nSome *emphasis*.\n", platforms=[], action="save")
    saved: Any = desk.client.post("/compose", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert parse_post(Path("mine.md").read_text(encoding="utf-8")) == parse_post(original)
    outside: Any = desk.client.get("/compose?file=/etc/passwd")
    assert outside.status_code == 400


def test_crier_web_refuses_a_public_address_without_a_password(crier: Any,
                                                                cli_env: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    refused: Result = crier("web", "--host", "0.0.0.0", "--port", "0")
    assert refused.code == 1 and "--set-password" in refused.err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert crier("web", "--set-password").code == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    done: Result = crier("web", "--set-password")
    assert done.code == 0 and "argon2" in done.out
    stored = (cli_env / "data" / "desk-password")
    assert stored.stat().st_mode & 0o777 == 0o600
    assert "a long enough secret" not in stored.read_text()
