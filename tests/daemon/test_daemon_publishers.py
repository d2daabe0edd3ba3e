"""The publisher registry's rule and the outbox publisher's contract (files, log, reconcile)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from scheduler.publishers import DECLARATIONS, NotConfigured, Registry, route
from scheduler.publishers.base import (
    Found,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    PublisherSpec,
)
from scheduler.publishers.outbox import OutboxPublisher, read_sent_log
from scheduler.settings import Settings


def delivery(store_id: str = "a" * 32, delivery_id: int = 7, parts: int = 2) -> OutgoingDelivery:
    image = OutgoingImage(b"\x89PNG...", "PNG", 1600, 900, "A quote card")
    return OutgoingDelivery(
        delivery_id, "bluesky", "outbox:bluesky",
        tuple(OutgoingPart(i, f"part {i}", (image,) if i == 0 else (), {"i": i})
              for i in range(parts)),
        store_id, "attempt")


def test_route_outbox_when_unconfigured_real_when_configured_error_when_live(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unconfigured = route("x", Settings())
    assert unconfigured.publisher == "outbox" and unconfigured.account == "outbox:x"
    assert "X_API_KEY, X_API_SECRET" in (unconfigured.note or "")
    # Configured, but no Threads publisher registered: still the outbox, and it says why.
    monkeypatch.delitem(DECLARATIONS, "threads")
    threads = Settings.from_env({"THREADS_USER_ID": "1", "THREADS_ACCESS_TOKEN": "t"})
    assert "no Threads publisher yet" in (route("threads", threads).note or "")
    with pytest.raises(NotConfigured, match="no Threads publisher"):
        route("threads", threads, live=True)
    with pytest.raises(NotConfigured, match="X_ACCESS_TOKEN_SECRET") as err:
        route("x", Settings.from_env({"X_API_KEY": "hunter2"}), live=True)
    assert "hunter2" not in str(err.value)


def test_a_registered_publisher_is_used_when_its_account_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = PublisherSpec("threads", ("THREADS_USER_ID", "THREADS_ACCESS_TOKEN"),
                         "THREADS_USER_ID", ("THREADS_ACCESS_TOKEN",),
                         OutboxPublisher.from_settings)
    monkeypatch.setitem(DECLARATIONS, "threads", spec)
    env = Settings.from_env({"THREADS_USER_ID": "1789", "THREADS_ACCESS_TOKEN": "tok"})
    with pytest.raises(NotConfigured, match="THREADS_ACCESS_TOKEN"):
        route("threads", Settings.from_env({"THREADS_USER_ID": "1789"}), live=True)
    chosen = route("threads", env, live=True)
    assert chosen.publisher == "threads" and chosen.note is None
    assert chosen.account == "threads:1789"  # names the account, no secret
    assert "tok" not in chosen.account


def test_the_registry_is_what_the_publisher_modules_declare() -> None:
    import subprocess
    import sys

    from content.networks import NETWORK_NAMES as PLATFORM_NAMES
    from scheduler.publishers import account_variables, accounts, secret_values

    assert set(DECLARATIONS) == {"outbox", "x", "bluesky", "mastodon", "linkedin", "threads",
                                 "instagram", "facebook"}
    for key, spec in DECLARATIONS.items():
        assert spec.network == key and (key == "outbox" or key in PLATFORM_NAMES)
        assert set(spec.secrets) <= set(spec.variables) | set(spec.optional)
        assert spec.account_variable is None or spec.account_variable in spec.variables
        assert spec.account_variable not in spec.secrets  # it names the lock: never a secret
    # Reading the declarations loads no network's client library: tweepy waits for X's factory.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, scheduler.publishers as p; "
         "print(sorted(p.DECLARATIONS), 'tweepy' in sys.modules)"],
        capture_output=True, text=True, check=True, timeout=60).stdout.split("] ")
    assert loaded[1].strip() == "False"
    # Every network of the table has a publisher: an unset account names its variables.
    settings = Settings.from_env({"MASTODON_BASE_URL": "https://m.example",
                                  "MASTODON_ACCESS_TOKEN": "tok-123456", "X_API_KEY": "k"})
    listed = {a.network: a for a in accounts(settings)}
    assert list(listed) == list(PLATFORM_NAMES)
    assert listed["mastodon"].live and listed["mastodon"].missing == ()
    assert not listed["x"].live and "X_API_SECRET" in listed["x"].missing
    assert listed["linkedin"].missing == ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_AUTHOR_URN")
    assert "LINKEDIN_AUTHOR_URN" in (route("linkedin", settings).note or "")
    assert listed["threads"].missing == ("THREADS_USER_ID", "THREADS_ACCESS_TOKEN")
    assert all(a.variables for a in listed.values())
    assert route("mastodon", settings).account == "mastodon:https://m.example"
    assert set(secret_values(settings)) == {"tok-123456", "k"}
    assert {"X_API_BASE_URL", "BLUESKY_SERVICE", "MASTODON_BASE_URL"} <= account_variables()


def test_registry_builds_each_publisher_once(tmp_path: Path) -> None:
    registry = Registry(Settings.from_env({"CRIER_OUTBOX_DIR": str(tmp_path)}))
    assert registry.get("outbox") is registry.get("outbox")
    with pytest.raises(NotConfigured):
        registry.get("myspace")


def test_outbox_writes_files_and_one_log_line_per_part(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    d = delivery()
    first = outbox.publish_part(d, d.parts[0], None)
    outbox.publish_part(d, d.parts[1], first)
    folder = tmp_path / "bluesky" / "7"
    assert (folder / "part-0.txt").read_text() == "part 0"
    assert (folder / "part-0-image-1.png").read_bytes() == b"\x89PNG..."
    assert (folder / "part-0-image-1.alt.txt").read_text() == "A quote card"
    payload = json.loads((folder / "part-1.json").read_text())
    assert payload["in_reply_to"] == first.remote_id and payload["composed"] == {"i": 1}
    log = read_sent_log(tmp_path / "bluesky" / "sent.jsonl")
    assert [(e["delivery_id"], e["part"], e["parts"]) for e in log] == [(7, 0, 2), (7, 1, 2)]
    assert {"delivery_id", "part", "parts", "text_sha256", "sent_at"} <= set(log[0])
    assert outbox.check_account().ok


def test_outbox_reconciles_from_its_log_and_never_confuses_two_databases(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    mine, other = delivery("a" * 32), delivery("b" * 32)
    outbox.publish_part(other, other.parts[0], None)  # delivery 7 of another database
    assert outbox.lookup(mine, mine.parts[0]).found is Found.NO
    sent = outbox.publish_part(mine, mine.parts[0], None)
    found = outbox.lookup(mine, mine.parts[0])
    assert found.found is Found.YES and found.sent is not None
    assert found.sent.remote_id == sent.remote_id
    assert outbox.lookup(mine, mine.parts[1]).found is Found.NO


def test_outbox_delay_is_split_around_the_send(tmp_path: Path) -> None:
    waits: list[float] = []
    outbox = OutboxPublisher(tmp_path, delay_ms=300, sleep=waits.append)
    d = delivery()
    outbox.publish_part(d, d.parts[0], None)
    assert waits == [0.15, 0.15]
    assert OutboxPublisher.from_settings(Settings.from_env(
        {"CRIER_OUTBOX_DIR": str(tmp_path), "CRIER_OUTBOX_DELAY_MS": "40"})).delay == 0.04


def test_concurrent_appends_keep_every_line_whole(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)

    def send(n: int) -> None:
        for i in range(50):
            d = delivery(delivery_id=n * 1000 + i, parts=1)
            outbox.publish_part(d, d.parts[0], None)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = read_sent_log(tmp_path / "bluesky" / "sent.jsonl")
    assert len(log) == 200 and len({e["delivery_id"] for e in log}) == 200


def test_a_line_cut_short_by_a_killed_writer_does_not_swallow_the_next(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    d = delivery(parts=2)
    outbox.publish_part(d, d.parts[0], None)
    log_path = tmp_path / "bluesky" / "sent.jsonl"
    with log_path.open("ab") as handle:  # what a daemon killed inside its write leaves
        handle.write(b'{"delivery_id": 7, "part": 1, "par')
    outbox.publish_part(d, d.parts[1], None)
    assert [e["part"] for e in read_sent_log(log_path)] == [0, 1]
    assert outbox.lookup(d, d.parts[1]).found is Found.YES
