"""`crier queue`, `slots` and `run` through the CLI: bad input fails clearly and changes nothing;
DST times and slots resolve by the documented rule; accounts, the outbox and --live."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import Result

from scheduler.store import Store
from scheduler.store import queue as q

Crier = Callable[..., Result]
BEFORE_DST = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def post(cli_env: Path) -> Path:
    path = cli_env / "post.md"
    path.write_text("---\ntitle: Sleep and mood\n---\nA short post about sleep and mood.\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the CLI's clock."""
    def set_now(when: datetime) -> None:
        monkeypatch.setattr("scheduler.service.utc_now", lambda: when)

    set_now(BEFORE_DST)
    return set_now


def queued(cli_env: Path) -> list[q.DeliveryRow]:
    db = cli_env / "data" / "crier.db"
    if not db.exists():
        return []
    store = Store.open(f"sqlite:///{db}")
    rows = q.list_deliveries(store)
    store.close()
    return rows


def add_json(crier: Crier, *args: str) -> dict[str, object]:
    result = crier("queue", "add", *args, "--json")
    assert result.code == 0, result.err
    data: dict[str, object] = json.loads(result.out)
    return data


@pytest.mark.parametrize(("args", "message"), [
    (["--at", "tomorrow 9am"], 'expected "YYYY-MM-DD HH:MM"'),
    (["--at", "2026-02-30 09:00"], "does not exist"),
    (["--at", "2026-05-01 09:00", "--tz", "Mars/Olympus"], 'unknown time zone "Mars/Olympus"'),
    (["--at", "2026-02-01 09:00"], "is in the past"),
    ([], "no time given"),
    (["--now", "--platforms", "myspace"], "unknown network 'myspace'"),
])
def test_bad_input_is_a_clear_error_and_queues_nothing(
    crier: Crier, post: Path, cli_env: Path, now: object, args: list[str], message: str,
) -> None:
    result = crier("queue", "add", str(post), *args)
    assert result.code == 1
    assert message in result.err
    assert queued(cli_env) == []


def test_a_post_one_network_cannot_take_queues_nothing_anywhere(
    crier: Crier, cli_env: Path, now: object,
) -> None:
    long = cli_env / "long.md"
    long.write_text("---\ntitle: t\n---\n" + "x" * 600 + "\n", encoding="utf-8")
    result = crier("queue", "add", str(long), "--now", "--platforms", "linkedin,x")
    assert result.code == 1 and "x:" in result.err and "over the limit" in result.err
    assert queued(cli_env) == []


