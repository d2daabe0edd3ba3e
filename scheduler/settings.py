"""The settings: every variable Crier reads, read once at start-up and passed down.

This is the one module that reads the process environment. `load()` takes the environment and
`.env` in the working directory (variables already set win over the file); everything else
receives the `Settings` it returns, or builds one from a plain mapping (`Settings.from_env`),
which is how tests give each case its own settings without touching the process.

Crier's own variables are typed fields below, one per variable of `.env.example`. A network's
account variables are declared by its publisher module (`scheduler/publishers/<name>.py`), which
reads them through `value()` and `require()`; they raise the same `SettingsError`. An error names
the variable and what it should be, never its value: a value may be a secret.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dotenv import dotenv_values

from content.errors import CrierError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class SettingsError(CrierError):
    """A variable is missing or cannot be read; the message names it, never its value."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}; fix it in .env or the environment")
        self.variable = variable


def _whole(low: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(name, f"must be a whole number of {low} or more") from None
        if value < low:
            raise SettingsError(name, f"must be a whole number of {low} or more")
        return value

    return parse


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, "must be a number of seconds, more than 0") from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(name, "must be a number of seconds, more than 0")
    return value


def _flag(name: str, raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise SettingsError(name, "must be 1 or 0 (true or false)")


def _path(name: str, raw: str) -> Path:
    return Path(raw).expanduser()


def _text(name: str, raw: str) -> str:
    return raw


def _var(name: str, parse: Callable[[str, str], Any], default: Any = None,
         default_factory: Callable[[], Any] | None = None) -> Any:
    """A field read from the variable `name` by `parse`; empty or unset gives the default."""
    meta = {"variable": name, "parse": parse}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Crier's configuration. Paths are as given; relative ones are under the working folder."""

    brand: Path = _var("CRIER_BRAND", _path, Path("brand.toml"))
    database_url: str | None = _var("CRIER_DATABASE_URL", _text)  # None: SQLite in ./data
    db_busy_timeout_ms: int = _var("CRIER_DB_BUSY_TIMEOUT_MS", _whole(0), 5000)
    db_retries: int = _var("CRIER_DB_RETRIES", _whole(1), 4)
    live: bool = _var("CRIER_LIVE", _flag, False)
    max_lateness_minutes: int | None = _var("CRIER_MAX_LATENESS_MINUTES", _whole(0))
    outbox_dir: Path = _var("CRIER_OUTBOX_DIR", _path, default_factory=lambda: Path("outbox"))
    outbox_delay_ms: int = _var("CRIER_OUTBOX_DELAY_MS", _whole(0), 0)
    workers: int = _var("CRIER_WORKERS", _whole(1), 4)
    lease_seconds: float = _var("CRIER_LEASE_SECONDS", _seconds, 60.0)
    poll_seconds: float = _var("CRIER_POLL_SECONDS", _seconds, 0.5)
    unsafe_no_reconcile: bool = _var("CRIER_UNSAFE_NO_RECONCILE", _flag, False)
    data_dir: Path = _var("CRIER_DATA_DIR", _path, default_factory=lambda: Path("data"))
    http_timeout: float = _var("CRIER_HTTP_TIMEOUT", _seconds, 30.0)
    # Public media (scheduler/media): a folder the author's web server publishes, or a bucket.
    media_dir: Path | None = _var("CRIER_MEDIA_DIR", _path)
    media_base_url: str | None = _var("CRIER_MEDIA_BASE_URL", _text)
    media_s3_bucket: str | None = _var("CRIER_MEDIA_S3_BUCKET", _text)
    media_s3_endpoint_url: str | None = _var("CRIER_MEDIA_S3_ENDPOINT_URL", _text)
    media_s3_region: str | None = _var("CRIER_MEDIA_S3_REGION", _text)
    media_url_ttl_s: int = _var("CRIER_MEDIA_URL_TTL_S", _whole(60), 3600)
    # Every variable as read, for the ones the publishers declare (never shown anywhere).
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Settings from `env`; raises SettingsError for the first variable it cannot read."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            name = spec.metadata.get("variable")
            raw = (env.get(name) or "").strip() if name else ""
            if raw:
                values[spec.name] = spec.metadata["parse"](name, raw)
        return cls(**values, environ=MappingProxyType(dict(env)))

    def value(self, name: str) -> str | None:
        """A declared variable's value, stripped; None when unset or empty."""
        raw = (self.environ.get(name) or "").strip()
        return raw or None

    def missing(self, names: tuple[str, ...]) -> list[str]:
        """The variables of `names` that are unset or empty, in order."""
        return [name for name in names if self.value(name) is None]

    def require(self, name: str) -> str:
        value = self.value(name)
        if value is None:
            raise SettingsError(name, "is not set")
        return value

    def with_values(self, **changes: Any) -> Settings:
        """A copy with some fields changed (the demo's own outbox, a command's --workers)."""
        return replace(self, **changes)

    def without(self, prefixes: tuple[str, ...]) -> Settings:
        """A copy that no longer sees the variables starting with `prefixes` (the demo drops
        every account: a demo never posts)."""
        kept = {k: v for k, v in self.environ.items() if not k.startswith(prefixes)}
        return replace(self, environ=MappingProxyType(kept))


def sqlite_url(path: Path) -> str:
    """The database URL of a SQLite file (what CRIER_DATABASE_URL would say for it)."""
    return f"sqlite:///{path.resolve()}"


def variables() -> tuple[str, ...]:
    """The names of Crier's own variables, in the order of `.env.example`."""
    return tuple(spec.metadata["variable"] for spec in fields(Settings)
                 if "variable" in spec.metadata)


def load(dotenv: Path | None = None) -> Settings:
    """The settings of this process: the environment, then `.env` for what it does not set."""
    path = dotenv or Path.cwd() / ".env"
    merged: dict[str, str] = {}
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ)
    return Settings.from_env(merged)
