"""Events as the author reads them: a short subject, a plain-text body, and the same fields for
webhooks. Each event says what happened to which post on which network, when (in her zone),
why, and what to do, with a link into the desk when its address is known (CRIER_WEB_URL).

No I/O: `Wording` is given the zone and the desk's address.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from content.errors import UnknownPlatform
from content.networks import rules_for
from scheduler.notify.kinds import Kind
from scheduler.store.notifications import Event

MAX_LISTED = 50  # events written out in one message; the rest are counted, never dropped


@dataclass(frozen=True)
class Told:
    """One event's fields, as every channel shows them."""

    kind: str
    headline: str
    title: str | None
    network: str | None
    time: str  # when it happened, in her zone
    reason: str | None
    action: str
    link: str | None
    delivery_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, "headline": self.headline, "title": self.title,
                "network": self.network, "time": self.time, "reason": self.reason,
                "action": self.action, "link": self.link, "delivery_id": self.delivery_id}


@dataclass(frozen=True)
class Message:
    """What one send carries: a subject, a body, and the events' fields."""

    subject: str
    text: str
    told: tuple[Told, ...] = ()
    kind: str = "several"
    extra: dict[str, Any] = field(default_factory=dict)
    # The events it carries, by id: a receiver can tell a resent message (at least once).
    ids: tuple[int, ...] = ()

    @property
    def link(self) -> str | None:
        links = {t.link for t in self.told if t.link}
        return links.pop() if len(links) == 1 else None


_NOUN = {Kind.DELIVERY_FAILED: "failed", Kind.NEEDS_ATTENTION: "need you",
         Kind.MISSED: "missed", Kind.TOKEN_EXPIRING: "token expiring",
         Kind.ACCOUNT_BROKEN: "account not working", Kind.FEED_BROKEN: "feed broken",
         Kind.DATABASE_UNREACHABLE: "database unreachable", Kind.TEST: "test"}


