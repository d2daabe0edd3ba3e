"""From a post file to rows to queue: when, for which networks, through which publisher, what.

Everything that can be wrong is found here, before the database is touched: a time that cannot
be read or is past, an unknown zone, a network that cannot take the post, a network with no
account under --live. Images are rendered here too, once, so the daemon sends the very bytes
the author previewed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from content.brand import Brand
from content.compose import compose, compose_all, target_platforms
from content.delivery import Delivery, Part
from content.networks import NetworkRules, ServerLimits, rules_for
from content.post import Post
from content.rounds import repeated_texts, round_post
from scheduler import timing
from scheduler.config import load_post
from scheduler.images import photo_notes, render_delivery_images
from scheduler.media import media_host, missing_host_message
from scheduler.publishers import Route, route, server_limits
from scheduler.service.when import QueueError, SlotBook, When, resolve
from scheduler.settings import Settings
from scheduler.store.queue import NewDelivery, NewImage, NewPart, NewPost
from scheduler.store.repeats import NewSeries


@dataclass(frozen=True)
class Plan:
    """A post ready to be stored, and what the author should be told about it."""

    path: Path
    post: NewPost
    notes: tuple[str, ...] = field(default=())
    # Per delivery of `post`, in order: its evergreen rounds, composed now (None: no repeat).
    series: tuple[NewSeries | None, ...] = field(default=())


def max_lateness(brand: Brand, settings: Settings) -> timedelta:
    """The misfire policy: CRIER_MAX_LATENESS_MINUTES if set, else the brand's."""
    minutes = settings.max_lateness_minutes
    return timedelta(minutes=brand.max_lateness_minutes if minutes is None else minutes)


def plan_post(
    path: Path, brand: Brand, when: When, *, now: datetime, settings: Settings,
    platforms: Sequence[str] = (), slots: SlotBook | None = None, live: bool = False,
) -> Plan:
    """Compose, time and route one post file; raises CrierError before anything is stored."""
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
    times = _times(path, post.at, when, zone, now, targets, slots)
    routes = {name: route(name, settings, live=live) for name in targets}
    server = _server_rules(routes, settings)
    deliveries = compose_all(post, brand, targets, server)
    _without_a_media_host(path, deliveries, routes, settings)
    lateness = max_lateness(brand, settings)
    notes: list[str] = []
    new: list[NewDelivery] = []
    series: list[NewSeries | None] = []
    for name, delivery in deliveries.items():
        resolved = times[name]
        if resolved.note:
            notes.append(f"{name}: {resolved.note}")
        notes.extend(f"{name}: {note}" for note in delivery.notes)
        if routes[name].note:
            notes.append(routes[name].note or "")
        images = _render_images(delivery, path, brand)
        new.append(NewDelivery(
            content_key=content_key(delivery, images),
            platform=name, account=routes[name].account, publisher=routes[name].publisher,
            due_at=resolved.instant, wall=resolved.wall, zone=resolved.zone,
            time_note=resolved.note, max_lateness=lateness,
            parts=_new_parts(delivery, images, brand, name),
            payload=_payload(delivery),
        ))
        series.append(_series(path, post, brand, server.get(name) or rules_for(name),
                              delivery, resolved.zone))
    notes.extend(photo_notes(deliveries.values(), path))
    if post.repeat is not None:
        notes.append(f"repeats {post.repeat.times} time(s), {post.repeat.written} after each "
                     "publication (`crier queue repeats`)")
    return Plan(path, NewPost(source=str(path), title=post.title, deliveries=tuple(new)),
                tuple(dict.fromkeys(notes)), tuple(series))


def _new_parts(delivery: Delivery, images: list[list[NewImage]], brand: Brand,
               name: str) -> tuple[NewPart, ...]:
    return tuple(NewPart(part.index, part.text, _part_payload(part, brand, name),
                         tuple(images[i]) if i < len(images) else ())
                 for i, part in enumerate(delivery.parts))


def _payload(delivery: Delivery, repeat: int = 0) -> dict[str, Any]:
    payload: dict[str, Any] = {"notes": list(delivery.notes),
                               "disclaimer_form": delivery.disclaimer_form}
    if repeat:
        payload["repeat"] = repeat
    return payload


