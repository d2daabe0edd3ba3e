"""The Threads publisher (Meta's Threads API, PLATFORMS.md "Threads").

- Each part is a container on `POST /{user-id}/threads`: TEXT, IMAGE (`image_url`, `alt_text`)
  or a CAROUSEL of IMAGE children (`is_carousel_item=true`, then `children=id1,id2`); a part
  after the first replies to the one before it (`reply_to_id`). The image addresses come from
  the media host, minted just before the container is made, form-encoded in the body.
- The container flow, the errors and reconcile are the Graph family's (`graph.py`): the
  container id is committed (Pending) before `POST /{user-id}/threads_publish` is called.
- Before a delivery's first container, `threads_publishing_limit` says whether the rolling
  24-hour quotas (posts and replies) have room for it.
- The long-lived token is renewed (`refresh_access_token`, `th_refresh_token`) and kept in
  `CRIER_DATA_DIR` (`tokens.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests  # type: ignore[import-untyped]

from scheduler.publishers.base import (
    AccountStatus,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    PublishError,
    PublisherSpec,
    RateLimited,
    Sent,
)
from scheduler.publishers.graph import (
    QUOTA_UNKNOWN,
    QUOTA_WAIT,
    ContainerPublisher,
    account_file_key,
    configured_media,
    listed,
    read_quota,
)
from scheduler.publishers.http import require_variables, timeouts, utc_now
from scheduler.publishers.tokens import KeptToken
from scheduler.settings import Settings

DEFAULT_API_URL = "https://graph.threads.net/v1.0"
RECENT = 50  # posts read back by reconcile: a solo author's last days


class ThreadsPublisher(ContainerPublisher):
    name = "threads"
    label = "Threads"
    token_variable = "THREADS_ACCESS_TOKEN"
    container_edge = "threads"
    status_field = "status"
    publish_edge = "threads_publish"
    refresh_grant = "th_refresh_token"

    @classmethod
    def from_settings(cls, settings: Settings, *, session: requests.Session | None = None,
                      clock: Callable[[], datetime] = utc_now) -> ThreadsPublisher:
        require_variables(settings, PUBLISHER, "Threads")
        user_id = settings.require("THREADS_USER_ID")
        kept = KeptToken(settings.data_dir / f"{account_file_key('threads', user_id)}-token.json")
        return cls(settings.value("THREADS_API_URL") or DEFAULT_API_URL, user_id,
                   settings.require("THREADS_ACCESS_TOKEN"), kept=kept,
                   **configured_media(settings), timeout=timeouts(settings),
                   session=session, clock=clock)

    def create_container(self, delivery: OutgoingDelivery, part: OutgoingPart,
                         previous: Sent | None, what: str) -> str:
        fields: dict[str, Any] = {"text": part.text}
        if previous is not None:
            fields["reply_to_id"] = previous.remote_id
        if len(part.images) == 1:
            image = part.images[0]
            fields.update(media_type="IMAGE", image_url=self.image_url(image, what),
                          alt_text=image.alt)
        elif part.images:
            children = [self._child(n, image, what) for n, image in enumerate(part.images, 1)]
            fields.update(media_type="CAROUSEL", children=",".join(children))
        else:
            fields["media_type"] = "TEXT"
        return self.new_container(fields, what)

    def _child(self, n: int, image: OutgoingImage, what: str) -> str:
        return self.new_container({"media_type": "IMAGE", "is_carousel_item": "true",
                                   "image_url": self.image_url(image, f"{what}, image {n}"),
                                   "alt_text": image.alt}, f"{what}, image {n}")

    def check_quota(self, delivery: OutgoingDelivery, part: OutgoingPart,
                    what: str) -> tuple[int, int]:
        body = self.graph("GET", f"{self.account_id}/threads_publishing_limit",
                          f"{what}: publishing quota",
                          params={"fields": "quota_usage,config,reply_quota_usage,reply_config"})
        posts = read_quota(body, "quota_usage", "config")
        replies = read_quota(body, "reply_quota_usage", "reply_config")
        wanted_replies = len(delivery.parts) - 1
        self.require_post_room(posts, what)
        if wanted_replies and replies is not None and replies[0] + wanted_replies > replies[1]:
            raise RateLimited(self.clock() + QUOTA_WAIT, f"{what}: the thread needs "
                              f"{wanted_replies} replies and {replies[0]} of the account's "
                              f"{replies[1]} in 24 hours are used")
        return ((posts[1] - posts[0]) if posts else QUOTA_UNKNOWN,
                (replies[1] - replies[0]) if replies else QUOTA_UNKNOWN)

    def recent_posts(self, part: OutgoingPart, what: str) -> list[tuple[str, str]]:
        # Top-level posts and replies are listed on two edges.
        edge = "threads" if part.index == 0 else "replies"
        body = self.graph("GET", f"{self.account_id}/{edge}", f"{what}: recent posts",
                          params={"fields": "id,text,timestamp", "limit": RECENT})
        return listed(body, "text")

    def check_account(self) -> AccountStatus:
        try:
            me = self.identity("id,username", "Threads")
        except PublishError as exc:
            return AccountStatus(False, self.redact(str(exc)))
        if str(me.get("id")) != self.account_id:
            return AccountStatus(False, "Threads: the token belongs to another account than "
                                        "THREADS_USER_ID")
        return self.signed_in(me.get("username"))


PUBLISHER = PublisherSpec(
    network="threads",
    variables=("THREADS_USER_ID", "THREADS_ACCESS_TOKEN"),
    account_variable="THREADS_USER_ID",
    secrets=("THREADS_ACCESS_TOKEN",),
    factory=ThreadsPublisher.from_settings,
    optional=("THREADS_API_URL",),
)

__all__ = ["PUBLISHER", "ThreadsPublisher"]
