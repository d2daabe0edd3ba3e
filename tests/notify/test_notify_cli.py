"""The commands: bad notification settings stop every command at start-up, naming the variable
and never its value; `crier notify test` says what each channel did; `crier run --until-idle`
sends what is pending before it exits; with no channel the events go to the log and to
`crier notifications list`."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from receivers import HookReceiver, MailServer, free_port
from support import REPO, Result, crier_command, new_post

from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.engine import sqlite_url

Crier = Callable[..., Result]
SECRET = "s3cret-Pa55"


@pytest.fixture(autouse=True)
def no_digest(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample brand without its digest: these runs read the wall clock, and the digest's
    time (tested with the clock passed in, test_digest.py) would often have passed."""
    raw = (REPO / "brand.toml").read_text(encoding="utf-8").split("[notify]")[0]
    (cli_env / "brand.toml").write_text(raw, encoding="utf-8")
    monkeypatch.setenv("CRIER_BRAND", str(cli_env / "brand.toml"))


@pytest.mark.parametrize(("name", "raw"), [
    ("CRIER_SMTP_URL", f"http://me:{SECRET}@mail.example.com:25"),
    ("CRIER_SMTP_URL", f"smtp://me:{SECRET}@mail.example.com:twenty-five"),
    ("CRIER_SMTP_URL", f"smtp://me:{SECRET}@/"),
    ("CRIER_NOTIFY_EMAIL", f"author.example.com{SECRET}"),
    ("CRIER_NOTIFY_EMAIL", f"a@example.com, b-at-example.com{SECRET}"),
    ("CRIER_NOTIFY_FROM", f"crier{SECRET}"),
    ("CRIER_NOTIFY_WEBHOOK_URL", f"ftp://hooks.example.com/{SECRET}"),
    ("CRIER_NOTIFY_WEBHOOK_URL", f"hooks.example.com/{SECRET}"),
    ("CRIER_NOTIFY_WEBHOOK_FORMAT", f"teams{SECRET}"),
    ("CRIER_WEB_URL", f"desk.local:8080/{SECRET}"),
])
def test_a_bad_setting_stops_every_command_naming_the_variable(
        crier: Crier, monkeypatch: pytest.MonkeyPatch, name: str, raw: str) -> None:
    good = {"CRIER_SMTP_URL": "smtp://127.0.0.1:2525", "CRIER_NOTIFY_EMAIL": "a@example.com",
            "CRIER_NOTIFY_FROM": "crier@example.com"}
    for key, value in {**good, name: raw}.items():
        monkeypatch.setenv(key, value)
    for command in (("run", "--until-idle"), ("notify", "test"), ("queue", "list")):
        result = crier(*command)
        assert result.code == 1, command
        assert name in result.err and "fix it in .env" in result.err
        assert SECRET not in result.err + result.out


