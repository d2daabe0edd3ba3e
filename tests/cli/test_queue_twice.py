"""The same post queued twice is refused (naming the earlier delivery), unless --again; and
five processes queueing it at once make one post per network, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import REPO, Result

from scheduler.settings import sqlite_url
from scheduler.store import Store
from scheduler.store import queue as q

Crier = Callable[..., Result]
POST = "---\ntitle: Sleep and mood\n---\nA short post about sleep and mood.\n"


@pytest.fixture
def post(cli_env: Path) -> Path:
    path = cli_env / "post.md"
    path.write_text(POST, encoding="utf-8")
    return path


def _count(crier: Crier) -> int:
    return len(json.loads(crier("queue", "list", "--json").out))


def test_queueing_the_same_post_twice_is_refused_with_the_earlier_delivery(
    crier: Crier, post: Path,
) -> None:
    first = json.loads(crier("queue", "add", str(post), "--at", "2027-01-15 09:00",
                             "--platforms", "x,bluesky", "--json").out)
    x_id = next(r["id"] for r in first["queued"] if r["platform"] == "x")
    again = crier("queue", "add", str(post), "--at", "2027-01-16 09:00",
                  "--platforms", "x,bluesky")
    assert again.code == 1
    assert f"already queued for x as delivery {x_id} (due 2027-01-15 14:00 UTC)" in again.err
    assert "--again" in again.err and "nothing was queued" in again.err
    assert _count(crier) == 2  # the queue is as it was
    # --again is the author's word that she means it.
    forced = crier("queue", "add", str(post), "--now", "--platforms", "x", "--again")
    assert forced.code == 0, forced.err
    assert _count(crier) == 3


def test_the_same_file_twice_in_one_command_is_refused(crier: Crier, post: Path) -> None:
    result = crier("queue", "add", str(post), str(post), "--now", "--platforms", "x")
    assert result.code == 1 and "comes twice in this command" in result.err
    assert _count(crier) == 0


def test_a_cancelled_delivery_does_not_block_queueing_it_again(crier: Crier, post: Path
                                                               ) -> None:
    first = json.loads(crier("queue", "add", str(post), "--now", "--platforms", "x",
                             "--json").out)
    assert crier("queue", "cancel", str(first["queued"][0]["id"])).code == 0
    assert crier("queue", "add", str(post), "--now", "--platforms", "x").code == 0


def test_published_content_is_refused_too(crier: Crier, post: Path) -> None:
    assert crier("queue", "add", str(post), "--now", "--platforms", "x").code == 0
    assert crier("run", "--until-idle", "--poll", "0.05").code == 0
    again = crier("queue", "add", str(post), "--now", "--platforms", "x")
    assert again.code == 1 and "already published for x" in again.err


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres",
                                                              marks=pytest.mark.postgres)])
def test_five_processes_at_once_make_one_post_per_network(
    database: str, post: Path, cli_env: Path, request: pytest.FixtureRequest,
) -> None:
    url = (sqlite_url(cli_env / "race.db") if database == "sqlite"
           else request.getfixturevalue("postgres_url"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "CRIER_DATABASE_URL": url}
    Store.open(url).close()  # migrated once, so the race is over queueing only
    children = [subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "queue", "add", str(post), "--now",
         "--platforms", "x,bluesky,mastodon"],
        cwd=cli_env, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(5)]
    results = [(c.wait(timeout=300), c.stderr.read().decode() if c.stderr else "")
               for c in children]
    assert sorted(code for code, _ in results) == [0, 1, 1, 1, 1], results
    assert all("already queued" in err for code, err in results if code == 1)
    store = Store.open(url)
    try:
        rows = q.list_deliveries(store)
    finally:
        store.close()
    assert sorted(r.platform for r in rows) == ["bluesky", "mastodon", "x"]