@dataclass(frozen=True)
class Wording:
    zone: str
    web_url: str | None = None

    def when(self, instant: datetime) -> str:
        return instant.astimezone(ZoneInfo(self.zone)).strftime("%a %d %b %Y %H:%M %Z")

    def link(self, path: str) -> str | None:
        return f"{self.web_url}{path}" if self.web_url else None

    def told(self, event: Event) -> Told:
        network = network_display(event.platform)
        title = event.title
        d = event.data
        where = f"on {network}" if network else ""
        post = f"\u201c{title}\u201d" if title else "a post"
        did = event.delivery_id
        link = self.link(f"/deliveries/{did}") if did is not None else None
        if event.kind is Kind.DELIVERY_FAILED:
            headline = f"{network} post failed: {post}"
            action = (f"fix what the network says, then retry it: `crier queue retry {did}`"
                      + (" or Retry on the desk" if link else ""))
        elif event.kind is Kind.NEEDS_ATTENTION:
            headline = f"{network} post needs you: {post}"
            action = (f"look at {network}: if the post is there, mark it published on the desk "
                      f"(the delivery's page); if it is not, `crier queue retry {did}` sends it")
        elif event.kind is Kind.MISSED:
            due = datetime.fromisoformat(d["due_at"]) if d.get("due_at") else event.happened_at
            headline = f"{network} post missed: {post}"
            title_reason = (f"due {self.when(due)}, not sent by {_minutes(d.get('late_minutes'))}"
                            f" later; the policy sends a post at most "
                            f"{_minutes(d.get('max_lateness_minutes'))} late "
                            "(schedule.max_lateness_minutes); was the daemon running?")
            return Told(event.kind.value, headline, title, network, self.when(event.happened_at),
                        title_reason, f"`crier queue retry {did}` sends it now, or "
                        f"`crier queue reschedule {did} --at \"YYYY-MM-DD HH:MM\"`", link, did)
        elif event.kind is Kind.TOKEN_EXPIRING:
            expires = datetime.fromisoformat(d["expires_at"])
            headline = f"{network} token expires in {d.get('days')} day(s)"
            return Told(event.kind.value, headline, None, network, self.when(event.happened_at),
                        f"the {network} account's token stops working {self.when(expires)}",
                        "renew it before then and update .env; `crier accounts check` "
                        "confirms it works", self.link("/accounts"), None)
        elif event.kind is Kind.ACCOUNT_BROKEN:
            due = d.get("due_soon", 0)
            headline = f"{network} account stopped working"
            reason = event.detail or "the network refused the account"
            if due:
                reason += f"; {due} post(s) due in the next hours will fail until it is fixed"
            return Told(event.kind.value, headline, None, network, self.when(event.happened_at),
                        reason, "renew its credentials in .env (`crier accounts check` names "
                        "them), then `crier queue retry` what failed", self.link("/accounts"),
                        None)
        elif event.kind is Kind.FEED_BROKEN:
            headline = f"watched feed broken: {title}"
            return Told(event.kind.value, headline, title, None, self.when(event.happened_at),
                        event.detail, "check that the address still opens in a browser; "
                        "`crier feeds check` tries again now, `crier feeds list` shows it",
                        None, None)
        elif event.kind is Kind.DATABASE_UNREACHABLE:
            headline = "the daemon could not reach its database"
            return Told(event.kind.value, headline, None, None, self.when(event.happened_at),
                        event.detail, "check the database (server running, disk not full, "
                        "CRIER_DATABASE_URL); nothing is published until it is back, and the "
                        "daemon keeps trying", None, None)
        else:
            headline = event.title or "a test from Crier"
            return Told(event.kind.value, headline, None, None, self.when(event.happened_at),
                        event.detail, "nothing: this message shows the channel works", None,
                        None)
        return Told(event.kind.value, headline.strip(), title, network or None,
                    self.when(event.happened_at), event.detail or where or None, action, link,
                    did)

    def message(self, events: list[Event]) -> Message:
        """One message for `events` (a burst): each written out, up to MAX_LISTED."""
        told = [self.told(e) for e in events]
        if len(told) == 1:
            one = told[0]
            return Message(f"Crier: {one.headline}", _body(one) + "\n", (one,), one.kind,
                           ids=_ids(events))
        counts = Counter(e.kind for e in events)
        summary = ", ".join(f"{n} {_NOUN.get(k, k.value)}" for k, n in counts.most_common())
        lines = [f"{len(told)} things need you: {summary}.", ""]
        for number, one in enumerate(told[:MAX_LISTED], 1):
            lines += [f"{number}. {_body(one)}", ""]
        if len(told) > MAX_LISTED:
            lines.append(f"... and {len(told) - MAX_LISTED} more: `crier notifications list` "
                         "or `crier queue list --status failed,missed,needs_attention`.")
        if self.web_url:
            lines.append(f"The desk: {self.web_url}/queue")
        return Message(f"Crier: {len(told)} things need you ({summary})",
                       "\n".join(lines).rstrip() + "\n", tuple(told[:MAX_LISTED]),
                       ids=_ids(events))


def _ids(events: list[Event]) -> tuple[int, ...]:
    return tuple(e.id for e in events if e.id)  # 0: sent directly, never stored


def _body(one: Told) -> str:
    lines = [one.headline, f"   When: {one.time}"]
    if one.network:
        lines.append(f"   Network: {one.network}")
    if one.reason:
        lines.append(f"   Why: {one.reason}")
    lines.append(f"   What to do: {one.action}")
    if one.link:
        lines.append(f"   On the desk: {one.link}")
    return "\n".join(lines)


def network_display(platform: str | None) -> str:
    if not platform:
        return ""
    try:
        return rules_for(platform).display
    except UnknownPlatform:
        return platform


def _minutes(value: Any) -> str:
    minutes = int(value or 0)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h"
