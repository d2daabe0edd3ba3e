"""Watching a feed with the clock passed in: a feed that grows by five items at once is
queued into five slots over the days its cap allows, none twice across restarts (new Service
and daemon objects over the same database), none lost; drafts wait and are never published."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from blogsite import Blog
from support import REPO, Clock

from content.errors import CrierError
from scheduler import timing
from scheduler.importer import records
from scheduler.service import Service
from scheduler.settings import Settings

ZONE = "America/New_York"
SLOTS = "daily 09:00, 13:00, 18:00"


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Each test on SQLite, and on PostgreSQL behind its marker."""
    return Settings.from_env({
        "CRIER_DATABASE_URL": db_url,
        "CRIER_BRAND": str(REPO / "brand.toml"),
        "CRIER_OUTBOX_DIR": str(tmp_path / "outbox"),
    })


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York


def _service(settings: Settings, clock: Clock) -> Service:
    return Service(settings, clock=clock)


def _add(service: Service, blog: Blog, tmp_path: Path, **options: object) -> records.FeedRow:
    values: dict[str, object] = {"platforms": ["x", "bluesky"], "max_per_day": 2,
                                 "min_spacing_minutes": 120, "review": False,
                                 "posts_dir": tmp_path / "posts"}
    values.update(options)
    return service.add_feed(blog.url("/grow.xml"), **values).feed  # type: ignore[arg-type]


def _walls(service: Service, platform: str) -> list[str]:
    rows = [r for r in service.deliveries() if r.platform == platform]
    return [r.due_at.astimezone(timing.load_zone(ZONE)).strftime("%Y-%m-%d %H:%M")
            for r in rows]


