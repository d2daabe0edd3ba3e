"""How the CLI shows rows: padded columns, the queue as a table, times in the author's zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from scheduler import timing
from scheduler.service import DeliveryRow
from scheduler.states import Status


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in rows])


def delivery_table(rows: Sequence[DeliveryRow]) -> str:
    """The readable queue: one line per delivery."""
    body = []
    for r in rows:
        status = r.status
        if r.status == Status.QUEUED and r.reconcile:
            status += " (check)"
        parts = f"{r.live_parts}/{r.parts}" if r.live_parts else str(r.parts)
        published = local(r.published_at, r.zone, seconds=False) if r.published_at else ""
        body.append([str(r.id), short(r.title or Path(r.source).name, 28), r.platform, parts,
                     f"{local(r.due_at, r.zone)} ({r.due_at:%H:%M} UTC)", status, published,
                     r.publisher, short(r.last_error or "", 60)])
    return table(["id", "post", "network", "parts", "due", "status", "published", "via",
                  "note"], body)


def local(when: datetime, zone: str | None, *, seconds: bool = False) -> str:
    """`when` in `zone`, named; UTC when the zone is unknown."""
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    if not zone:
        return f"{when:{shape}} UTC"
    try:
        return when.astimezone(timing.load_zone(zone)).strftime(f"{shape} %Z")
    except timing.TimeError:
        return f"{when:{shape}} UTC"


def both(when: datetime, zone: str | None) -> str:
    """`when` in the author's zone with UTC beside it (for exact times: attempts)."""
    here = local(when, zone, seconds=True)
    return here if here.endswith(" UTC") else f"{here} ({when:%H:%M:%S} UTC)"


def short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
