"""Publishing through Meta's containers: a 3-part Threads thread with an image on its first part
and a 4-image Instagram carousel, our publishers against the bare minimum of plain `requests`
calls that make the same posts, measured in the same run on the same fake Graph servers.

The servers are the test fakes (`tests/publishers/fakes/meta_server.py`) with container
processing set to zero, and they fetch every image over HTTP from a local web server that
publishes the media folder, as Meta's fetcher would. The bare client makes only the requests
the posts need (a container per image and per post, one publish per post, replies chained
from the answers) on one keep-alive session, with no polling, no quota check, no reconcile
state and no logging; its images are put in the folder before the clock starts. Ours comes
back for every Pending at once (the daemon would commit the checkpoint in between). Goal: ours
at most 1.5x.
"""

from __future__ import annotations

import io
import sys
import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import requests
from PIL import Image

from bench.timing import race
from scheduler.config import PROJECT_ROOT
from scheduler.publishers.base import (
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Pending,
    Publisher,
    Sent,
)

ROUNDS = 15  # timed posts per side and network (after one untimed warm-up each)
THREAD_PARTS = 3
CAROUSEL = 4
GOAL = 1.5


def _photos() -> list[OutgoingImage]:
    """Four 4:5 JPEGs cut from the example photo, as a carousel would carry."""
    photo = Image.open(PROJECT_ROOT / "examples" / "brain-scans.jpg").convert("RGB")
    out = []
    for n in range(CAROUSEL):
        box = (n * 100, n * 200, n * 100 + 1080, n * 200 + 1350)
        buffer = io.BytesIO()
        photo.crop(box).save(buffer, "JPEG", quality=85)
        out.append(OutgoingImage(buffer.getvalue(), "JPEG", 1080, 1350, f"Brain scans, view {n}"))
    return out


PHOTOS = _photos()


def _thread(round_id: str) -> OutgoingDelivery:
    parts = tuple(
        OutgoingPart(i, f"Glutamate and ketamine, part {i + 1} of {THREAD_PARTS} (round "
                        f"{round_id}). Sedation, dissociation and hallucinations.",
                     (PHOTOS[0],) if i == 0 else ())
        for i in range(THREAD_PARTS))
    return OutgoingDelivery(1, "threads", "threads", parts, uuid.uuid4().hex, "bench")


def _carousel(round_id: str) -> OutgoingDelivery:
    part = OutgoingPart(0, f"Four views of a brain scan (round {round_id}). #Psychiatry",
                        tuple(PHOTOS))
    return OutgoingDelivery(1, "instagram", "instagram", (part,), uuid.uuid4().hex, "bench")


def _ours(publisher: Publisher, make: Callable[[str], OutgoingDelivery]) -> Callable[[str], None]:
    def send(round_id: str) -> None:
        delivery = make(round_id)
        previous: Sent | None = None
        for part in delivery.parts:
            result = publisher.publish_part(delivery, part, previous)
            while isinstance(result, Pending):
                part = replace(part, checkpoint=result.checkpoint)
                result = publisher.publish_part(delivery, part, previous)
            previous = result
    return send


# ---- the bare clients ----------------------------------------------------------------------

def _bare_threads(base_url: str, user: str, token: str,
                  urls: dict[str, str]) -> Callable[[str], None]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def send(round_id: str) -> None:
        previous = None
        for part in _thread(round_id).parts:
            fields = {"media_type": "TEXT", "text": part.text}
            if part.images:
                fields.update(media_type="IMAGE", image_url=urls[part.images[0].sha256],
                              alt_text=part.images[0].alt)
            if previous:
                fields["reply_to_id"] = previous
            container = session.post(f"{base_url}/{user}/threads", data=fields,
                                     timeout=30).json()["id"]
            previous = session.post(f"{base_url}/{user}/threads_publish",
                                    data={"creation_id": container}, timeout=30).json()["id"]
    return send


