"""Each kind of event, made by the change that causes it (a delivery failing, needing her, missed;
a feed breaking; the database out of reach), arrives by email (a real SMTP server) and by
webhook (a local receiver) with its fields: the post's title, the network's name, the time in
her zone, the reason and what to do, with a link into the desk. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from notify_support import WEB_URL, Failing, MakeNotifier, channel_env
from receivers import HookReceiver, MailServer
from support import Clock, new_post

from scheduler.daemon import Daemon, DaemonConfig
from scheduler.importer import records as rec
from scheduler.notify.notifier import Notifier
from scheduler.publishers import Registry
from scheduler.publishers.base import Permanent, UnknownOutcome
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import notifications as told
from scheduler.store import queue as q

TITLE = "What's the deal with Glutamate?"
REFUSAL = "Mastodon: 422 Validation failed: Text character limit of 500 exceeded"


def queue(store: Store, due: datetime, *, lateness: timedelta = timedelta(hours=2),
          platform: str = "mastodon") -> int:
    post = dataclasses.replace(new_post(due, platform=platform, publisher="failing",
                                        account="failing:me", lateness=lateness),
                               title=TITLE)
    (delivery_id,) = store.write(lambda conn: q.insert_posts(conn, [post], due))
    return int(delivery_id)


def publish(store: Store, publisher: Failing, clock: Clock) -> list[str]:
    daemon = Daemon(store, Registry(Settings(), overrides={"failing": publisher}),
                    DaemonConfig(workers=1, owner="test"), clock=clock)
    return [f.result(timeout=30) for f in daemon.claim(clock())]


def deliver(notifier: Notifier, clock: Clock, mail: MailServer, hook: HookReceiver
            ) -> tuple[EmailMessage, dict[str, Any]]:
    """Past the grouping window, one pass of the sender: one new email and one new POST."""
    before = len(mail.messages), len(hook.received)
    clock.advance(seconds=61)
    report = notifier.tick(clock())
    assert report.errors == [] and report.retry == 0
    email = mail.wait_for(before[0] + 1)[-1]
    posted = hook.wait_for(before[1] + 1)[-1].body
    assert len(mail.messages) == before[0] + 1 and len(hook.received) == before[1] + 1
    return email, posted


def fields(email: EmailMessage) -> str:
    body = email.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_each_event_kind_arrives_with_its_fields(
        store: Store, clock: Clock, mail: MailServer, hook: HookReceiver,
        make_notifier: MakeNotifier) -> None:
    notifier = make_notifier(store, channel_env(mail, hook))

    # A delivery that fails for good: the network's words, and how to retry.
    failed = queue(store, clock())
    assert publish(store, Failing([Permanent(REFUSAL)]), clock) == ["failed"]
    email, posted = deliver(notifier, clock, mail, hook)
    assert email["Subject"] == f"Crier: Mastodon post failed: \u201c{TITLE}\u201d"
    assert email["To"] == "author@example.com, assistant@example.org"
    assert mail.recipients[-1] == ["author@example.com", "assistant@example.org"]
    text = fields(email)
    assert "When: Mon 02 Mar 2026 09:00 EST" in text  # 14:00 UTC, in her zone
    assert f"Why: {REFUSAL}" in text
    assert f"`crier queue retry {failed}`" in text
    assert f"On the desk: {WEB_URL}/deliveries/{failed}" in text
    (event,) = posted["events"]
    assert posted["type"] == event["type"] == "delivery_failed"
    assert event["title"] == TITLE and event["network"] == "Mastodon"
    assert event["time"] == "Mon 02 Mar 2026 09:00 EST" and event["reason"] == REFUSAL
    assert event["link"] == f"{WEB_URL}/deliveries/{failed}" and "retry" in event["action"]
    assert posted["ids"] == [e.id for e in told.list_events(store, kinds=["delivery_failed"])]

    # One that may have landed and cannot be checked: the reason and the two ways out.
    unsure = queue(store, clock(), platform="bluesky")
    outcome = publish(store, Failing([UnknownOutcome("the connection dropped after sending")]),
                      clock)
    assert outcome == ["needs_attention"]
    email, posted = deliver(notifier, clock, mail, hook)
    assert email["Subject"] == f"Crier: Bluesky post needs you: \u201c{TITLE}\u201d"
    text = fields(email)
    assert "the connection dropped after sending" in text
    assert "mark it published on the desk" in text and f"`crier queue retry {unsure}`" in text
    assert posted["events"][0]["network"] == "Bluesky"
    assert posted["events"][0]["link"] == f"{WEB_URL}/deliveries/{unsure}"

    # One due while the daemon was down, past its max lateness: how late, and the policy.
    late = queue(store, clock() - timedelta(hours=3), lateness=timedelta(minutes=45),
                 platform="x")
    daemon = Daemon(store, Registry(Settings()), DaemonConfig(workers=1, owner="t"),
                    clock=clock)
    daemon.housekeep(clock())
    assert q.show(store, late).delivery.status == "missed"
    email, posted = deliver(notifier, clock, mail, hook)
    assert email["Subject"] == f"Crier: X post missed: \u201c{TITLE}\u201d"
    text = fields(email)
    assert "due Mon 02 Mar 2026 06:0" in text  # three hours before, in her zone
    assert "at most 45 min late" in text and "schedule.max_lateness_minutes" in text
    assert f"`crier queue retry {late}` sends it now" in text
    assert posted["events"][0]["type"] == "missed"

    # A watched feed that keeps failing: told at the second failure in a row, once.
    feed_id = rec.add_feed(store, url="https://blog.test/feed.xml", platforms=[],
                           max_per_day=1, min_spacing=timedelta(0), review=True,
                           posts_dir="posts", interval=timedelta(minutes=30), backfill=False,
                           now=clock())
    for _ in range(3):
        feed = rec.list_feeds(store, ids=[feed_id])[0]
        rec.feed_checked(store, feed, clock(), "https://blog.test/feed.xml answered 503")
    assert len(told.list_events(store, kinds=["feed_broken"])) == 1
    email, posted = deliver(notifier, clock, mail, hook)
    assert email["Subject"] == "Crier: watched feed broken: https://blog.test/feed.xml"
    assert "answered 503" in fields(email) and "`crier feeds check`" in fields(email)
    assert posted["events"][0]["type"] == "feed_broken"

    # The database out of reach: sent at once, straight to the channels, once per outage.
    notifier.database_down("cannot use the database sqlite:///gone.db: disk I/O error",
                           clock())
    notifier.database_down("still down", clock())
    email = mail.wait_for(5)[-1]
    assert email["Subject"] == "Crier: the daemon could not reach its database"
    assert "disk I/O error" in fields(email)
    assert hook.wait_for(5)[-1].body["type"] == "database_unreachable"
    notifier.database_back()
    notifier.database_down("down again", clock())
    assert "down again" in fields(mail.wait_for(6)[-1])
    assert len(mail.messages) == 6 and len(hook.received) == 6

    # Every stored event is sent, on both channels; none twice.
    events = told.list_events(store)
    assert {e.status for e in events} == {"sent"}
    assert all(e.channels_done == {"email", "webhook"} for e in events)
    received = [int(i) for m in mail.messages if m["X-Crier-Notifications"]
                for i in m["X-Crier-Notifications"].split(",")]
    assert sorted(received) == sorted(e.id for e in events)


def test_a_burst_is_one_message_after_the_window(
        store: Store, clock: Clock, mail: MailServer, hook: HookReceiver,
        make_notifier: MakeNotifier) -> None:
    notifier = make_notifier(store, channel_env(mail, hook))
    start = clock()
    for n in range(10):  # ten failures within a minute
        queue(store, clock())
        publish(store, Failing([Permanent(f"{REFUSAL} ({n})")]), clock)
        clock.advance(seconds=5)
    assert notifier.tick(clock()).messages == {}  # the first is 50 s old: the window holds
    clock.now = start + timedelta(seconds=60)
    report = notifier.tick(clock())
    assert report.messages == {"email": 1, "webhook": 1} and report.delivered == 10
    (email,) = mail.wait_for(1)
    assert email["Subject"] == "Crier: 10 things need you (10 failed)"
    text = fields(email)
    assert all(f"({n})" in text for n in range(10))
    (posted,) = hook.wait_for(1)
    assert posted.body["count"] == 10 and len(posted.body["ids"]) == 10
    clock.advance(minutes=5)
    assert notifier.tick(clock()).messages == {}
    assert len(mail.messages) == 1 and len(hook.received) == 1


@pytest.mark.parametrize("shape", ["ntfy", "slack", "discord"])
def test_webhook_shapes(store: Store, clock: Clock, hook: HookReceiver,
                        make_notifier: MakeNotifier, shape: str) -> None:
    env = channel_env(None, None, CRIER_NOTIFY_WEBHOOK_URL=hook.url("/crier-alerts"),
                      CRIER_NOTIFY_WEBHOOK_FORMAT=shape)
    notifier = make_notifier(store, env)
    delivery = queue(store, clock())
    publish(store, Failing([Permanent(REFUSAL)]), clock)
    clock.advance(seconds=61)
    notifier.tick(clock())
    (got,) = hook.wait_for(1)
    if shape == "ntfy":  # JSON publishing: to the root, the topic from the path
        assert got.path == "/"
        assert got.body["topic"] == "crier-alerts"
        assert got.body["title"].startswith("Crier: Mastodon post failed")
        assert REFUSAL in got.body["message"]
        assert got.body["click"] == f"{WEB_URL}/deliveries/{delivery}"
    elif shape == "slack":
        assert got.path == "/crier-alerts" and set(got.body) == {"text"}
        assert TITLE in got.body["text"] and REFUSAL in got.body["text"]
    else:
        assert set(got.body) == {"content"} and len(got.body["content"]) <= 2000
        assert TITLE in got.body["content"]


def test_links_go_to_the_desk_running_the_daemon_unless_crier_web_url_says(
        sqlite_store: Store, make_notifier: MakeNotifier) -> None:
    own = make_notifier(sqlite_store, {}, desk_url="http://127.0.0.1:8080")
    assert own.wording.link("/deliveries/3") == "http://127.0.0.1:8080/deliveries/3"
    said = make_notifier(sqlite_store, {"CRIER_WEB_URL": "https://desk.example.com/"},
                         desk_url="http://127.0.0.1:8080")
    assert said.wording.link("/deliveries/3") == "https://desk.example.com/deliveries/3"
    assert make_notifier(sqlite_store, {}).wording.link("/deliveries/3") is None
