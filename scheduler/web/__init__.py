"""The author's desk: a local web app over the service (calendar, composer, queue, slots,
accounts). `create_app(service)` builds it; `scheduler.web.server.serve` runs it with the
daemon in the same process."""

from __future__ import annotations

from scheduler.web.app import create_app

__all__ = ["create_app"]