def _bare_instagram(base_url: str, user: str, token: str,
                    urls: dict[str, str]) -> Callable[[str], None]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def send(round_id: str) -> None:
        (part,) = _carousel(round_id).parts
        children = [session.post(f"{base_url}/{user}/media", timeout=30, data={
            "image_url": urls[i.sha256], "is_carousel_item": "true", "alt_text": i.alt,
        }).json()["id"] for i in part.images]
        parent = session.post(f"{base_url}/{user}/media", timeout=30, data={
            "media_type": "CAROUSEL", "children": ",".join(children), "caption": part.text,
        }).json()["id"]
        session.post(f"{base_url}/{user}/media_publish", data={"creation_id": parent},
                     timeout=30).json()
    return send


# ---- measuring -----------------------------------------------------------------------------

def _requests(server: object, send: Callable[[str], None], round_id: str) -> int:
    """How many requests one post takes (the server's log grows by that much)."""
    log: list[object] = server.requests  # type: ignore[attr-defined]
    before = len(log)
    send(round_id)
    return len(log) - before


TOTALS: list[tuple[float, float]] = []


def _line(what: str, ours: float, bare: float, held: int, expected: int,
          counts: tuple[int, int]) -> bool:
    TOTALS.append((ours, bare))
    ratio = ours / bare
    print(f"{what}: ours {ours * 1000:.1f} ms, bare requests {bare * 1000:.1f} ms, ratio "
          f"{ratio:.2f}x (goal <= {GOAL}x: {'met' if ratio <= GOAL else 'NOT met'}); requests "
          f"per post {counts[0]} against {counts[1]}; posts on the server {held}/{expected}",
          flush=True)
    return held == expected and ratio <= GOAL


def main() -> int:
    sys.path.insert(0, str(PROJECT_ROOT / "tests" / "publishers"))
    from fakes.meta_server import MediaFolderServer, MetaServer

    from scheduler.media.folder import FolderHost
    from scheduler.publishers.instagram import InstagramPublisher
    from scheduler.publishers.threads import ThreadsPublisher
    from scheduler.publishers.tokens import KeptToken

    ok = True
    with ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder = data / "media"
        web = stack.enter_context(MediaFolderServer(folder))
        host = FolderHost(folder, web.media_url)
        urls = {image.sha256: host.public_url(image) for image in PHOTOS}  # the bare side's

        threads = stack.enter_context(MetaServer("threads", processing_seconds=0))
        ours_t = ThreadsPublisher(threads.base_url, threads.account_id, threads.token,
                                  kept=KeptToken(data / "threads-token.json"), media=host)
        sides = (_ours(ours_t, _thread),
                 _bare_threads(threads.base_url, threads.account_id, threads.token, urls))
        timed = race(*sides, ROUNDS)
        counts = (_requests(threads, sides[0], "count-ours"),
                  _requests(threads, sides[1], "count-bare"))
        ok &= _line(f"Threads (fake): {THREAD_PARTS}-part thread, an image on the first", *timed,
                    len(threads.posts), (ROUNDS + 2) * 2 * THREAD_PARTS, counts)

        instagram = stack.enter_context(MetaServer("instagram", processing_seconds=0,
                                                   quota_total=1000))
        ours_i = InstagramPublisher(instagram.base_url, instagram.account_id, instagram.token,
                                    kept=KeptToken(data / "instagram-token.json"), media=host)
        sides = (_ours(ours_i, _carousel),
                 _bare_instagram(instagram.base_url, instagram.account_id, instagram.token,
                                 urls))
        timed = race(*sides, ROUNDS)
        counts = (_requests(instagram, sides[0], "count-ours"),
                  _requests(instagram, sides[1], "count-bare"))
        ok &= _line(f"Instagram (fake): {CAROUSEL}-image carousel", *timed,
                    len(instagram.posts), (ROUNDS + 2) * 2, counts)
    ours_all, bare_all = (sum(side) for side in zip(*TOTALS, strict=True))
    # Each part costs one status read more than the bare client's (Meta's advice: publish a
    # container once it reads FINISHED), so a text part alone is 3 requests against 2.
    print(f"both posts: ours {ours_all * 1000:.1f} ms, bare {bare_all * 1000:.1f} ms, ratio "
          f"{ours_all / bare_all:.2f}x (goal <= {GOAL}x)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
