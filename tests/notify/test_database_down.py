"""The daemon could not reach its database: that cannot be written to the notifications table,
so the daemon sends it straight to the channels, once per outage, and again after the
database has worked in between."""

from __future__ import annotations

from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler
from notify_support import MakeNotifier, channel_env
from receivers import MailServer
from support import Clock

from scheduler.daemon import Daemon, DaemonConfig
from scheduler.publishers import Registry
from scheduler.settings import Settings
from scheduler.store import Store


def test_an_unreachable_database_is_told_directly_once_per_outage(
        tmp_path: Path, clock: Clock, mail: MailServer, make_notifier: MakeNotifier) -> None:
    path = tmp_path / "crier.db"
    store = Store.open(f"sqlite:///{path}")
    daemon = Daemon(store, Registry(Settings()), DaemonConfig(owner="t", poll=60), clock=clock)
    daemon.notifier = make_notifier(store, channel_env(mail, None))
    daemon._scheduler = BlockingScheduler()  # the claim job's own scheduler, never started

    daemon._claim_job()  # the database works: nothing to tell
    store.engine.dispose()
    saved = path.read_bytes()
    path.write_bytes(b"this is no longer a database" * 512)
    for name in ("crier.db-wal", "crier.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    for _ in range(3):
        daemon._claim_job()
    (email,) = mail.wait_for(1)
    assert email["Subject"] == "Crier: the daemon could not reach its database"
    text = str(email.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "is damaged" in text and str(path) in text
    assert "nothing is published until it is back" in text

    store.engine.dispose()
    path.write_bytes(saved)
    daemon._claim_job()  # back: the next outage is a new one
    store.engine.dispose()
    path.write_bytes(b"broken again" * 512)
    daemon._claim_job()
    assert len(mail.wait_for(2)) == 2
    store.close()