def test_a_locked_database_is_retried_then_reported(
    crier: Crier, post: Path, cli_env: Path, now: object, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert crier("queue", "list").code == 0  # creates the database
    monkeypatch.setenv("CRIER_DB_BUSY_TIMEOUT_MS", "50")
    monkeypatch.setenv("CRIER_DB_RETRIES", "2")
    holder = sqlite3.connect(cli_env / "data" / "crier.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = crier("queue", "add", str(post), "--now", "--platforms", "x")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 1 and "locked by another program" in result.err
    assert queued(cli_env) == []


def test_a_database_that_is_down_is_reported(
    crier: Crier, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRIER_DATABASE_URL", "postgresql+psycopg://crier:pw@127.0.0.1:1/crier")
    monkeypatch.setenv("CRIER_DB_RETRIES", "2")
    result = crier("queue", "list")
    assert result.code == 1
    assert "cannot use the database" in result.err and ":pw@" not in result.err


def test_no_account_goes_to_the_outbox_and_says_which_variables_to_set(
    crier: Crier, post: Path, now: object, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("X_API_KEY", "sup3rsecret")
    result = crier("queue", "add", str(post), "--now", "--platforms", "x,bluesky")
    assert result.code == 0, result.err
    assert "X goes to the outbox" in result.out
    assert "still to set: X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET" in result.out
    assert "BLUESKY_HANDLE, BLUESKY_APP_PASSWORD" in result.out
    assert "sup3rsecret" not in result.out + result.err


@pytest.mark.parametrize("how", ["flag", "env"])
def test_live_refuses_a_network_without_an_account(
    crier: Crier, post: Path, cli_env: Path, now: object, monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    args = ["--live"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("CRIER_LIVE", "1")
    result = crier("queue", "add", str(post), "--now", "--platforms", "mastodon", *args)
    assert result.code == 1
    assert "MASTODON_BASE_URL, MASTODON_ACCESS_TOKEN" in result.err
    assert queued(cli_env) == []


@pytest.mark.parametrize(("wall", "utc", "note"), [
    ("2026-0308 02:30", None, None),
    ("2026-03-08 02:30", "2026-03-08T07:30:00+00:00", "does not exist"),  # gap: moved forward
    ("2026-11-01 01:30", "2026-11-01T05:30:00+00:00", "happens twice"),  # overlap: the first
    ("2026-07-01 09:00", "2026-07-01T13:00:00+00:00", None),
])
def test_dst_wall_times_resolve_by_the_rule_and_say_so(
    crier: Crier, post: Path, now: object, wall: str, utc: str | None, note: str | None,
) -> None:
    args = ["queue", "add", str(post), "--at", wall, "--tz", "America/New_York",
            "--platforms", "x"]
    if utc is None:
        assert crier(*args).code == 1
        return
    data = add_json(crier, *args[2:])
    [row] = data["queued"]  # type: ignore[misc]
    assert row["due_at"] == utc and row["wall"] == wall
    notes = " ".join(data["notes"])  # type: ignore[arg-type]
    if note:
        assert note in row["time_note"] and note in notes
    else:
        assert row["time_note"] is None
    shown = crier("queue", "add", str(post), "--at", wall, "--tz", "America/New_York",
                  "--platforms", "x", "--again")  # the same post again, on purpose
    assert f"({utc[11:16]} UTC)" in shown.out  # the chosen instant, in the table


def test_slots_stay_at_local_time_across_dst_and_take_the_next_free_one(
    crier: Crier, post: Path, now: Callable[[datetime], None],
) -> None:
    assert crier("slots", "set", "x", "daily 09:00").code == 0
    now(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))  # Friday, before spring forward
    instants = [add_json(crier, str(post), "--next-slot", "--platforms", "x", "--again")[
        "queued"][0]["due_at"] for _ in range(3)]  # type: ignore[index]
    # 09:00 EST on Saturday, then 09:00 EDT on Sunday and Monday: the UTC hour moves.
    assert instants == ["2026-03-07T14:00:00+00:00", "2026-03-08T13:00:00+00:00",
                        "2026-03-09T13:00:00+00:00"]
    shown = crier("slots", "show", "--json")
    assert json.loads(shown.out)[0]["next"][0]["wall"] == "2026-03-10 09:00"


def test_slots_on_the_transition_days_use_the_same_rule(
    crier: Crier, post: Path, now: Callable[[datetime], None],
) -> None:
    assert crier("slots", "set", "bluesky", "sun 02:30").code == 0
    assert crier("slots", "set", "mastodon", "sun 01:30").code == 0
    now(datetime(2026, 3, 6, 15, 0, tzinfo=UTC))
    gap = add_json(crier, str(post), "--next-slot", "--platforms", "bluesky")
    assert gap["queued"][0]["due_at"] == "2026-03-08T07:30:00+00:00"  # type: ignore[index]
    assert "does not exist" in " ".join(gap["notes"])  # type: ignore[arg-type]
    now(datetime(2026, 10, 30, 15, 0, tzinfo=UTC))
    fold = add_json(crier, str(post), "--next-slot", "--platforms", "mastodon")
    assert fold["queued"][0]["due_at"] == "2026-11-01T05:30:00+00:00"  # type: ignore[index]


def test_next_slot_without_slots_says_how_to_set_them(crier: Crier, post: Path,
                                                      now: object) -> None:
    result = crier("queue", "add", str(post), "--next-slot", "--platforms", "x")
    assert result.code == 1 and "crier slots set x" in result.err


def test_bad_slots_are_refused(crier: Crier) -> None:
    result = crier("slots", "set", "x", "someday 25:00")
    assert result.code == 1 and "unknown day" in result.err
    assert crier("slots", "show", "--json").out.strip() == "[]"


def test_list_show_cancel_retry_reschedule(crier: Crier, post: Path, now: object) -> None:
    data = add_json(crier, str(post), "--at", "2026-04-01 09:00", "--platforms", "x,linkedin")
    ids = [str(row["id"]) for row in data["queued"]]  # type: ignore[index, attr-defined]
    listing = json.loads(crier("queue", "list", "--json").out)
    assert [r["status"] for r in listing] == ["queued", "queued"]
    assert "Sleep and mood" in crier("queue", "list").out
    shown = json.loads(crier("queue", "show", ids[0], "--json").out)
    assert shown["part_list"][0]["text"].startswith("Sleep and mood")
    assert "part 1/" in crier("queue", "show", ids[0]).out
    assert json.loads(crier("queue", "cancel", ids[0], "--json").out)[0]["status"] == "cancelled"
    bad = crier("queue", "cancel", ids[0], ids[1])
    assert bad.code == 1 and "cannot be cancelled" in bad.err
    assert json.loads(crier("queue", "list", "--status", "queued", "--json").out)[0]["id"] == int(
        ids[1])  # the failed command changed nothing
    moved = json.loads(crier("queue", "reschedule", ids[0], "--at", "2026-04-02 10:00",
                             "--json").out)
    assert moved[0]["status"] == "queued" and moved[0]["due_at"] == "2026-04-02T14:00:00+00:00"
    retry = crier("queue", "retry", ids[1])  # queued for later: the way to send it now is named
    assert retry.code == 1 and "is queued for 2026-04-01 13:00 UTC" in retry.err
    assert f"crier queue reschedule {ids[1]} --now" in retry.err
    assert crier("queue", "show", "999").code == 1
    assert crier("queue", "list", "--status", "nope").code == 1


def test_run_until_idle_publishes_and_reports(crier: Crier, post: Path, cli_env: Path) -> None:
    assert crier("queue", "add", str(post), "--now", "--platforms", "x,linkedin").code == 0
    result = crier("run", "--until-idle", "--poll", "0.05", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["queue"] == {"published": 2}
    assert (cli_env / "outbox" / "x" / "sent.jsonl").exists()
