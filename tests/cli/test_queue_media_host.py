"""Queueing for a network that fetches images from a public address: without a media host the
author's photos are refused at queue time (non-zero exit, the variables named, the queue
unchanged), a card Crier drew is left out saying so, and with a host or to the outbox the
images go as usual.

The network is one of the table's, its rules replaced by a copy that fetches from an address
and given a publisher declaration of the test's own: the rule is generic, whatever network a
rules module marks so.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import REPO, Result

from content.networks import NETWORKS
from scheduler.publishers import DECLARATIONS
from scheduler.publishers.base import PublisherSpec
from scheduler.publishers.outbox import OutboxPublisher
from scheduler.store import Store
from scheduler.store import queue as q
from scheduler.store.schema import part_images

Crier = Callable[..., Result]
NETWORK = "threads"
TOKEN = "FETCHER_TEST_TOKEN"  # the test declaration's one variable


@pytest.fixture
def fetching_network(monkeypatch: pytest.MonkeyPatch, cli_env: Path) -> None:
    rules = NETWORKS[NETWORK]
    monkeypatch.setitem(NETWORKS, NETWORK, replace(
        rules, images=replace(rules.images, fetched_from_address=True)))
    monkeypatch.setitem(DECLARATIONS, NETWORK, PublisherSpec(
        network=NETWORK, variables=(TOKEN,), account_variable=None, secrets=(TOKEN,),
        factory=lambda settings: OutboxPublisher(cli_env / "never-used")))
    monkeypatch.setenv(TOKEN, "fetcher-token-value")
    monkeypatch.setattr("scheduler.service.utc_now",
                        lambda: datetime(2026, 5, 4, 12, 0, tzinfo=UTC))


def write_post(folder: Path, *, photo: bool) -> Path:
    front = "title: Sleep and mood\n"
    if photo:
        shutil.copy(REPO / "examples" / "brain-scans.jpg", folder / "scan.jpg")
        front += 'images: [{path: scan.jpg, alt: "Brain scans on monitors"}]\n'
    path = folder / ("photo.md" if photo else "plain.md")
    path.write_text(f"---\n{front}---\nA short post about sleep and mood.\n", encoding="utf-8")
    return path


def queued(cli_env: Path) -> tuple[list[q.DeliveryRow], int]:
    """The deliveries queued, and how many images they carry."""
    db = cli_env / "data" / "crier.db"
    if not db.exists():
        return [], 0
    store = Store.open(f"sqlite:///{db}")
    try:
        rows = q.list_deliveries(store)
        with store.engine.connect() as conn:
            images = conn.execute(select(func.count()).select_from(part_images)).scalar_one()
        return rows, int(images)
    finally:
        store.close()


def test_photos_without_a_media_host_are_refused_and_nothing_is_queued(
        crier: Crier, cli_env: Path, fetching_network: None) -> None:
    result = crier("queue", "add", str(write_post(cli_env, photo=True)), "--now",
                   "--platforms", f"{NETWORK},mastodon")
    assert result.code == 1
    assert "Threads fetches images from a public address" in result.err
    assert "CRIER_MEDIA_DIR and CRIER_MEDIA_BASE_URL" in result.err
    assert "CRIER_MEDIA_S3_BUCKET" in result.err
    assert "nothing was queued" in result.err
    assert queued(cli_env) == ([], 0)  # not even the Mastodon delivery


def test_a_post_without_photos_goes_as_text_and_says_the_card_is_left_out(
        crier: Crier, cli_env: Path, fetching_network: None) -> None:
    result = crier("queue", "add", str(write_post(cli_env, photo=False)), "--now",
                   "--platforms", NETWORK)
    assert result.code == 0, result.err
    assert "thread cover is left out" in result.out and "CRIER_MEDIA_S3_BUCKET" in result.out
    rows, images = queued(cli_env)
    assert [(r.platform, r.publisher) for r in rows] == [(NETWORK, NETWORK)]
    assert images == 0


def test_an_image_the_network_requires_is_refused_even_when_generated(
        crier: Crier, cli_env: Path, fetching_network: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rules = NETWORKS[NETWORK]
    monkeypatch.setitem(NETWORKS, NETWORK,
                        replace(rules, images=replace(rules.images, required=True)))
    result = crier("queue", "add", str(write_post(cli_env, photo=False)), "--now",
                   "--platforms", NETWORK)
    assert result.code == 1 and "CRIER_MEDIA_S3_BUCKET" in result.err
    assert queued(cli_env) == ([], 0)


def test_with_a_media_host_the_photos_are_queued(
        crier: Crier, cli_env: Path, fetching_network: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRIER_MEDIA_DIR", str(cli_env / "public"))
    monkeypatch.setenv("CRIER_MEDIA_BASE_URL", "https://example.com/media")
    result = crier("queue", "add", str(write_post(cli_env, photo=True)), "--now",
                   "--platforms", NETWORK)
    assert result.code == 0, result.err
    rows, images = queued(cli_env)
    assert len(rows) == 1 and images == 1


def test_a_half_set_media_host_is_named(crier: Crier, cli_env: Path, fetching_network: None,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRIER_MEDIA_DIR", str(cli_env / "public"))
    result = crier("queue", "add", str(write_post(cli_env, photo=True)), "--now",
                   "--platforms", NETWORK)
    assert result.code == 1 and "CRIER_MEDIA_BASE_URL is not set" in result.err
    assert queued(cli_env) == ([], 0)


def test_to_the_outbox_the_photos_need_no_host(crier: Crier, cli_env: Path,
                                               fetching_network: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN)
    result = crier("queue", "add", str(write_post(cli_env, photo=True)), "--now",
                   "--platforms", NETWORK)
    assert result.code == 0, result.err
    rows, images = queued(cli_env)
    assert [r.publisher for r in rows] == ["outbox"] and images == 1
