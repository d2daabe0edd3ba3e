"""What the desk's tests share: a service on a throw-away database with a hand-moved clock
and fake account secrets, and a TestClient that knows the page's CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient
from support import REPO, Clock

from scheduler.service import Service
from scheduler.settings import Settings, sqlite_url
from scheduler.web import create_app

SAMPLE = REPO / "examples" / "glutamate.md"
# Fake account secrets: no response may ever contain one of them.
SECRETS = {
    "MASTODON_BASE_URL": "http://127.0.0.1:9", "MASTODON_ACCESS_TOKEN": "sekrit-token-123",
    "X_API_KEY": "sekrit-x-key-456", "X_API_SECRET": "sekrit-x-secret-789",
    "X_ACCESS_TOKEN": "sekrit-x-token-abc", "X_ACCESS_TOKEN_SECRET": "sekrit-x-tsecret-def",
    "BLUESKY_HANDLE": "author.example.com", "BLUESKY_APP_PASSWORD": "sekrit-bsky-pass-000",
}
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # a Tuesday; 09:00 in New York


def desk_service(tmp: Path, clock: Clock, *, accounts: bool = False) -> Service:
    env = {
        "CRIER_BRAND": str(REPO / "brand.toml"), "CRIER_DATA_DIR": str(tmp / "data"),
        "CRIER_DATABASE_URL": sqlite_url(tmp / "crier.db"),
        "CRIER_OUTBOX_DIR": str(tmp / "outbox"), "CRIER_POLL_SECONDS": "0.05",
        "CRIER_HTTP_TIMEOUT": "2", **(SECRETS if accounts else {}),
    }
    return Service(Settings.from_env(env), clock=clock)


class Desk:
    """A TestClient on the desk that finds its CSRF token on the first page."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.client = TestClient(create_app(service), base_url="http://127.0.0.1:8080")
        page = self.client.get("/calendar")
        found = re.search(r'data-csrf="([^"]+)"', page.text)
        assert found, page.text[:500]
        self.csrf = found.group(1)

    def post(self, url: str, data: dict[str, object] | None = None, **kw: object
             ) -> object:
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kw)


def compose_form(csrf: str, **fields: object) -> dict[str, object]:
    form: dict[str, object] = {"csrf": csrf, "file": "", "title": "", "body": "", "link": "",
                               "hashtags": "", "quote": "", "when": ""}
    form.update(fields)
    return form
