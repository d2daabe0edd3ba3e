"""What the author meets in `crier queue`: retries that do what she means, and every time in
her zone with UTC beside it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import Result

Crier = Callable[..., Result]
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 in New York, the brand's zone


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    now = [START]
    monkeypatch.setattr("scheduler.service.utc_now", lambda: now[0])
    return now


@pytest.fixture
def post(cli_env: Path) -> Path:
    path = cli_env / "post.md"
    path.write_text("---\ntitle: Sleep and mood\n---\nA short post about sleep and mood.\n",
                    encoding="utf-8")
    return path


def _row(crier: Crier, delivery_id: int) -> dict[str, object]:
    rows = json.loads(crier("queue", "list", "--json").out)
    return next(r for r in rows if r["id"] == delivery_id)


def test_retrying_a_cancelled_future_post_keeps_its_time_and_run_does_not_send_it(
    crier: Crier, post: Path, clock: list[datetime], cli_env: Path,
) -> None:
    added = json.loads(crier("queue", "add", str(post), "--at", "2026-12-03 09:00",
                             "--platforms", "x", "--json").out)
    delivery_id = added["queued"][0]["id"]
    assert crier("queue", "cancel", str(delivery_id)).code == 0
    retried = crier("queue", "retry", str(delivery_id))
    assert retried.code == 0 and "2026-12-03 09:00 EST" in retried.out
    run = crier("run", "--until-idle", "--poll", "0.05")
    assert run.code == 0, run.err
    assert _row(crier, delivery_id)["status"] == "queued"
    assert not (cli_env / "outbox" / "x" / "sent.jsonl").exists()


def test_a_retried_missed_post_is_sent_however_small_the_lateness(
    crier: Crier, post: Path, clock: list[datetime], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRIER_MAX_LATENESS_MINUTES", "1")
    added = json.loads(crier("queue", "add", str(post), "--at", "2026-12-01 10:00",
                             "--platforms", "x", "--json").out)
    delivery_id = added["queued"][0]["id"]
    clock[0] = START + timedelta(hours=5)  # the daemon was down
    assert crier("run", "--until-idle", "--poll", "0.05").code == 0
    assert _row(crier, delivery_id)["status"] == "missed"
    assert crier("queue", "retry", str(delivery_id)).code == 0
    clock[0] += timedelta(minutes=30)  # the next run comes long after one minute
    assert crier("run", "--until-idle", "--poll", "0.05").code == 0
    assert _row(crier, delivery_id)["status"] == "published"


def test_list_says_when_it_was_published_and_show_gives_times_in_her_zone(
    crier: Crier, post: Path, clock: list[datetime],
) -> None:
    added = json.loads(crier("queue", "add", str(post), "--now", "--platforms", "x",
                             "--json").out)
    delivery_id = added["queued"][0]["id"]
    assert crier("run", "--until-idle", "--poll", "0.05").code == 0
    listing = crier("queue", "list").out
    assert "published" in listing.splitlines()[0]
    assert "2026-12-01 09:00 EST" in listing.splitlines()[1].split("published", 1)[1]
    shown = crier("queue", "show", str(delivery_id)).out
    assert "published: 2026-12-01 09:00:00 EST (14:00:00 UTC)" in shown
    attempt = shown.split("attempts:")[1].strip().splitlines()[0]
    assert attempt.startswith("2026-12-01 09:00:00 EST (14:00:00 UTC) -> 2026-12-01 09:00:00 EST")
