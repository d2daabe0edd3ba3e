"""No secret in a notification, beside test_secrets.py: not the network's token (echoed back by
the server in a refusal and in a failed account check), not the SMTP password (which the SMTP
server really requires), not the webhook's token (in its address, echoed back in an error).

Events are made by a delivery the server refuses, a dead account the watch finds and a
missed delivery; they are sent by email and webhook, through a refusing SMTP login and a
failing webhook first. Then every email and webhook body received, every log record, every
row of every table, every channel error and the commands' output are searched for the values.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from receivers import hook_receiver, mail_server
from support import Clock
from test_secrets import SECRETS, START, dump_database, leaks, mastodon_target, queue

from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.notify.notifier import Notifier
from scheduler.publishers import Registry
from scheduler.publishers.base import OutgoingPart
from scheduler.settings import Settings
from scheduler.store import Store
from scheduler.store import notifications as told

SMTP_USER = "crier@example.com"
SMTP_PASSWORD = "sekrit-smtp-password-4I9p"
HOOK_TOKEN = "sekrit-webhook-token-5O0q"


def test_no_secret_in_any_notification_log_row_or_error(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, crier: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    brand = dataclasses.replace(load_brand(PROJECT_ROOT / "brand.toml"), digest_at="07:30")
    errors: list[str] = []
    with contextlib.ExitStack() as stack:
        target = mastodon_target(stack, tmp_path)
        mail = stack.enter_context(mail_server(login=(SMTP_USER, SMTP_PASSWORD)))
        hook = stack.enter_context(hook_receiver())
        store = Store.open(f"sqlite:///{tmp_path / 'crier.db'}")
        stack.callback(store.close)
        env = {**target.env, "CRIER_HTTP_TIMEOUT": "1",
               "CRIER_SMTP_URL": f"smtp://{quote(SMTP_USER)}:{SMTP_PASSWORD}@127.0.0.1:"
                                 f"{mail.port}",
               "CRIER_NOTIFY_EMAIL": "author@example.com",
               "CRIER_NOTIFY_WEBHOOK_URL": hook.url(f"/hooks/{HOOK_TOKEN}"),
               "CRIER_WEB_URL": "http://desk.test"}
        settings = Settings.from_env(env)
        assert SMTP_PASSWORD not in repr(settings) and HOOK_TOKEN not in repr(settings)
        registry = Registry(settings, overrides={"mastodon": target.publisher})
        clock = Clock(START)
        notifier = Notifier(store, settings, brand, registry, owner="secrets",
                            lease=timedelta(minutes=1))
        daemon = Daemon(store, registry, DaemonConfig(workers=1, owner="secrets"), clock=clock)
        daemon.notifier = notifier

        # A refusal that quotes the token back: the delivery fails with it, redacted.
        target.server.error(target.echo_status, path=target.create_path, body=target.echo)
        queue(store, target, (OutgoingPart(0, "echo"),), 0)
        for future in daemon.claim(clock()):
            future.result(timeout=30)
        # A missed delivery, and an account check refused twice with the token quoted back.
        queue(store, target, (OutgoingPart(0, "late"),), -60 * 24 * 3)  # past its 2 days
        daemon.housekeep(clock())
        target.server.error(401, path="/api/v1/accounts/verify_credentials", body=target.echo,
                            times=2)
        notifier.watch_accounts(clock())
        clock.advance(minutes=11)
        notifier.watch_accounts(clock())
        kinds = sorted(e.kind.value for e in told.list_events(store))
        assert kinds == ["account_broken", "delivery_failed", "missed"]

        # Sending: the SMTP login refused and the webhook answering 500 with its address.
        mail.login = (SMTP_USER, "another-password")
        hook.fail(500, f"no such hook /hooks/{HOOK_TOKEN}")
        clock.advance(seconds=61)
        report = notifier.tick(clock())
        assert report.retry >= 3 and len(report.errors) == 2  # and the digest, made at 09:00
        errors += report.errors
        errors += [e.last_error or "" for e in told.list_events(store)]
        mail.login = (SMTP_USER, SMTP_PASSWORD)
        clock.advance(hours=1)
        assert notifier.tick(clock()).retry == 0
        assert (SMTP_USER, SMTP_PASSWORD) in mail.logins  # the credential was really used
        clock.now = START.replace(hour=12, minute=31) + timedelta(days=1)  # 07:31 next day
        notifier.tick(clock())
        clock.advance(seconds=61)
        notifier.tick(clock())  # the digest, which quotes the failures
        emails = mail.wait_for(2)
        posts = hook.wait_for(2)
        errors += [f"{where}: {problem}" for where, problem in notifier.test(clock())]
        database = dump_database(store)

        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CRIER_DATABASE_URL", f"sqlite:///{tmp_path / 'crier.db'}")
        listed = crier("notifications", "list", "--json")
        shown = listed.out + listed.err + crier("notifications", "list").out
        tested = crier("notify", "test")
        shown += tested.out + tested.err

    secrets = [*SECRETS.values(), SMTP_PASSWORD, HOOK_TOKEN]
    received = "\n".join([m.as_string() for m in emails] + [repr(p.body) for p in posts])
    assert "***" in received  # the refusal was there, with its secret taken out
    assert "Mastodon account stopped working" in received and "Crier digest" in received
    logged = "\n".join([r.getMessage() for r in caplog.records]
                       + [r.exc_text or "" for r in caplog.records] + [caplog.text])
    assert "535" in "\n".join(errors)  # the refused login is reported, without the password
    assert leaks(received, secrets) == []
    assert leaks(logged, secrets) == []
    assert leaks(database, secrets) == []
    assert leaks("\n".join(errors), secrets) == [], errors
    assert leaks(shown, secrets) == []
