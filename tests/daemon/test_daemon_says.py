"""`crier run` says what it does: a line at start, a line per delivery that ends, the summary;
and a second SIGTERM stops after the part in flight, leaving the rest of a thread queued."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import PROCESS_TIMEOUT, REPO, Result, crier_command

Crier = Callable[..., Result]
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    now = [START]
    monkeypatch.setattr("scheduler.service.utc_now", lambda: now[0])
    return now


def _post(folder: Path, title: str) -> Path:
    path = folder / f"{title}.md"
    path.write_text(f"---\ntitle: {title}\n---\nA short post about {title}.\n", encoding="utf-8")
    return path


def test_run_says_where_it_publishes_what_is_due_and_each_delivery_that_ends(
    crier: Crier, cli_env: Path, clock: list[datetime], monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert crier("queue", "add", str(_post(cli_env, "sleep")), "--now",
                 "--platforms", "x,linkedin").code == 0
    monkeypatch.setenv("CRIER_MAX_LATENESS_MINUTES", "1")
    assert crier("queue", "add", str(_post(cli_env, "mood")), "--at", "2026-12-01 09:30",
                 "--platforms", "x").code == 0
    clock[0] = START + timedelta(hours=2)  # the second post is long past its lateness
    result = crier("run", "--until-idle", "--poll", "0.05")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("crier run: database sqlite:///")
    assert "live: none; to the outbox: X, Bluesky" in lines[0] and "3 due now" in lines[0]
    assert "delivery 1 (x) published (2 parts)" in lines, "\n".join(lines)  # a closing part
    assert "delivery 2 (linkedin) published (1 part)" in lines
    assert any(line.startswith("missed 1 delivery(ies) past their max lateness: 3")
               for line in lines), lines
    assert "This run: 1 missed, 2 published." in lines


def test_run_says_when_the_next_one_is_due_in_her_zone(
    crier: Crier, cli_env: Path, clock: list[datetime],
) -> None:
    assert crier("queue", "add", str(_post(cli_env, "later")), "--at", "2026-12-03 09:00",
                 "--platforms", "x").code == 0
    first = crier("run", "--until-idle", "--poll", "0.05").out.splitlines()[0]
    assert first.endswith("0 due now, 0 in flight; next at 2026-12-03 09:00 EST")


def test_a_daemon_without_a_brand_file_still_starts_and_says_the_next_one_in_utc(
    crier: Crier, cli_env: Path, clock: list[datetime], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Publishing needs no brand file: a daemon whose brand file went missing after posts were
    queued starts, publishes and says when in UTC (the zone was the brand's)."""
    assert crier("queue", "add", str(_post(cli_env, "later")), "--at", "2026-12-03 09:00",
                 "--platforms", "x").code == 0
    monkeypatch.setenv("CRIER_BRAND", str(cli_env / "gone.toml"))
    result = crier("run", "--until-idle", "--poll", "0.05")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].endswith("0 due now, 0 in flight; next at 2026-12-03 "
                                               "14:00 UTC")


def test_a_second_sigterm_stops_after_the_part_in_flight_and_the_rest_goes_next_run(
    cli_env: Path,
) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRIER_")},
           "PYTHONPATH": str(REPO), "CRIER_BRAND": str(REPO / "brand.toml"),
           "CRIER_OUTBOX_DIR": str(cli_env / "outbox"), "CRIER_OUTBOX_DELAY_MS": "400"}
    post = REPO / "examples" / "glutamate.md"
    queued = subprocess.run([*crier_command(), "queue", "add", str(post), "--now",
                             "--platforms", "x", "--json"], env=env, cwd=cli_env,
                            capture_output=True, text=True, timeout=PROCESS_TIMEOUT)
    assert queued.returncode == 0, queued.stderr
    parts = json.loads(queued.stdout)["queued"][0]["parts"]
    sent_log = cli_env / "outbox" / "x" / "sent.jsonl"
    with (cli_env / "run.log").open("wb") as err:
        daemon = subprocess.Popen([*crier_command(), "-v", "run"], env=env, cwd=cli_env,
                                  stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while not sent_log.exists() or len(sent_log.read_text().splitlines()) < 2:
        assert daemon.poll() is None and time.monotonic() < deadline, "the daemon never sent"
        time.sleep(0.05)
    daemon.send_signal(signal.SIGTERM)  # the first: finish whole threads (18 parts, 7 s)
    # Two signals sent at once would arrive as one: the second goes once the first is heard.
    while "finishing 1 delivery(ies) in flight" not in (cli_env / "run.log").read_text():
        assert daemon.poll() is None and time.monotonic() < deadline, "SIGTERM not heard"
        time.sleep(0.05)
    daemon.send_signal(signal.SIGTERM)  # the second: stop after the part in flight
    assert daemon.wait(timeout=PROCESS_TIMEOUT) == 0
    log = (cli_env / "run.log").read_text()
    assert "stopping after the part in flight" in log
    sent = len(sent_log.read_text().splitlines())
    assert 2 <= sent < parts  # it stopped early, and nothing is lost
    listed = subprocess.run([*crier_command(), "queue", "list", "--json"], env=env, cwd=cli_env,
                            capture_output=True, text=True, timeout=PROCESS_TIMEOUT)
    [row] = json.loads(listed.stdout)
    assert row["status"] == "queued" and row["live_parts"] == sent
    env["CRIER_OUTBOX_DELAY_MS"] = "0"
    again = subprocess.run([*crier_command(), "run", "--until-idle"], env=env, cwd=cli_env,
                           capture_output=True, text=True, timeout=PROCESS_TIMEOUT)
    assert again.returncode == 0, again.stderr
    indexes = [json.loads(line)["part"] for line in sent_log.read_text().splitlines()]
    assert sorted(indexes) == list(range(len(indexes))) and len(indexes) == parts