def test_five_new_items_take_five_slots_over_the_days_the_cap_allows(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    first = _service(settings, clock)
    first.set_slots("x,bluesky", SLOTS)
    blog.grow(2)
    feed = _add(first, blog, tmp_path)
    # The first look records what is there and queues nothing.
    assert feed.counts == {"seen": 2} and first.deliveries() == []
    first.close()

    blog.grow(5)
    clock.advance(minutes=31)
    second = _service(settings, clock)
    report = second.poll_feeds(clock())
    assert [len(f.queued) for f in report.feeds] == [5] and report.errors == []
    # Two a day at most, the earliest slots that allow it, oldest item first.
    expected = ["2026-03-02 13:00", "2026-03-02 18:00", "2026-03-03 09:00",
                "2026-03-03 13:00", "2026-03-04 09:00"]
    assert _walls(second, "x") == expected and _walls(second, "bluesky") == expected
    titles = [r.title for r in second.deliveries() if r.platform == "x"]
    assert titles == [f"Post number {n}" for n in range(3, 8)]
    second.close()

    # A restart: new objects over the same database. The feed has not changed (304): nothing.
    clock.advance(minutes=31)
    third = _service(settings, clock)
    daemon = third.daemon(until_idle=True)
    assert daemon.feed_poll is not None
    daemon.feed_poll(clock())
    assert blog.conditional["/grow.xml"] == 1
    assert len(third.deliveries()) == 10
    third.close()

    # One more item: queued once, after the others, within the cap.
    blog.grow(1)
    clock.advance(minutes=31)
    fourth = _service(settings, clock)
    report = fourth.poll_feeds(clock())
    assert [len(f.queued) for f in report.feeds] == [1]
    assert _walls(fourth, "x") == [*expected, "2026-03-04 13:00"]
    rows = fourth.deliveries()
    assert Counter(r.title for r in rows) == {f"Post number {n}": 2 for n in range(3, 9)}
    for platform in ("x", "bluesky"):
        mine = sorted(r.due_at for r in rows if r.platform == platform)
        assert all(b - a >= timedelta(minutes=120) for a, b in zip(mine, mine[1:], strict=False))
    items = records.items_of(fourth.store, feed.id)
    assert Counter(i.state for i in items) == {"seen": 2, "queued": 6}
    assert len({i.path for i in items if i.state == "queued"}) == 6
    fourth.close()


def test_the_feed_is_not_fetched_before_its_interval(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    service = _service(settings, clock)
    blog.grow(1)
    _add(service, blog, tmp_path)
    hits = blog.hits["/grow.xml"]
    clock.advance(minutes=10)
    assert service.poll_feeds(clock()).feeds == []
    assert blog.hits["/grow.xml"] == hits


def test_an_item_that_cannot_be_queued_waits_and_is_queued_later(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    service = _service(settings, clock)
    service.set_slots("x", SLOTS)  # bluesky has no slots yet
    _add(service, blog, tmp_path)
    blog.grow(1)
    clock.advance(minutes=31)
    report = service.poll_feeds(clock())
    assert "bluesky has no posting slots" in " ".join(report.errors)
    assert service.deliveries() == []  # all networks or none
    service.set_slots("bluesky", SLOTS)
    clock.advance(minutes=31)
    report = service.poll_feeds(clock())
    assert report.errors == [] and len(service.deliveries()) == 2


def test_a_crash_while_queueing_loses_nothing_and_queues_once(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = _service(settings, clock)
    service.set_slots("x,bluesky", SLOTS)
    _add(service, blog, tmp_path)
    blog.grow(2)
    real = records.mark_item

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed inside the queueing transaction")

    monkeypatch.setattr(records, "mark_item", crash)
    clock.advance(minutes=31)
    report = service.poll_feeds(clock())
    assert report.errors and service.deliveries() == []  # rolled back whole
    monkeypatch.setattr(records, "mark_item", real)
    clock.advance(hours=2)  # past the backoff
    again = _service(settings, clock)
    report = again.poll_feeds(clock())
    assert report.errors == []
    assert Counter(r.title for r in again.deliveries()) == {
        "Post number 1": 2, "Post number 2": 2}


def test_with_review_items_wait_as_drafts_never_published_until_approved(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    service = _service(settings, clock)
    service.set_slots("x,bluesky", SLOTS)
    feed = _add(service, blog, tmp_path, review=True)
    blog.grow(2)
    clock.advance(minutes=31)
    report = service.poll_feeds(clock())
    assert len(report.feeds[0].drafts) == 2 and service.deliveries() == []
    drafts = service.drafts()
    assert [Path(d.path).is_file() for d in drafts] == [True, True]
    # The daemon publishes nothing: a draft is not in the queue at all.
    summary = service.daemon(until_idle=True, poll=0.05).run(install_signals=False)
    assert summary.outcomes == {} and service.counts() == {}
    queued = service.approve([drafts[0].id])
    assert {r.platform for r in queued.rows} == {"x", "bluesky"}
    assert {r.status for r in queued.rows} == {"queued"}
    with pytest.raises(CrierError, match="no draft waiting"):
        service.approve([drafts[0].id])
    assert [d.id for d in service.drafts()] == [drafts[1].id]
    assert Counter(i.state for i in records.items_of(service.store, feed.id)) == {
        "queued": 1, "draft": 1}


def test_backfill_imports_what_is_there_on_the_first_look(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    service = _service(settings, clock)
    service.set_slots("x,bluesky", SLOTS)
    blog.grow(3)
    added = service.add_feed(blog.url("/grow.xml"), platforms=["x"], max_per_day=1,
                             min_spacing_minutes=60, review=False, backfill=True,
                             posts_dir=tmp_path / "posts")
    assert len(added.report.queued) == 3
    assert _walls(service, "x") == ["2026-03-02 13:00", "2026-03-03 09:00", "2026-03-04 09:00"]


def test_a_broken_feed_is_reported_and_backs_off(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    service = _service(settings, clock)
    blog.grow(1)
    feed = _add(service, blog, tmp_path)
    blog.routes["/grow.xml"] = ("application/rss+xml", b"<rss><channel><title>cut")
    clock.advance(minutes=31)
    report = service.poll_feeds(clock())
    assert blog.url("/grow.xml") in report.errors[0] and "well-formed" in report.errors[0]
    again = service.feeds()[0]
    assert again.failures == 1 and again.last_error and again.next_check_at > clock()
    assert records.items_of(service.store, feed.id)[0].state == "seen"  # nothing changed


def test_two_daemons_polling_at_once_queue_each_item_once(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    import threading

    setup = _service(settings, clock)
    setup.set_slots("x,bluesky", SLOTS)
    _add(setup, blog, tmp_path, max_per_day=3, min_spacing_minutes=0)
    blog.grow(4)
    clock.advance(minutes=31)
    daemons = [_service(settings, clock) for _ in range(2)]
    start = threading.Barrier(2)
    reports: list[object] = []

    def poll(service: Service) -> None:
        start.wait()
        reports.append(service.poll_feeds(clock()))

    threads = [threading.Thread(target=poll, args=(d,)) for d in daemons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(reports) == 2
    rows = setup.deliveries()
    assert Counter(r.title for r in rows) == {f"Post number {n}": 2 for n in range(1, 5)}
    for platform in ("x", "bluesky"):
        due = [r.due_at for r in rows if r.platform == platform]
        assert len(due) == len(set(due)) == 4  # no slot given twice


def test_a_watched_wix_feed_reads_each_items_page(
        settings: Settings, clock: Clock, blog: Blog, tmp_path: Path) -> None:
    service = _service(settings, clock)
    added = service.add_feed(blog.url("/blog-feed.xml"), backfill=True,
                             posts_dir=tmp_path / "posts")
    assert added.feed.review  # the default for a medical author
    assert blog.hits["/post/sleep-after-birth"] == 1  # the feed has only an excerpt
    (draft,) = service.drafts()
    text = Path(draft.path).read_text(encoding="utf-8")
    assert "If low mood, anxiety or intrusive thoughts" in text
    assert "Disclaimer:" not in text and "sounds simple..." not in text
    assert service.deliveries() == []
