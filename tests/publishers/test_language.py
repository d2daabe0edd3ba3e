"""The brand's language reaches the networks that take one: from `brand.toml` into each queued
part's payload, then Mastodon's `language` (an ISO 639 code) and Bluesky's `langs` (BCP 47),
read back from the fake Mastodon and the reference PDS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from fakes.mastodon_server import MastodonServer
from fakes.networks import Net, publish_all

from content.brand import Brand, parse_brand
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.publishers.base import OutgoingPart
from scheduler.service import Service
from scheduler.service.when import When
from scheduler.settings import Settings

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def queued_parts(brand: Brand, tmp_path: Path, platform: str) -> tuple[OutgoingPart, ...]:
    """The parts queueing would store for `platform` (to the outbox: no account set)."""
    post = tmp_path / "post.md"
    post.write_text("---\ntitle: Sleep\n---\nA short post about sleep and mood.\n",
                    encoding="utf-8")
    service = Service(Settings.from_env({"CRIER_DATA_DIR": str(tmp_path)}), brand=brand,
                      clock=lambda: NOW)
    (plan,) = service.plan([post], When("now"), platforms=[platform])
    (delivery,) = plan.post.deliveries
    return tuple(OutgoingPart(p.index, p.text, (), p.payload) for p in delivery.parts)


def test_the_brand_file_names_the_language_and_refuses_a_bad_one() -> None:
    assert load_brand(PROJECT_ROOT / "brand.toml").language == "en"
    base = (PROJECT_ROOT / "brand.toml").read_text(encoding="utf-8")
    assert parse_brand(base.replace('language = "en"', 'language = "pt-BR"')).language == "pt-BR"
    assert parse_brand(base.replace('language = "en"\n', "")).language is None
    with pytest.raises(Exception) as bad:
        parse_brand(base.replace('language = "en"', 'language = "English"'))
    assert "author.language" in str(bad.value)


def test_mastodon_gets_the_language_code(net_factory: Callable[[str], Net], tmp_path: Path,
                                         brand: Brand) -> None:
    parts = queued_parts(replace(brand, language="pt-BR"), tmp_path, "mastodon")
    assert {p.payload["language"] for p in parts} == {"pt-BR"}
    net = net_factory("mastodon")
    server: MastodonServer = net.extra["server"]
    publish_all(net, net.delivery(parts))
    assert [s.language for s in server.statuses] == ["pt"] * len(parts)


def test_without_a_language_none_is_sent(net_factory: Callable[[str], Net], tmp_path: Path,
                                         brand: Brand) -> None:
    parts = queued_parts(replace(brand, language=None), tmp_path, "mastodon")
    assert all("language" not in p.payload for p in parts)
    net = net_factory("mastodon")
    server: MastodonServer = net.extra["server"]
    publish_all(net, net.delivery(parts))
    assert [s.language for s in server.statuses] == [None] * len(parts)
    assert all("language" not in r.json()
               for r in server.requests_to("POST", "/api/v1/statuses"))


@pytest.mark.pds
def test_bluesky_gets_the_language_tag(bsky: Net, brand: Brand, tmp_path: Path) -> None:
    parts = queued_parts(replace(brand, language="pt-BR"), tmp_path, "bluesky")
    publish_all(bsky, bsky.delivery(parts))
    records = requests.get(
        f"{bsky.extra['pds'].url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": bsky.extra["did"], "collection": "app.bsky.feed.post"},
        timeout=30).json()["records"]
    assert len(records) == len(parts)
    assert [r["value"]["langs"] for r in records] == [["pt-BR"]] * len(parts)
