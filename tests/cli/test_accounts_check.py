"""`crier accounts check` names the address it could not reach, never a secret."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from support import Result

Crier = Callable[..., Result]


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there now
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_named_with_its_address(
    crier: Crier, cli_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _closed_port()
    monkeypatch.setenv("MASTODON_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "sekrit-token-123")
    result = crier("accounts", "check", "--platform", "mastodon", "--json")
    assert result.code == 1
    [check] = json.loads(result.out)
    assert check["ok"] is False
    assert f"could not connect to http://127.0.0.1:{port}" in check["detail"]
    assert "sekrit-token-123" not in result.out + result.err
