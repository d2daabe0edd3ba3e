"""Fixtures of the publisher tests: the reference PDS (once per session), the brand, the fake
servers' clock, and the networks under test (`net`: each of X, Mastodon, LinkedIn, Bluesky;
in-process unless the test asks for `sockets`). The harness itself is `fakes/networks.py`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.base import FakeClock
from fakes.networks import (
    NETWORKS,
    START,
    Net,
    Run,
    make_bluesky,
    make_facebook,
    make_instagram,
    make_linkedin,
    make_mastodon,
    make_outbox,
    make_threads,
    make_x,
    parts_of,
    shared_pds,
    stop_shared_pds,
)
from fakes.pds import PdsInfo
from support import Clock

from content.brand import Brand
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.store import Store
from scheduler.store.queue import NewDelivery, NewImage, NewPart, NewPost, insert_posts


@pytest.fixture(scope="session")
def pds() -> Iterator[PdsInfo]:
    """The reference PDS, once for the whole session (with a fresh account per test)."""
    yield shared_pds()
    stop_shared_pds()


@pytest.fixture
def brand() -> Brand:
    return load_brand(PROJECT_ROOT / "brand.toml")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(START.timestamp())


@pytest.fixture
def sockets() -> bool:
    """Asked for by a test about real sockets (drops, slow answers, refusals end to end): its
    networks are reached over 127.0.0.1 instead of in-process."""
    return True


@pytest.fixture
def net_factory(request: pytest.FixtureRequest, fake_clock: FakeClock,
                tmp_path: Path) -> Iterator[Callable[..., Net]]:
    over_sockets = "sockets" in request.fixturenames
    with contextlib.ExitStack() as stack:
        def make(name: str, *, sockets: bool = over_sockets) -> Net:
            if name == "x":
                return make_x(stack, fake_clock, tmp_path, sockets=sockets)
            if name == "mastodon":
                return make_mastodon(stack, fake_clock, tmp_path, sockets=sockets)
            if name == "linkedin":
                return make_linkedin(stack, fake_clock, tmp_path, sockets=sockets)
            if name == "threads":
                return make_threads(stack, fake_clock, tmp_path, sockets=sockets)
            if name == "instagram":
                return make_instagram(stack, fake_clock, tmp_path, sockets=sockets)
            if name == "facebook":
                return make_facebook(stack, fake_clock, tmp_path, sockets=sockets)
            if name == "bluesky":
                return make_bluesky(stack, request.getfixturevalue("pds"), tmp_path,
                                    sockets=sockets)
            return make_outbox(tmp_path)

        yield make


@pytest.fixture(params=NETWORKS)
def net(request: pytest.FixtureRequest, net_factory: Callable[[str], Net]) -> Iterator[Net]:
    made = net_factory(request.param)
    yield made
    server = made.extra.get("server")
    if server is not None:
        assert server.errors == [], "the fake server raised (a bug in the fake)"


@pytest.fixture
def x_net(net_factory: Callable[[str], Net]) -> Net:
    return net_factory("x")


@pytest.fixture
def bsky(net_factory: Callable[[str], Net]) -> Net:
    return net_factory("bluesky")


@pytest.fixture
def run(net: Net, brand: Brand, tmp_path: Path) -> Iterator[Run]:
    store = Store.open(f"sqlite:///{tmp_path / 'crier.db'}")
    parts = tuple(
        NewPart(p.index, p.text, {},
                tuple(NewImage(i.data, i.format, i.width, i.height, i.alt) for i in p.images))
        for p in parts_of(net, brand))
    post = NewPost("contract.md", (NewDelivery(net.name, net.account, net.name, START, parts,
                                               max_lateness=timedelta(days=1)),))
    (delivery_id,) = store.write(lambda conn: insert_posts(conn, [post], START))
    yield Run(net, store, delivery_id, Clock(START))
    store.close()


