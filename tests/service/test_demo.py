"""`crier demo`: the whole job on embedded defaults, every network's outbox complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_demo_publishes_every_part_of_every_network_into_its_own_folder(
    crier, cli_env: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    # Settings the demo must ignore: another database, another outbox, an account.
    monkeypatch.setenv("MASTODON_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "demo-must-not-use-this")
    folder = cli_env / "demo"
    result = crier("demo", "--dir", str(folder))
    assert result.code == 0, result.err
    rows = [line.split() for line in result.out.splitlines()
            if line.split()[:1] and line.split()[0] in
            {"x", "bluesky", "mastodon", "threads", "linkedin", "facebook", "instagram"}]
    assert len(rows) == 7
    for network, parts, status, sent, _output in rows:
        assert status == "published" and sent == f"{parts}/{parts}", network
        log = (folder / "outbox" / network / "sent.jsonl").read_text(encoding="utf-8")
        assert len([json.loads(line) for line in log.splitlines()]) == int(parts)
    assert not (cli_env / "outbox").exists()  # the configured outbox is left alone
    assert "demo-must-not-use-this" not in result.out + result.err
