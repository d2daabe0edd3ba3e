"""Crash test of the sender: real `crier run` daemons killed -9 while sending notifications to a
real SMTP server, restarted at once; every event is delivered at least once, and the events
delivered more than once are only those in flight at a kill.

Events come in waves: the test queues deliveries already past their lateness, a daemon marks
them missed (each writing its event in the same transaction) and sends them. For each of the
first MAX_KILLS messages, the SMTP server holds its "250 OK" while the test kills the daemon
sending it: the
server has the message, the daemon never heard, so its events are sent again once its lease
expires. Each message names its events (X-Crier-Notifications), which is how the duplicates are
counted; at each kill the test records which events the killed daemon held.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from receivers import mail_server
from sqlalchemy import select
from support import REPO, Fleet, new_post, until_idle

from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.schema import notifications

pytestmark = pytest.mark.slow

WAVES = 8
PER_WAVE = 5
MAX_KILLS = 4
TIMEOUT = 120.0  # seconds any wait may take before the test gives up
OWNER_PID = re.compile(r":(\d+):[0-9a-f]+$")


def ids_of(mail: EmailMessage) -> list[int]:
    return [int(i) for i in (mail["X-Crier-Notifications"] or "").split(",") if i]


def test_kill_9_while_sending_every_event_arrives_at_least_once(
        db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    brand = tmp_path / "brand.toml"  # no digest: only the test's events
    brand.write_text((REPO / "brand.toml").read_text(encoding="utf-8").split("[notify]")[0],
                     encoding="utf-8")
    in_flight: list[set[int]] = []  # per kill: the events the killed daemon held
    seen = {"messages": 0, "stopping": 0}
    lock = threading.Lock()
    fleet: Fleet | None = None

    def holder_of(ids: list[int]) -> tuple[int | None, set[int]]:
        owner = store.read(lambda conn: conn.execute(
            select(notifications.c.lease_owner).where(notifications.c.id.in_(ids),
                                                      notifications.c.status == "pending")
        ).scalars().first())
        match = OWNER_PID.search(owner or "")
        if match is None or fleet is None:
            return None, set()
        held = set(store.read(lambda conn: conn.execute(
            select(notifications.c.id).where(notifications.c.lease_owner == owner,
                                             notifications.c.status == "pending")
        ).scalars()))
        return fleet.slot_of(int(match.group(1))), held

    def on_message(mail: EmailMessage) -> None:
        """Before the server answers, kill the daemon that sent it (the first MAX_KILLS)."""
        with lock:
            seen["messages"] += 1
            if len(in_flight) >= MAX_KILLS or seen["stopping"]:
                return
            slot, held = holder_of(ids_of(mail))
            if slot is None or fleet is None:
                return
            in_flight.append(held)
            fleet.kill(slot)

    try:
        with mail_server(on_message=on_message) as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
            env.update({
                "CRIER_DATABASE_URL": db_url, "CRIER_OUTBOX_DIR": str(tmp_path / "outbox"),
                "CRIER_BRAND": str(brand), "CRIER_LEASE_SECONDS": "1",
                "CRIER_POLL_SECONDS": "0.2", "CRIER_HTTP_TIMEOUT": "0.5",
                "CRIER_NOTIFY_WINDOW_SECONDS": "0.1", "CRIER_SMTP_URL": server.url(),
                "CRIER_NOTIFY_FROM": "crier@example.com",
                "CRIER_NOTIFY_EMAIL": "author@example.com"})
            fleet = Fleet(env, tmp_path, daemons=2)
            try:
                fleet.start()
                for wave in range(WAVES):
                    due = datetime.now(UTC) - timedelta(days=1)
                    posts = [new_post(due, lateness=timedelta(0), source=f"w{wave}-{n}.md",
                                      account=f"outbox:crash{n}") for n in range(PER_WAVE)]
                    store.write(lambda conn, posts=posts, due=due:
                                q.insert_posts(conn, posts, due))
                    wait_until_received(store, server.messages, lock,
                                        (wave + 1) * PER_WAVE, fleet)
                with lock:  # no kill from the server's thread while the fleet stops
                    seen["stopping"] = 1
                fleet.stop()
            finally:
                fleet.kill_all()
            final = until_idle(env, tmp_path)
            assert final.returncode == 0, final.stderr
            messages = list(server.messages)

        events = store.read(lambda conn: conn.execute(
            select(notifications.c.id, notifications.c.status)).all())
        received = Counter(i for m in messages for i in ids_of(m))
        duplicated = {i: n - 1 for i, n in received.items() if n > 1}
        held = set().union(*in_flight) if in_flight else set()
        lost = {e.id for e in events} - set(received)
        print(f"\nnotify crash [{db_url.split(':')[0]}]: {len(events)} events, "
              f"{len(messages)} messages, {len(in_flight)} kills while sending "
              f"({sum(map(len, in_flight))} events in flight at them), "
              f"{len(duplicated)} events delivered more than once "
              f"({sum(duplicated.values())} extra deliveries), {len(lost)} lost")
        assert len(events) == WAVES * PER_WAVE
        assert {e.status for e in events} == {"sent"}
        assert {e.id for e in events} <= set(received), "an event was never delivered"
        assert len(in_flight) == MAX_KILLS, "a kill did not land while sending"
        assert duplicated, "no event was sent again after a kill: the run proves little"
        # At least once, and no more than that: only what a killed daemon held came again.
        assert set(duplicated) <= held, f"resent without a kill: {set(duplicated) - held}"
        assert sum(duplicated.values()) <= sum(map(len, in_flight))
        assert set(received) <= {e.id for e in events}
    finally:
        store.close()


def wait_until_received(store: Store, messages: list[EmailMessage], lock: threading.Lock,
                        count: int, fleet: Fleet) -> None:
    """Until `count` events exist and every one has reached the server at least once."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ids = set(store.read(lambda conn: conn.execute(
            select(notifications.c.id)).scalars()))
        with lock:  # a kill (from the server's thread) replaces the daemon under this lock
            fleet.check()
            got = {i for m in list(messages) for i in ids_of(m)}
        if len(ids) >= count and ids <= got:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} events not all delivered after {TIMEOUT} s")
