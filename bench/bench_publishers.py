"""Sending a 5-part thread with 2 images to each test server: our publishers against the bare
minimum of plain `requests` calls that make the same posts, measured in the same run.

The servers are the test servers (`tests/publishers/fakes`: X and Mastodon; the real Bluesky
reference PDS when node and npm are present). The bare client makes only the requests the posts need
(uploads, alt text, one create per part, replies chained from the answers) on one keep-alive
session, with no error handling, no reconcile state and no logging. Goal: ours at most 1.5x.
"""

from __future__ import annotations

import io
import sys
import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from PIL import Image
from requests_oauthlib import OAuth1  # type: ignore[import-untyped]

from bench.timing import race
from scheduler.config import PROJECT_ROOT
from scheduler.publishers.base import (
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Publisher,
    Sent,
)

ROUNDS = 15  # timed threads per side and network (after one untimed warm-up each)
PARTS = 5
GOAL = 1.5


def _images() -> tuple[OutgoingImage, OutgoingImage]:
    """Two photo-sized JPEGs (the example's photo, cut in two), as a post would carry."""
    photo = Image.open(PROJECT_ROOT / "examples" / "brain-scans.jpg").convert("RGB")
    out = []
    for n, box in enumerate(((0, 0, 1600, 900), (0, 900, 1600, 1800))):
        buffer = io.BytesIO()
        photo.crop(box).save(buffer, "JPEG", quality=85)
        out.append(OutgoingImage(buffer.getvalue(), "JPEG", 1600, 900, f"Brain scans, view {n}"))
    return out[0], out[1]


IMAGES = _images()


def _delivery(platform: str, round_id: str) -> OutgoingDelivery:
    parts = tuple(
        OutgoingPart(i, f"Glutamate and ketamine, part {i + 1} of {PARTS} (round {round_id}). "
                        "Sedation, dissociation and hallucinations.",
                     IMAGES if i == 0 else ())
        for i in range(PARTS))
    return OutgoingDelivery(1, platform, platform, parts, uuid.uuid4().hex, "bench",
                            scheduled_at=datetime.now(UTC))


def _ours(publisher: Publisher, platform: str) -> Callable[[str], None]:
    def send(round_id: str) -> None:
        delivery = _delivery(platform, round_id)
        previous: Sent | None = None
        for part in delivery.parts:
            previous = publisher.publish_part(delivery, part, previous)
    return send


# ---- the bare clients ----------------------------------------------------------------------

def _bare_x(base_url: str, auth: OAuth1) -> Callable[[str], None]:
    session = requests.Session()

    def send(round_id: str) -> None:
        previous = None
        for part in _delivery("x", round_id).parts:
            media_ids = []
            for image in part.images:
                uploaded = session.post(
                    f"{base_url}/2/media/upload", auth=auth,
                    files={"media": ("image.jpeg", image.data, "image/jpeg")},
                    data={"media_category": "tweet_image"}, timeout=30).json()
                media_id = uploaded["data"]["id"]
                session.post(f"{base_url}/2/media/metadata", auth=auth, timeout=30, json={
                    "id": media_id, "metadata": {"alt_text": {"text": image.alt}}})
                media_ids.append(media_id)
            body: dict[str, Any] = {"text": part.text}
            if media_ids:
                body["media"] = {"media_ids": media_ids}
            if previous:
                body["reply"] = {"in_reply_to_tweet_id": previous}
            previous = session.post(f"{base_url}/2/tweets", json=body, auth=auth,
                                    timeout=30).json()["data"]["id"]
    return send


def _bare_mastodon(base_url: str, token: str) -> Callable[[str], None]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def send(round_id: str) -> None:
        previous = None
        for part in _delivery("mastodon", round_id).parts:
            media_ids = [session.post(f"{base_url}/api/v2/media",
                                      files={"file": ("image.jpeg", i.data, "image/jpeg")},
                                      data={"description": i.alt}, timeout=30).json()["id"]
                         for i in part.images]
            body: dict[str, Any] = {"status": part.text, "visibility": "public"}
            if media_ids:
                body["media_ids"] = media_ids
            if previous:
                body["in_reply_to_id"] = previous
            previous = session.post(f"{base_url}/api/v1/statuses", json=body,
                                    timeout=30).json()["id"]
    return send


