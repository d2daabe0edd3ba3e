"""The author's weekly posting slots per network, and which slot instants are already taken."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from scheduler.states import Status
from scheduler.store import Store
from scheduler.store.schema import deliveries, slots

# A slot holding one of these is taken; a cancelled or missed delivery frees its slot.
_HOLDING = (Status.QUEUED.value, Status.PUBLISHING.value, Status.PUBLISHED.value)


def get_slots(store: Store) -> dict[str, str]:
    """Each network's schedule as the author wrote it."""
    return store.read(lambda conn: {
        r.platform: r.spec for r in conn.execute(select(slots).order_by(slots.c.platform))})


def set_slots(store: Store, platforms: list[str], spec: str | None, now: datetime) -> None:
    """Set (or with spec None, clear) the schedule of each network in `platforms`."""
    def change(conn: Connection) -> None:
        conn.execute(slots.delete().where(slots.c.platform.in_(platforms)))
        if spec is not None:
            conn.execute(slots.insert(), [
                {"platform": p, "spec": spec, "updated_at": now} for p in platforms])

    store.write(change)


def taken_instants(store: Store, platform: str, after: datetime) -> set[datetime]:
    """Due instants of `platform`'s deliveries after `after` that hold their slot."""
    query = select(deliveries.c.due_at).where(
        deliveries.c.platform == platform, deliveries.c.due_at > after,
        deliveries.c.status.in_(_HOLDING))
    return store.read(lambda conn: set(conn.execute(query).scalars()))
