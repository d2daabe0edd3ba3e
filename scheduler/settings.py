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
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

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


@dataclass(frozen=True)
class SmtpServer:
    """Where notification email goes, from CRIER_SMTP_URL. The password never shows in a repr."""

    tls: bool  # smtps://: TLS from the first byte; smtp://: STARTTLS when the server offers it
    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        """The server for messages: never the credential."""
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


_SMTP_HINT = "must look like smtp://USER:PASSWORD@HOST:PORT or smtps://... (its value is not shown)"


def _smtp_url(name: str, raw: str) -> SmtpServer:
    parsed = urlsplit(raw)
    if parsed.scheme not in ("smtp", "smtps"):
        raise SettingsError(name, _SMTP_HINT)
    try:
        port = parsed.port
    except ValueError:
        raise SettingsError(name, _SMTP_HINT) from None
    if not parsed.hostname or parsed.path not in ("", "/") or parsed.query:
        raise SettingsError(name, _SMTP_HINT)
    tls = parsed.scheme == "smtps"
    return SmtpServer(tls, parsed.hostname, port or (465 if tls else 587),
                      unquote(parsed.username) if parsed.username else None,
                      unquote(parsed.password) if parsed.password is not None else None)


_ADDRESS = re.compile(r"[^@\s,<>]+@[^@\s,<>]+")


def _address(name: str, raw: str) -> str:
    if not _ADDRESS.fullmatch(raw):
        raise SettingsError(name, "must be an email address, name@example.com")
    return raw


def _addresses(name: str, raw: str) -> tuple[str, ...]:
    found = tuple(a.strip() for a in raw.split(",") if a.strip())
    if not found or not all(_ADDRESS.fullmatch(a) for a in found):
        raise SettingsError(name, "must be one or more email addresses, comma-separated "
                                  "(name@example.com, other@example.org)")
    return found


def _web_address(name: str, raw: str) -> str:
    parsed = urlsplit(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(name, "must be an http:// or https:// address")
    return raw.rstrip("/")


WEBHOOK_FORMATS = ("json", "ntfy", "slack", "discord")


def _webhook_format(name: str, raw: str) -> str:
    if raw.lower() not in WEBHOOK_FORMATS:
        raise SettingsError(name, f"must be one of {', '.join(WEBHOOK_FORMATS)}")
    return raw.lower()


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
    # Notifications (scheduler/notify): email, a webhook, or only the log when neither is set.
    smtp: SmtpServer | None = _var("CRIER_SMTP_URL", _smtp_url)
    notify_from: str | None = _var("CRIER_NOTIFY_FROM", _address)
    notify_email: tuple[str, ...] = _var("CRIER_NOTIFY_EMAIL", _addresses, ())
    webhook_url: str | None = field(default=None, repr=False, metadata={
        "variable": "CRIER_NOTIFY_WEBHOOK_URL", "parse": _web_address})  # may hold a token
    webhook_format: str = _var("CRIER_NOTIFY_WEBHOOK_FORMAT", _webhook_format, "json")
    notify_window_s: float = _var("CRIER_NOTIFY_WINDOW_SECONDS", _seconds, 60.0)
    web_url: str | None = _var("CRIER_WEB_URL", _web_address)  # the desk, for links
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
        settings = cls(**values, environ=MappingProxyType(dict(env)))
        settings.check_notify()
        return settings

    def check_notify(self) -> None:
        """The email variables go together: a server needs recipients and a sender."""
        if self.smtp is None:
            if self.notify_email:
                raise SettingsError("CRIER_SMTP_URL", "is not set, but CRIER_NOTIFY_EMAIL is: "
                                    "set the mail server to send through")
            return
        if not self.notify_email:
            raise SettingsError("CRIER_NOTIFY_EMAIL", "is not set, but CRIER_SMTP_URL is: "
                                "set who the notifications go to")
        if self.notify_from is None and not (self.smtp.user and "@" in self.smtp.user):
            raise SettingsError("CRIER_NOTIFY_FROM", "is not set (and the SMTP user is not an "
                                "address): set the address notifications come from")

    @property
    def sender_address(self) -> str | None:
        """Who notification email comes from: CRIER_NOTIFY_FROM, else the SMTP user."""
        if self.notify_from:
            return self.notify_from
        return self.smtp.user if self.smtp is not None else None

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
