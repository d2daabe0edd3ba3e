"""The account watch against the fake networks: a token the server stops accepting is found
before the slot that needs it and told once (two failed checks in a row, so a blip is not a
dead token), again only after it worked in between; a token nearing its expiry is warned of
once per expiry, a renewed one again when it nears its own; the daily refresh is asked once a
day. The clock is passed in; the accounts come from the registry, as the daemon's do."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from fakes.networks import START, Net
from receivers import channel_env, mail_server
from support import Clock

from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.notify import accounts as watch
from scheduler.notify.notifier import Notifier
from scheduler.publishers import Registry, route
from scheduler.publishers.base import (
    AccountStatus,
    Lookup,
    OutgoingDelivery,
    OutgoingPart,
    Pending,
    Publisher,
    Sent,
)
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import notifications as told
from scheduler.store import queue as q
from scheduler.store.queue import NewDelivery, NewPart, NewPost


def setting_up(net_factory: Callable[[str], Net], tmp_path: Path
               ) -> tuple[Net, Net, Settings, Registry, Store]:
    x, mastodon = net_factory("x"), net_factory("mastodon")
    settings = Settings.from_env({**x.env, **mastodon.env})
    registry = Registry(settings, overrides={"x": x.publisher, "mastodon": mastodon.publisher})
    return x, mastodon, settings, registry, Store.open(f"sqlite:///{tmp_path / 'crier.db'}")


def queue_for(store: Store, settings: Settings, platform: str, due: datetime) -> int:
    account = route(platform, settings).account
    post = NewPost("watch.md", (NewDelivery(platform, account, platform, due,
                                            (NewPart(0, "a post"),)),), title="Watched")
    (delivery_id,) = store.write(lambda conn: q.insert_posts(conn, [post], START))
    return int(delivery_id)


def broken_events(store: Store) -> list[told.Event]:
    return told.list_events(store, kinds=["account_broken"])


def test_a_dead_token_is_found_before_the_slot_and_told_once(
        net_factory: Callable[[str], Net], tmp_path: Path) -> None:
    x, mastodon, settings, registry, store = setting_up(net_factory, tmp_path)
    clock = Clock(START)
    queue_for(store, settings, "mastodon", START + timedelta(hours=3))

    def look() -> list[str]:
        return [w.network for w in watch.watch(store, settings, registry, warn_days=7,
                                               now=clock())]

    assert look() == ["x", "mastodon"]  # both, the first time
    clock.advance(hours=1)
    assert look() == ["mastodon"]  # a post due within hours: hourly; X daily
    assert broken_events(store) == []

    server = mastodon.extra["server"]
    token = mastodon.env["MASTODON_ACCESS_TOKEN"]
    with server.lock:
        account = server.accounts.pop(token)  # the server stops accepting the token
    clock.advance(hours=1)
    assert look() == ["mastodon"] and broken_events(store) == []  # one failure: not yet
    clock.advance(minutes=10)
    assert look() == ["mastodon"]  # confirmed ten minutes on, still before the 17:00 post
    (event,) = broken_events(store)
    assert event.platform == "mastodon" and "401" in (event.detail or "")
    assert event.data["due_soon"] == 1 and clock() < START + timedelta(hours=3)
    for _ in range(3):  # still dead: checked hourly, not told again
        clock.advance(hours=1)
        look()
    assert len(broken_events(store)) == 1

    with server.lock:
        server.accounts[token] = account  # renewed
    clock.advance(hours=1)
    look()
    with server.lock:
        server.accounts.pop(token)  # and dead again: a new condition, told again
    clock.advance(hours=1)
    look()
    clock.advance(minutes=10)
    look()
    assert len(broken_events(store)) == 2

    # X, with nothing due: its daily check finds it, and tells it the same way.
    x_server = x.extra["server"]
    with x_server.lock:
        x_server.users.pop(x.env["X_ACCESS_TOKEN"])
    clock.advance(days=1)
    look()
    clock.advance(minutes=11)
    look()
    assert sorted(e.platform or "" for e in broken_events(store)) == ["mastodon", "mastodon",
                                                                      "x"]

    # What she receives: the network's name, its words, the posts at risk, what to do.
    brand = dataclasses.replace(load_brand(PROJECT_ROOT / "brand.toml"), digest_at=None)
    with mail_server() as mail:
        env = {**x.env, **mastodon.env, **channel_env(mail, None)}
        notifier = Notifier(store, Settings.from_env(env), brand, registry, owner="t",
                            lease=timedelta(minutes=1))
        notifier.flush(clock())
        (email,) = mail.wait_for(1)
    text = str(email.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert email["Subject"] == "Crier: 3 things need you (3 account not working)"
    assert text.count("Mastodon account stopped working") == 2
    assert "X account stopped working" in text and "401" in text
    assert "1 post(s) due in the next hours will fail" in text
    assert "`crier accounts check`" in text and "http://desk.test:8080/accounts" in text
    store.close()


class ExpiringToken(Publisher):
    """A real fake server's account, whose token the network says expires at `expires`; a
    refresh (when `renew_to` is set) moves it there."""

    def __init__(self, real: Publisher, expires: datetime) -> None:
        self.real = real
        self.name = real.name
        self.expires = expires
        self.renew_to: datetime | None = None
        self.refreshed: list[datetime] = []

    def publish_part(self, delivery: OutgoingDelivery, part: OutgoingPart,
                     previous: Sent | None) -> Sent | Pending:
        return self.real.publish_part(delivery, part, previous)

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        return self.real.lookup(delivery, part)

    def check_account(self) -> AccountStatus:
        return dataclasses.replace(self.real.check_account(), expires_at=self.expires)

    def refresh_token(self, now: datetime) -> datetime | None:
        self.refreshed.append(now)
        if self.renew_to is None:
            return None
        self.expires, self.renew_to = self.renew_to, None
        return self.expires


def test_an_expiring_token_is_warned_of_once_per_expiry_and_refreshed_daily(
        net_factory: Callable[[str], Net], tmp_path: Path) -> None:
    _, mastodon, settings, _, store = setting_up(net_factory, tmp_path)
    expiring = ExpiringToken(mastodon.publisher, START + timedelta(days=10, hours=1))
    settings = Settings.from_env(mastodon.env)  # only Mastodon is live
    registry = Registry(settings, overrides={"mastodon": expiring})
    clock = Clock(START)

    def warnings() -> list[told.Event]:
        return told.list_events(store, kinds=["token_expiring"])

    for day in range(8):  # a look every hour for eight days
        for _ in range(24):
            watch.watch(store, settings, registry, warn_days=7, now=clock())
            clock.advance(hours=1)
        if day < 2:
            assert warnings() == [], day  # 10, then 9 days ahead: no warning yet
    (first,) = warnings()  # once within 7 days, however many looks followed
    assert first.data["days"] == 6  # the first daily check within seven days
    assert first.data["expires_at"] == (START + timedelta(days=10, hours=1)).isoformat()
    assert len(expiring.refreshed) == 8  # once a day, not at every look

    expiring.renew_to = clock() + timedelta(days=30)  # the next refresh renews it
    clock.advance(days=1)
    watch.watch(store, settings, registry, warn_days=7, now=clock())
    assert len(warnings()) == 1  # the renewed token is 29 days from its end
    for _ in range(25):
        clock.advance(days=1)
        watch.watch(store, settings, registry, warn_days=7, now=clock())
    assert len(warnings()) == 2  # and warned of once it nears its own end
    assert warnings()[0].data["expires_at"] == expiring.expires.isoformat()
    store.close()
