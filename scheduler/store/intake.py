"""From a post file to rows to queue: when, for which networks, through which publisher, what.

Everything that can be wrong is found here, before the database is touched: a time that cannot
be read or is past, an unknown zone, a network that cannot take the post, a network with no
account under --live. Images are rendered here too, once, so the daemon sends the very bytes
the author previewed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from content.brand import Brand
from content.compose import compose_all, target_platforms
from content.delivery import Delivery, Part
from content.errors import CrierError
from content.platforms import PlatformRules, rules_for
from scheduler import timing
from scheduler.config import load_post
from scheduler.images import render_delivery_images
from scheduler.publishers import Route, route
from scheduler.store.queue import NewDelivery, NewImage, NewPart, NewPost


class QueueError(CrierError):
    """A post cannot be queued as asked; the message says why and how to fix it."""


@dataclass(frozen=True)
class When:
    """When the author asked for: a wall time (`at`), the next free slot, or now."""

    kind: Literal["at", "next_slot", "now"]
    wall: str | None = None  # for "at"; None: the post's own `at:`
    zone: str | None = None  # --tz; None: the post's `timezone:`, else the brand's


@dataclass(frozen=True)
class Plan:
    """A post ready to be stored, and what the author should be told about it."""

    path: Path
    post: NewPost
    notes: tuple[str, ...] = field(default=())


# Slot lookup, given (platform, zone, taken): the next free slot or None when none is set.
SlotFinder = Callable[[str, str, set[datetime]], timing.Resolved | None]


def max_lateness(brand: Brand, env: Mapping[str, str] | None = None) -> timedelta:
    """The misfire policy: CRIER_MAX_LATENESS_MINUTES if set, else the brand's."""
    env = os.environ if env is None else env
    raw = env.get("CRIER_MAX_LATENESS_MINUTES", "").strip()
    if not raw:
        return timedelta(minutes=brand.max_lateness_minutes)
    try:
        minutes = int(raw)
    except ValueError:
        raise QueueError(
            f"CRIER_MAX_LATENESS_MINUTES must be a whole number, got {raw!r}") from None
    if minutes < 0:
        raise QueueError("CRIER_MAX_LATENESS_MINUTES must be 0 or more")
    return timedelta(minutes=minutes)


def plan_post(
    path: Path, brand: Brand, when: When, *, now: datetime, platforms: Sequence[str] = (),
    slot_finder: SlotFinder | None = None, env: Mapping[str, str] | None = None,
    live: bool = False, taken: dict[str, set[datetime]] | None = None,
) -> Plan:
    """Compose, time and route one post file; raises CrierError before anything is stored.

    `taken` collects slot instants handed out so far, so several posts queued with --next-slot
    in one command take successive slots.
    """
    env = os.environ if env is None else env
    post = load_post(path)
    zone = when.zone or post.timezone or brand.timezone
    try:
        timing.load_zone(zone)
        chosen = [rules_for(p).name for p in platforms]
    except timing.TimeError as exc:
        raise QueueError(f"{path}: {exc}; nothing was queued") from None
    targets = list(target_platforms(post, brand, chosen))
    if not targets:
        raise QueueError(f"{path}: no network to publish to; nothing was queued")
    # The cheap checks (time, zone, slots) come before formatting every network.
    times = _times(path, post.at, when, zone, now, targets, slot_finder,
                   taken if taken is not None else {})
    routes = {name: route(name, env, live=live) for name in targets}
    deliveries = compose_all(post, brand, targets, _server_rules(routes, env))
    lateness = max_lateness(brand, env)
    notes: list[str] = []
    new: list[NewDelivery] = []
    for name, delivery in deliveries.items():
        resolved = times[name]
        if resolved.note:
            notes.append(f"{name}: {resolved.note}")
        notes.extend(f"{name}: {note}" for note in delivery.notes)
        if routes[name].note:
            notes.append(routes[name].note or "")
        images = _render_images(delivery, path, brand)
        new.append(NewDelivery(
            platform=name, account=routes[name].account, publisher=routes[name].publisher,
            due_at=resolved.instant, wall=resolved.wall, zone=resolved.zone,
            time_note=resolved.note, max_lateness=lateness,
            parts=tuple(
                NewPart(part.index, part.text, _part_payload(part, brand, name),
                        tuple(images[i]) if i < len(images) else ())
                for i, part in enumerate(delivery.parts)),
            payload={"notes": list(delivery.notes),
                     "disclaimer_form": delivery.disclaimer_form},
        ))
    return Plan(path, NewPost(source=str(path), title=post.title, deliveries=tuple(new)),
                tuple(dict.fromkeys(notes)))