@pytest.mark.parametrize(("env", "named"), [
    ({"CRIER_SMTP_URL": "smtp://mail.example.com"}, "CRIER_NOTIFY_EMAIL"),
    ({"CRIER_NOTIFY_EMAIL": "a@example.com"}, "CRIER_SMTP_URL"),
    ({"CRIER_SMTP_URL": "smtp://user:pw@mail.example.com",
      "CRIER_NOTIFY_EMAIL": "a@example.com"}, "CRIER_NOTIFY_FROM"),
])
def test_the_email_variables_go_together(crier: Crier, monkeypatch: pytest.MonkeyPatch,
                                         env: dict[str, str], named: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = crier("notify", "test")
    assert result.code == 1 and named in result.err and "pw" not in result.err


def test_the_daemon_refuses_to_start_on_a_bad_setting(cli_env: Path) -> None:
    env = {**os.environ, "CRIER_SMTP_URL": f"smtps//me:{SECRET}@mail.example.com"}
    run = subprocess.run([*crier_command(), "run"], env=env, cwd=cli_env, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 1
    assert "CRIER_SMTP_URL" in run.stderr and SECRET not in run.stderr + run.stdout


def channels(monkeypatch: pytest.MonkeyPatch, mail: MailServer | None,
             hook_url: str | None) -> None:
    monkeypatch.setenv("CRIER_HTTP_TIMEOUT", "1")
    if mail is not None:
        monkeypatch.setenv("CRIER_SMTP_URL", mail.url())
        monkeypatch.setenv("CRIER_NOTIFY_FROM", "crier@example.com")
        monkeypatch.setenv("CRIER_NOTIFY_EMAIL", "author@example.com")
    if hook_url is not None:
        monkeypatch.setenv("CRIER_NOTIFY_WEBHOOK_URL", hook_url)


def test_notify_test_says_what_each_channel_did(
        crier: Crier, monkeypatch: pytest.MonkeyPatch, mail: MailServer,
        hook: HookReceiver) -> None:
    assert crier("notify", "test").code == 1  # none configured: said, and not a success
    channels(monkeypatch, mail, hook.url("/hook/abcdefgh-token-1234"))
    result = crier("notify", "test")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"sent: email to author@example.com through smtp://127.0.0.1:{mail.port}",
        f"sent: webhook (json) at http://127.0.0.1:{hook.port}"]
    (email,) = mail.wait_for(1)
    assert email["Subject"] == "Crier: Crier test message"
    assert hook.wait_for(1)[0].body["type"] == "test"

    monkeypatch.setenv("CRIER_NOTIFY_WEBHOOK_URL",
                       f"http://127.0.0.1:{free_port()}/hook/abcdefgh-token-1234")
    mail.refusals = 1
    result = crier("notify", "test")
    assert result.code == 1
    assert "FAILED: email to author@example.com" in result.out and "451" in result.out
    assert "FAILED: webhook (json)" in result.out and "is it down?" in result.out
    assert "abcdefgh-token-1234" not in result.out + result.err


def missed_soon(cli_env: Path) -> int:
    """A delivery due three hours ago with an hour of lateness: the next run marks it missed."""
    store = Store.open(sqlite_url(cli_env / "data" / "crier.db"))
    due = datetime.now(UTC) - timedelta(hours=3)
    post = new_post(due, platform="mastodon", lateness=timedelta(hours=1),
                    source="glutamate.md")
    (delivery_id,) = store.write(lambda conn: q.insert_posts(conn, [post], due))
    store.close()
    return int(delivery_id)


def test_run_until_idle_sends_what_is_pending_before_it_exits(
        crier: Crier, cli_env: Path, monkeypatch: pytest.MonkeyPatch, mail: MailServer,
        hook: HookReceiver) -> None:
    channels(monkeypatch, mail, hook.url())
    delivery = missed_soon(cli_env)
    result = crier("run", "--until-idle")
    assert result.code == 0, result.err
    # Sent before the command returned, though the 60 s grouping window had not passed.
    assert len(mail.messages) == 1 and len(hook.received) == 1
    assert mail.messages[0]["Subject"] == "Crier: Mastodon post missed: \u201cglutamate.md\u201d"
    assert "notifications: 1 sent by email and webhook" in result.out
    listed = crier("notifications", "list", "--json")
    (event,) = json.loads(listed.out)
    assert event["kind"] == "missed" and event["delivery_id"] == delivery
    assert event["status"] == "sent" and event["channels_done"] == ["email", "webhook"]
    again = crier("run", "--until-idle")
    assert again.code == 0 and len(mail.messages) == 1  # nothing is sent twice


def test_run_until_idle_leaves_what_it_cannot_send_pending(
        crier: Crier, cli_env: Path, monkeypatch: pytest.MonkeyPatch, mail: MailServer) -> None:
    channels(monkeypatch, mail, None)
    mail.down()
    missed_soon(cli_env)
    result = crier("run", "--until-idle")
    assert result.code == 0
    assert "1 could not be sent" in result.out and "next run" in result.out
    table = crier("notifications", "list").out
    assert "pending (1 failed: email through smtp://127.0.0.1" in table
    mail.up()
    assert crier("run", "--until-idle").code == 0
    assert len(mail.wait_for(1)) == 1
    assert "sent" in crier("notifications", "list", "--status", "sent").out


def test_with_no_channel_the_events_go_to_the_log_and_the_list(
        crier: Crier, cli_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    missed_soon(cli_env)
    result = crier("run", "--until-idle")
    assert result.code == 0
    logged = [r for r in caplog.records if r.name == "scheduler.notify.sender"]
    assert [r.levelname for r in logged] == ["WARNING"]
    assert "notification: Mastodon post missed: \u201cglutamate.md\u201d" in \
        logged[0].getMessage()
    listed = crier("notifications", "list")
    lines = listed.out.splitlines()
    assert lines[0].split() == ["id", "when", "kind", "what", "status"]
    assert "missed" in lines[1] and "Mastodon post missed" in lines[1]
    assert lines[1].rstrip().endswith("logged")
    assert crier("notifications", "list", "--status", "pending").out.strip() == \
        "No notifications."
