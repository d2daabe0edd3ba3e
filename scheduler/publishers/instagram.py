"""The Instagram publisher (Graph API for professional accounts, PLATFORMS.md "Instagram").

- One image: a container on `POST /{ig-user-id}/media` (`image_url`, `caption`, `alt_text`);
  several: 2 to 10 children (`is_carousel_item=true`, no caption) and a CAROUSEL parent with
  the caption. The image addresses come from the media host, minted just before each
  container, form-encoded in the body. An image is required: Instagram has no text posts.
- The container flow, the errors and reconcile are the Graph family's (`graph.py`): the
  container id is committed (Pending) before `POST /{ig-user-id}/media_publish`.
- `content_publishing_limit` is read before a delivery's container: Meta's pages give 50 or
  100 posts a day in different places, so what it returns is obeyed.
- The link may go to a first comment (the brand's [instagram] `link = "comment"`): posted
  under the live post, and a failure there never makes the post go out again.
- The long-lived token is renewed (`ig_refresh_token`) and kept in `CRIER_DATA_DIR`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import requests  # type: ignore[import-untyped]

from scheduler.publishers.base import (
    AccountStatus,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Permanent,
    PublishError,
    PublisherSpec,
    Sent,
)
from scheduler.publishers.graph import (
    NO_QUOTA,
    QUOTA_UNKNOWN,
    ContainerPublisher,
    account_file_key,
    configured_media,
    listed,
    read_quota,
)
from scheduler.publishers.http import require_variables, timeouts, utc_now
from scheduler.publishers.tokens import KeptToken
from scheduler.settings import Settings

DEFAULT_API_URL = "https://graph.instagram.com/v23.0"
RECENT = 50
MAX_CAROUSEL = 10


class InstagramPublisher(ContainerPublisher):
    name = "instagram"
    label = "Instagram"
    token_variable = "INSTAGRAM_ACCESS_TOKEN"
    container_edge = "media"
    status_field = "status_code"
    publish_edge = "media_publish"
    refresh_grant = "ig_refresh_token"
    comments = True

    @classmethod
    def from_settings(cls, settings: Settings, *, session: requests.Session | None = None,
                      clock: Callable[[], datetime] = utc_now) -> InstagramPublisher:
        require_variables(settings, PUBLISHER, "Instagram")
        user_id = settings.require("INSTAGRAM_USER_ID")
        kept = KeptToken(settings.data_dir
                         / f"{account_file_key('instagram', user_id)}-token.json")
        return cls(settings.value("INSTAGRAM_API_URL") or DEFAULT_API_URL, user_id,
                   settings.require("INSTAGRAM_ACCESS_TOKEN"), kept=kept,
                   **configured_media(settings), timeout=timeouts(settings),
                   session=session, clock=clock)

    def create_container(self, delivery: OutgoingDelivery, part: OutgoingPart,
                         previous: Sent | None, what: str) -> str:
        if not part.images:
            raise Permanent(f"{what}: Instagram needs an image with every post")
        if len(part.images) > MAX_CAROUSEL:
            raise Permanent(f"{what}: Instagram takes at most {MAX_CAROUSEL} images in a post")
        if len(part.images) == 1:
            image = part.images[0]
            return self.new_container({"image_url": self.image_url(image, what),
                                       "caption": part.text, "alt_text": image.alt}, what)
        children = [self._child(n, image, what) for n, image in enumerate(part.images, 1)]
        return self.new_container({"media_type": "CAROUSEL", "children": ",".join(children),
                                   "caption": part.text}, what)

    def _child(self, n: int, image: OutgoingImage, what: str) -> str:
        # alt_text on a carousel item is sent as on an image post (unverified for items).
        return self.new_container({"image_url": self.image_url(image, f"{what}, image {n}"),
                                   "is_carousel_item": "true", "alt_text": image.alt},
                                  f"{what}, image {n}")

    def check_quota(self, delivery: OutgoingDelivery, part: OutgoingPart,
                    what: str) -> tuple[int, int]:
        body = self.graph("GET", f"{self.account_id}/content_publishing_limit",
                          f"{what}: publishing quota", params={"fields": "quota_usage,config"})
        quota = read_quota(body, "quota_usage", "config")
        self.require_post_room(quota, what)
        # No replies on Instagram: their room never limits a delivery.
        return (quota[1] - quota[0]) if quota else QUOTA_UNKNOWN, NO_QUOTA

    def recent_posts(self, part: OutgoingPart, what: str) -> list[tuple[str, str]]:
        body = self.graph("GET", f"{self.account_id}/media", f"{what}: recent posts",
                          params={"fields": "id,caption,timestamp", "limit": RECENT})
        return listed(body, "caption")

    def check_account(self) -> AccountStatus:
        try:
            me = self.graph("GET", self.account_id, "Instagram: checking the account",
                            params={"fields": "id,username"})
        except PublishError as exc:
            return AccountStatus(False, self.redact(str(exc)))
        if not isinstance(me, dict) or not me.get("username"):
            return AccountStatus(False, "Instagram: the token cannot read INSTAGRAM_USER_ID's "
                                        "account")
        return self.signed_in(me.get("username"))


PUBLISHER = PublisherSpec(
    network="instagram",
    variables=("INSTAGRAM_USER_ID", "INSTAGRAM_ACCESS_TOKEN"),
    account_variable="INSTAGRAM_USER_ID",
    secrets=("INSTAGRAM_ACCESS_TOKEN",),
    factory=InstagramPublisher.from_settings,
    optional=("INSTAGRAM_API_URL",),
)

__all__ = ["PUBLISHER", "InstagramPublisher"]