def _times(
    path: Path, post_at: str | None, when: When, zone: str, now: datetime,
    platforms: list[str], slot_finder: SlotFinder | None, taken: dict[str, set[datetime]],
) -> dict[str, timing.Resolved]:
    try:
        if when.kind == "now":
            wall = now.astimezone(timing.load_zone(zone)).strftime("%Y-%m-%d %H:%M")
            return {p: timing.Resolved(now, wall, zone, None) for p in platforms}
        if when.kind == "next_slot":
            return {p: _next_slot(path, p, zone, slot_finder, taken) for p in platforms}
        asked = when.wall or post_at
        if asked is None:
            raise QueueError(
                f"{path}: no time given; add --at \"YYYY-MM-DD HH:MM\", --next-slot or --now "
                "(or `at:` in the post's front matter); nothing was queued")
        resolved = timing.resolve(asked, zone)
    except timing.TimeError as exc:
        raise QueueError(f"{path}: {exc}; nothing was queued") from None
    if resolved.instant < now:
        local = now.astimezone(timing.load_zone(zone))
        raise QueueError(
            f"{path}: {resolved.wall} {zone} is in the past (it is now {local:%Y-%m-%d %H:%M}); "
            "give a later time, or --now to publish at once; nothing was queued")
    return {p: resolved for p in platforms}


def _next_slot(path: Path, platform: str, zone: str, slot_finder: SlotFinder | None,
               taken: dict[str, set[datetime]]) -> timing.Resolved:
    if slot_finder is None:
        raise QueueError("--next-slot needs the store's slots")
    busy = taken.setdefault(platform, set())
    found = slot_finder(platform, zone, busy)
    if found is None:
        raise QueueError(
            f"{path}: {platform} has no posting slots; set some with "
            f"`crier slots set {platform} \"mon,wed,fri 09:00\"`; nothing was queued")
    busy.add(found.instant)
    return found


def _server_rules(routes: Mapping[str, Route], env: Mapping[str, str]) -> dict[str, PlatformRules]:
    """Rules a network's own server sets, for the networks published for real: Mastodon's
    limits vary per server, and what the formatter sees must be what the server enforces."""
    from dataclasses import replace

    from scheduler.publishers import server_limits

    rules: dict[str, PlatformRules] = {}
    for name, chosen in routes.items():
        limits: Mapping[str, Any] = server_limits(name, env) if chosen.publisher == name else {}
        if limits:
            rules[name] = replace(rules_for(name), **limits)
    return rules


def _part_payload(part: Part, brand: Brand, platform: str) -> dict[str, Any]:
    data = part.to_json()
    if platform == "mastodon":  # the brand's choices travel with the part, as previewed
        data["visibility"] = brand.mastodon_visibility
        if brand.mastodon_content_warning:
            data["content_warning"] = brand.mastodon_content_warning
    return data


def _render_images(delivery: Delivery, post_path: Path, brand: Brand) -> list[list[NewImage]]:
    """Per part, its images rendered now: the daemon sends exactly what was previewed."""
    if not any(part.images for part in delivery.parts):
        return []
    return [
        [NewImage(img.data, img.format, img.width, img.height, img.alt) for img in part]
        for part in render_delivery_images(delivery, post_path, brand)
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)