def _series(path: Path, post: Post, brand: Brand, rules: NetworkRules, first: Delivery,
            zone: str) -> NewSeries | None:
    """The evergreen rounds of one network, composed and rendered now, so the daemon only
    stores rows when a round is due. Refused when a network that takes no text twice would
    be sent one again."""
    if post.repeat is None:
        return None
    rounds = [compose(round_post(post, number, rules), brand, rules)
              for number in range(1, post.repeat.times + 1)]
    if rules.refuses_duplicates:
        clash = repeated_texts([[p.text for p in d.parts] for d in (first, *rounds)])
        if clash is not None:
            earlier, later, index, text = clash
            shown = " ".join(text.split())
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            before = "the first publication" if earlier == 0 else f"repeat {earlier}"
            raise QueueError(
                f"{path}: {rules.display} refuses a text it has already been sent, and repeat "
                f"{later} would send part {index + 1} of {before} again ({shown!r}); give "
                f"the post more hooks: or quotes: (one per repeat), a shape whose parts all "
                f"carry them ({rules.name}: {{shape: quote}}), or fewer repeat.times; "
                "nothing was queued")
    parts, keys, payloads = [], [], []
    for number, delivery in enumerate(rounds, 1):
        images = _render_images(delivery, path, brand)
        parts.append(_new_parts(delivery, images, brand, rules.name))
        keys.append(content_key(delivery, images))
        payloads.append(_payload(delivery, number))
    return NewSeries(
        every=post.repeat.every, written=post.repeat.written, zone=zone,
        per_day=brand.repeat_per_day, spacing=timedelta(minutes=brand.repeat_spacing_minutes),
        rounds=tuple(parts), content_keys=tuple(keys), payloads=tuple(payloads))


def _times(path: Path, post_at: str | None, when: When, zone: str, now: datetime,
           platforms: list[str], slots: SlotBook | None) -> dict[str, timing.Resolved]:
    try:
        return {p: resolve(when, zone, now, p, slots, default_wall=post_at) for p in platforms}
    except (QueueError, timing.TimeError) as exc:
        raise QueueError(f"{path}: {exc}; nothing was queued") from None


def _without_a_media_host(path: Path, deliveries: dict[str, Delivery],
                          routes: Mapping[str, Route], settings: Settings) -> None:
    """A network that fetches images from an address can publish them only through a media
    host: found now, not at the slot. Without one, the author's photos (or an image the network
    requires) are refused; a card Crier drew itself is left out, saying so, and the post goes
    as text. The outbox needs no host (the demo has none)."""
    needing = [name for name, delivery in deliveries.items()
               if routes[name].publisher == name
               and rules_for(name).images.fetched_from_address
               and any(part.images for part in delivery.parts)]
    if not needing or media_host(settings) is not None:
        return
    for name in needing:
        rules, delivery = rules_for(name), deliveries[name]
        refs = [ref for part in delivery.parts for ref in part.images]
        if rules.images.required or any(ref.kind == "photo" for ref in refs):
            raise QueueError(f"{path}: {missing_host_message(rules.display)}; nothing was "
                             "queued")
        deliveries[name] = replace(
            delivery, parts=tuple(replace(part, images=()) for part in delivery.parts),
            notes=(*delivery.notes, f"the {refs[0].kind.replace('_', ' ')} is left out: "
                                    f"{missing_host_message(rules.display)}"))


def _server_rules(routes: Mapping[str, Route], settings: Settings) -> dict[str, NetworkRules]:
    """Rules a network's own server sets, for the networks published for real (where each
    server sets its own limits): what the formatter sees must be what the server enforces."""
    rules: dict[str, NetworkRules] = {}
    for name, chosen in routes.items():
        limits = server_limits(name, settings) if chosen.publisher == name else {}
        if limits:
            rules[name] = rules_for(name).with_server(ServerLimits(**limits))
    return rules


def _part_payload(part: Part, brand: Brand, platform: str) -> dict[str, Any]:
    # The brand's choices for the network (its own brand section, e.g. a visibility) and the
    # language she writes in travel with each part, as previewed.
    language = {"language": brand.language} if brand.language else {}
    return {**part.to_json(), **language,
            **rules_for(platform).payload(brand.options_for(platform))}


def content_key(delivery: Delivery, images: list[list[NewImage]]) -> str:
    """What a delivery says, hashed: its parts' texts and images, in order. Two deliveries with
    the same key would put the same thing on the network twice."""
    digest = hashlib.sha256()
    for i, part in enumerate(delivery.parts):
        digest.update(part.text.encode("utf-8") + b"\x1e")
        for image in images[i] if i < len(images) else ():
            digest.update(image.sha256.encode("ascii") + b"\x1f")
    return digest.hexdigest()


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
