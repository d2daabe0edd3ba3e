"""The settings: every variable read once, typed, and an error that names it, never its value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import REPO

from scheduler.publishers import account_variables
from scheduler.settings import Settings, SettingsError, load, variables


def test_every_variable_of_env_example_is_read_by_exactly_one_declaration() -> None:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    ours = set(variables())
    networks = account_variables()  # what the publisher modules declare
    assert ours <= documented, f"undocumented: {sorted(ours - documented)}"
    assert networks <= documented, f"undocumented: {sorted(networks - documented)}"
    assert documented <= ours | networks, \
        f"documented but read by nothing: {sorted(documented - ours - networks)}"
    assert not ours & networks


def test_defaults_need_no_environment_at_all() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None and settings.live is False
    assert settings.workers == 4 and settings.lease_seconds == 60.0
    assert settings.outbox_dir == Path("outbox") and settings.brand == Path("brand.toml")


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("CRIER_WORKERS", " 7 ", 7),
    ("CRIER_LIVE", "yes", True),
    ("CRIER_LIVE", "0", False),
    ("CRIER_POLL_SECONDS", "0.25", 0.25),
    ("CRIER_MAX_LATENESS_MINUTES", "0", 0),
])
def test_values_are_typed(name: str, raw: str, expected: object) -> None:
    field = {"CRIER_WORKERS": "workers", "CRIER_LIVE": "live", "CRIER_POLL_SECONDS":
             "poll_seconds", "CRIER_MAX_LATENESS_MINUTES": "max_lateness_minutes"}[name]
    assert getattr(Settings.from_env({name: raw}), field) == expected


@pytest.mark.parametrize(("name", "raw"), [
    ("CRIER_WORKERS", "0"), ("CRIER_WORKERS", "four-s3cret"), ("CRIER_DB_RETRIES", "-1"),
    ("CRIER_LEASE_SECONDS", "nan"), ("CRIER_POLL_SECONDS", "-2"), ("CRIER_LIVE", "maybe"),
    ("CRIER_HTTP_TIMEOUT", "inf"), ("CRIER_OUTBOX_DELAY_MS", "1.5"),
])
def test_a_bad_value_names_the_variable_never_the_value(name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({name: raw})
    assert err.value.variable == name
    assert name in str(err.value) and raw not in str(err.value)


def test_the_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("CRIER_WORKERS=9\nCRIER_POLL_SECONDS=2\nMASTODON_ACCESS_TOKEN=tok\n",
                      encoding="utf-8")
    monkeypatch.setenv("CRIER_WORKERS", "3")
    monkeypatch.delenv("CRIER_POLL_SECONDS", raising=False)
    settings = load(dotenv)
    assert settings.workers == 3 and settings.poll_seconds == 2.0
    assert settings.value("MASTODON_ACCESS_TOKEN") == "tok"
    assert "tok" not in repr(settings)


def test_the_cli_reports_a_bad_setting_and_exits_non_zero(crier) -> None:  # type: ignore[no-untyped-def]
    import os

    os.environ["CRIER_WORKERS"] = "many"
    try:
        result = crier("queue", "list")
    finally:
        del os.environ["CRIER_WORKERS"]
    assert result.code == 1
    assert "CRIER_WORKERS must be a whole number" in result.err and "many" not in result.err
