"""The Facebook Page publisher (Graph API with a Page token, PLATFORMS.md "Facebook Page").

- Text: `POST /{page-id}/feed` (`message`).
- One photo: `POST /{page-id}/photos`, the bytes uploaded as multipart `source` with the
  `caption` and `alt_text_custom`: no public address needed.
- Several photos: each uploaded unpublished (`published=false`), then one
  `POST /{page-id}/feed` with `attached_media[i]={"media_fbid": ...}` and the `message`.
- The link may go to a first comment (the brand's [facebook] `link = "comment"`), posted by the
  Page under its live post; a failure there never makes the post go out again.
- Errors are the Graph family's (`graph.py`). Reconcile reads the Page's recent posts and
  matches the message; the feed is ranked and may leave posts out, so not finding it proves
  nothing: the author is asked to look.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests  # type: ignore[import-untyped]

from scheduler.publishers.base import (
    AccountStatus,
    Found,
    Lookup,
    OutgoingDelivery,
    OutgoingImage,
    OutgoingPart,
    Pending,
    Permanent,
    PublishError,
    PublisherSpec,
    Sent,
    UnknownOutcome,
)
from scheduler.publishers.graph import GraphPublisher, comparable
from scheduler.publishers.http import mime_of, require_variables, timeouts, utc_now
from scheduler.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://graph.facebook.com/v23.0"
RECENT = 50
DUPLICATE_POST = 506


class FacebookPublisher(GraphPublisher):
    name = "facebook"
    label = "Facebook"
    token_variable = "FACEBOOK_PAGE_TOKEN"

    @classmethod
    def from_settings(cls, settings: Settings, *, session: requests.Session | None = None,
                      clock: Callable[[], datetime] = utc_now) -> FacebookPublisher:
        require_variables(settings, PUBLISHER, "Facebook")
        return cls(settings.value("FACEBOOK_API_URL") or DEFAULT_API_URL,
                   settings.require("FACEBOOK_PAGE_ID"), settings.require("FACEBOOK_PAGE_TOKEN"),
                   timeout=timeouts(settings), session=session, clock=clock)

    def publish_part(self, delivery: OutgoingDelivery, part: OutgoingPart,
                     previous: Sent | None) -> Sent | Pending:
        what = self.what(delivery, part)
        try:
            sent = self._post(part, what)
        except Permanent as exc:
            if f"code {DUPLICATE_POST}" not in str(exc):
                raise
            # Facebook refuses a post identical to the one before it: if that one is this
            # part, an earlier attempt landed (as X's duplicate answer means).
            found = self._find(part, what)
            if found is None:
                raise
            log.info("%s: refused as a duplicate of %s, which has its text", what, found)
            return found
        first_comment = part.payload.get("first_comment")
        if first_comment:
            self.comment(sent.remote_id, str(first_comment), what)
        return sent

    def _post(self, part: OutgoingPart, what: str) -> Sent:
        if len(part.images) == 1:
            answer = self._photo(part.images[0], what, caption=part.text)
            post_id = str(answer.get("post_id") or answer.get("id") or "")
        else:
            fields: dict[str, Any] = {"message": part.text}
            for n, image in enumerate(part.images):
                photo = self._photo(image, f"{what}, image {n + 1}", caption=None)
                fields[f"attached_media[{n}]"] = json.dumps({"media_fbid": str(photo["id"])})
            answer = self.graph("POST", f"{self.account_id}/feed", what, creates_post=True,
                                data=fields)
            post_id = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if not post_id:
            raise UnknownOutcome(self.redact(f"{what}: Facebook answered without a post id"))
        log.info("%s: posted as %s", what, post_id)
        return Sent(post_id)

    def _photo(self, image: OutgoingImage, what: str, *, caption: str | None) -> dict[str, Any]:
        """One photo: published with its caption (a post), or unpublished to be attached."""
        mime = mime_of(image.format)
        fields: dict[str, str] = {"alt_text_custom": image.alt}
        if caption is None:
            fields["published"] = "false"
        else:
            fields["caption"] = caption
        answer = self.graph("POST", f"{self.account_id}/photos", what,
                            creates_post=caption is not None, data=fields,
                            files={"source": (f"image.{mime.rpartition('/')[2]}", image.data,
                                              mime)})
        if not isinstance(answer, dict) or not answer.get("id"):
            raise Permanent(self.redact(f"{what}: Facebook answered a photo without an id"))
        return answer

    def lookup(self, delivery: OutgoingDelivery, part: OutgoingPart) -> Lookup:
        what = self.what(delivery, part)
        try:
            body = self._recent(what)
        except Permanent as exc:
            return Lookup(Found.UNKNOWN, None, f"cannot read the Page's posts ({exc}); look on "
                                               "Facebook")
        found = self._matching(body, part)
        if found is not None:
            return Lookup(Found.YES, found, f"post {found.remote_id} has the part's text")
        return Lookup(Found.UNKNOWN, None, "not among the Page's recent posts, but Facebook's "
                      "feed is ranked and may leave posts out; look on the Page")

    def _recent(self, what: str) -> Any:
        return self.graph("GET", f"{self.account_id}/feed", f"{what}: recent posts",
                          params={"fields": "id,message,created_time", "limit": RECENT})

    def _find(self, part: OutgoingPart, what: str) -> Sent | None:
        return self._matching(self._recent(what), part)

    @staticmethod
    def _matching(body: Any, part: OutgoingPart) -> Sent | None:
        want = comparable(part.text)
        for row in (body.get("data") if isinstance(body, dict) else None) or []:
            if isinstance(row, dict) and comparable(str(row.get("message") or "")) == want:
                return Sent(str(row["id"]))
        return None

    def check_account(self) -> AccountStatus:
        try:
            page = self.graph("GET", self.account_id, "Facebook: checking the Page",
                              params={"fields": "id,name"})
        except PublishError as exc:
            return AccountStatus(False, self.redact(str(exc)))
        if not isinstance(page, dict) or not page.get("name"):
            return AccountStatus(False, "Facebook: the token cannot read FACEBOOK_PAGE_ID's Page")
        # A Page token made from a long-lived user token does not expire (community sources).
        return AccountStatus(True, self.redact(f"posting as the Page {page['name']}"))

    def what(self, delivery: OutgoingDelivery, part: OutgoingPart) -> str:
        return (f"Facebook: part {part.index + 1} of {len(delivery.parts)} of delivery "
                f"{delivery.id}")


PUBLISHER = PublisherSpec(
    network="facebook",
    variables=("FACEBOOK_PAGE_ID", "FACEBOOK_PAGE_TOKEN"),
    account_variable="FACEBOOK_PAGE_ID",
    secrets=("FACEBOOK_PAGE_TOKEN",),
    factory=FacebookPublisher.from_settings,
    optional=("FACEBOOK_API_URL",),
)

__all__ = ["PUBLISHER", "FacebookPublisher"]
