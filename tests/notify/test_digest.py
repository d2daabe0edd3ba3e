"""The daily digest at brand `[notify] digest_at`, in her zone, with the clock passed in: what
went out yesterday (with links), what goes out today, what needs her; made once a day however
many daemons look; skipped on a day with nothing to say."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from notify_support import Failing, MakeNotifier, channel_env
from receivers import HookReceiver, MailServer
from support import Clock
from test_events import TITLE, publish, queue

from content.brand import Brand
from content.errors import BrandError
from scheduler.notify import digest
from scheduler.publishers.base import Permanent
from scheduler.store import Store
from scheduler.store import notifications as told

# Tuesday 3 March 2026, 07:29 in New York (EST, UTC-5).
BEFORE = datetime(2026, 3, 3, 12, 29, tzinfo=UTC)


def test_the_digest_at_its_time_in_her_zone(
        store: Store, mail: MailServer, hook: HookReceiver, brand: Brand,
        make_notifier: MakeNotifier) -> None:
    clock = Clock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    sent = queue(store, clock())
    publish(store, Failing([None]), clock)  # out on Monday, with its address
    broken = queue(store, clock() + timedelta(hours=1), platform="bluesky")
    clock.advance(hours=1)
    publish(store, Failing([Permanent("Bluesky: 400 InvalidRequest: record too long")]), clock)
    today = queue(store, datetime(2026, 3, 3, 17, 0, tzinfo=UTC), platform="x")  # Tue 12:00
    queue(store, datetime(2026, 3, 4, 17, 0, tzinfo=UTC), platform="x")  # Wednesday: not today

    notifier = make_notifier(store, channel_env(mail, hook),
                             brand_=dataclasses.replace(brand, digest_at="07:30"))
    clock.now = BEFORE
    notifier.tick(clock())  # Monday's failure goes out; no digest yet at 07:29
    (failure,) = mail.wait_for(1)
    assert "failed" in failure["Subject"]
    assert not told.list_events(store, kinds=["digest"])

    clock.advance(minutes=1)  # 07:30: made; sent once its window has passed
    notifier.tick(clock())
    (made,) = told.list_events(store, kinds=["digest"])
    assert made.status == "pending" and made.happened_at == clock()
    clock.advance(seconds=61)
    notifier.tick(clock())
    email = mail.wait_for(2)[-1]
    assert email["Subject"] == "Crier digest Tue 03 Mar 2026: 1 out yesterday, 1 today, " \
                               "1 need you"
    text = str(email.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "Your Crier digest for Tue 03 Mar 2026 (America/New_York)." in text
    went, goes, needs = (text.split(heading)[1].split("\n\n")[0] for heading in
                         ("Went out yesterday (1):", "Goes out today (1):", "Needs you (1):"))
    assert f"\u201c{TITLE}\u201d on Mastodon at 09:00: https://net.example/{sent}" in went
    assert "on X at 12:00" in goes and str(today) not in needs
    assert "on Bluesky" in needs and "record too long" in needs
    assert f"`crier queue show {broken}`" in needs
    assert "The desk: http://desk.test:8080/calendar" in text
    body = hook.wait_for(2)[-1].body
    assert body["type"] == "digest"
    assert body["digest"]["went_out"][0]["note"] == f"https://net.example/{sent}"
    assert [line["network"] for line in body["digest"]["goes_out"]] == ["X"]

    # Later the same day, and a second daemon with its own notifier: no second digest.
    clock.advance(hours=5)
    notifier.tick(clock())
    other = make_notifier(store, channel_env(mail, hook),
                          brand_=dataclasses.replace(brand, digest_at="07:30"))
    other.tick(clock() + timedelta(minutes=1))
    assert len(told.list_events(store, kinds=["digest"])) == 1
    assert len(mail.messages) == 2


def test_a_day_with_nothing_to_say_has_no_digest(
        store: Store, mail: MailServer, brand: Brand, make_notifier: MakeNotifier) -> None:
    clock = Clock(BEFORE)
    notifier = make_notifier(store, channel_env(mail, None),
                             brand_=dataclasses.replace(brand, digest_at="07:30"))
    for _ in range(3):
        clock.advance(minutes=2)
        notifier.tick(clock())
    (skipped,) = told.list_events(store, kinds=["digest"])
    assert skipped.status == "skipped"
    assert notifier.flush(clock()).messages == {}
    assert mail.messages == []


def test_the_digest_time_is_a_wall_time_across_dst() -> None:
    zone = "America/New_York"
    # 07:30 is 12:30 UTC in winter and 11:30 UTC in summer (from 8 March 2026).
    assert digest.due_day("07:30", zone, datetime(2026, 3, 6, 12, 29, tzinfo=UTC)) is None
    assert digest.due_day("07:30", zone, datetime(2026, 3, 6, 12, 30, tzinfo=UTC)) is not None
    assert digest.due_day("07:30", zone, datetime(2026, 3, 9, 11, 29, tzinfo=UTC)) is None
    assert str(digest.due_day("07:30", zone, datetime(2026, 3, 9, 11, 30, tzinfo=UTC))) == \
        "2026-03-09"
    # 02:30 does not exist on 8 March: the digest follows the gap, at 03:30 EDT.
    assert digest.due_day("02:30", zone, datetime(2026, 3, 8, 7, 29, tzinfo=UTC)) is None
    assert digest.due_day("02:30", zone, datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) is not None
    assert digest.due_day(None, zone, datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) is None


@pytest.mark.parametrize(("section", "key"), [
    ('[notify]\ndigest_at = "7h30"', "notify.digest_at"),
    ('[notify]\ndigest_at = "24:00"', "notify.digest_at"),
    ("[notify]\nwarn_days = 0", "notify.warn_days"),
    ("[notify]\nwhen = 3", "notify.when"),
])
def test_a_bad_notify_section_names_the_key(section: str, key: str) -> None:
    from content.brand import parse_brand
    from scheduler.config import PROJECT_ROOT

    raw = (PROJECT_ROOT / "brand.toml").read_text(encoding="utf-8")
    raw = raw.split("[notify]")[0] + section + "\n"
    with pytest.raises(BrandError) as err:
        parse_brand(raw)
    assert key in str(err.value)
    good = parse_brand(raw.split("[notify]")[0] + '[notify]\ndigest_at = "7:05"\n')
    assert good.digest_at == "07:05" and good.warn_days == 7
