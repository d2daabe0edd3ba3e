"""Bluesky: the declaration of its publisher (cheap to import; the publisher loads in the
factory). The package: `records` (record keys), `session` (the kept login), `cards` (Open Graph
link cards) and `publisher` (the XRPC calls)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.publishers.base import PublisherSpec
from scheduler.settings import Settings

if TYPE_CHECKING:
    from scheduler.publishers.bluesky.publisher import BlueskyPublisher


def _build(settings: Settings) -> BlueskyPublisher:
    from scheduler.publishers.bluesky.publisher import BlueskyPublisher

    return BlueskyPublisher.from_settings(settings)


PUBLISHER = PublisherSpec(
    network="bluesky",
    variables=("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"),
    account_variable="BLUESKY_HANDLE",
    secrets=("BLUESKY_APP_PASSWORD",),
    factory=_build,
    optional=("BLUESKY_SERVICE",),
)

__all__ = ["PUBLISHER"]