def _bare_bluesky(service: str, handle: str, password: str) -> Callable[[str], None]:
    session = requests.Session()
    login = session.post(f"{service}/xrpc/com.atproto.server.createSession",
                         json={"identifier": handle, "password": password}, timeout=30).json()
    did = login["did"]
    session.headers["Authorization"] = f"Bearer {login['accessJwt']}"

    def send(round_id: str) -> None:
        root = parent = None
        for part in _delivery("bluesky", round_id).parts:
            record: dict[str, Any] = {
                "$type": "app.bsky.feed.post", "text": part.text,
                "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
            if part.images:
                images = []
                for image in part.images:
                    blob = session.post(f"{service}/xrpc/com.atproto.repo.uploadBlob",
                                        data=image.data, headers={"Content-Type": "image/jpeg"},
                                        timeout=30).json()["blob"]
                    images.append({"alt": image.alt, "image": blob, "aspectRatio": {
                        "width": image.width, "height": image.height}})
                record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
            if parent:
                record["reply"] = {"root": root, "parent": parent}
            created = session.post(
                f"{service}/xrpc/com.atproto.repo.createRecord", timeout=30,
                json={"repo": did, "collection": "app.bsky.feed.post", "record": record}).json()
            parent = {"uri": created["uri"], "cid": created["cid"]}
            root = root or parent
    return send


# ---- measuring -----------------------------------------------------------------------------

def _line(network: str, ours: float, bare: float, held: int) -> bool:
    ratio = ours / bare
    expected = (ROUNDS + 1) * 2 * PARTS
    print(f"{network}: 5-part thread with 2 images: ours {ours * 1000:.1f} ms, bare requests "
          f"{bare * 1000:.1f} ms, ratio {ratio:.2f}x (goal <= {GOAL}x: "
          f"{'met' if ratio <= GOAL else 'NOT met'}); posts on the server {held}/{expected}",
          flush=True)
    return held == expected


def main() -> int:
    sys.path.insert(0, str(PROJECT_ROOT / "tests"))  # the Node helpers the PDS harness uses
    sys.path.insert(0, str(PROJECT_ROOT / "tests" / "publishers"))
    from fakes.mastodon_server import MastodonServer
    from fakes.pds import PdsUnavailable, missing_tools, running_pds
    from fakes.x_server import XServer

    from scheduler.publishers.bluesky.publisher import BlueskyPublisher
    from scheduler.publishers.mastodon import MastodonPublisher
    from scheduler.publishers.x import XPublisher

    ok = True
    with ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        # Limits raised: the fakes' clock stands still, so their windows would never reset.
        x = stack.enter_context(XServer(limits={"POST /2/tweets": (10_000, 900)}))
        secret, token_secret = "bench-consumer-secret", "bench-token-secret"
        ours = XPublisher(x.consumer_key, secret, x.user.access_token, token_secret,
                          base_url=x.base_url)
        auth = OAuth1(x.consumer_key, secret, x.user.access_token, token_secret)
        ok &= _line("X (fake)", *race(_ours(ours, "x"), _bare_x(x.base_url, auth), ROUNDS),
                    len(x.tweets))

        mastodon = stack.enter_context(MastodonServer(api_limit=(10_000, 300),
                                                     media_limit=(10_000, 1800)))
        ours_m = MastodonPublisher(mastodon.base_url, mastodon.account.token)
        ok &= _line("Mastodon (fake)", *race(
            _ours(ours_m, "mastodon"), _bare_mastodon(mastodon.base_url, mastodon.account.token),
            ROUNDS),
            len(mastodon.statuses))

        if missing_tools():
            print(f"Bluesky (reference PDS): skipped, {', '.join(missing_tools())} not found")
            return 0 if ok else 1
        try:
            pds = stack.enter_context(running_pds())
        except PdsUnavailable as exc:
            print(f"Bluesky (reference PDS): skipped, {exc}")
            return 0 if ok else 1
        ours_b = BlueskyPublisher(pds.handle, pds.password, service=pds.url,
                                  session_file=data / "bluesky-session.json")
        ok &= _line("Bluesky (reference PDS)", *race(
            _ours(ours_b, "bluesky"), _bare_bluesky(pds.url, pds.handle, pds.password), ROUNDS),
            _count_records(pds.url, pds.did))
    return 0 if ok else 1


def _count_records(service: str, did: str) -> int:
    count, cursor = 0, None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = requests.get(f"{service}/xrpc/com.atproto.repo.listRecords", params=params,
                            timeout=30).json()
        count += len(page["records"])
        cursor = page.get("cursor")
        if not cursor or not page["records"]:
            return count


if __name__ == "__main__":
    raise SystemExit(main())
