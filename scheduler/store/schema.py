"""The store's tables (SQLAlchemy Core): posts, deliveries, their parts and images, attempts.

The deliveries table is the source of truth for the daemon (not APScheduler's job store): a
delivery's `status` and lease columns are what several daemons coordinate on. Every instant is
an aware UTC datetime in Python; `UTCDateTime` maps it to TIMESTAMPTZ on PostgreSQL and to
fixed-width ISO text on SQLite, where text order is time order, so the indexes work on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; naive datetimes are refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store; pass UTC")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: store the UTC wall clock, always with microseconds,
        # so that comparing the text compares the instants.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WALL_EPOCH = datetime(1970, 1, 1)


def utc_wall_clock(value: datetime) -> datetime:
    """An aware datetime's UTC wall clock, naive: what UTCDateTime hands SQLite's DateTime.

    For inserts that bypass SQLAlchemy's type processing; `sqlite_text` then makes it the text
    stored. The same as `value.astimezone(UTC).replace(tzinfo=None)` (datetime arithmetic is
    exact), in half the time. Naive datetimes are refused, as UTCDateTime refuses them.
    """
    try:
        return _WALL_EPOCH + (value - _UTC_EPOCH)
    except TypeError:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given to the store; pass UTC") from None
        raise


def sqlite_text(wall_clock: datetime) -> str:
    """A naive UTC wall clock as SQLAlchemy's SQLite DateTime stores it: ISO text with a space
    and always with microseconds ("2026-03-02 14:00:00.000000"), so that text order is time
    order."""
    return wall_clock.isoformat(" ", "microseconds")


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

# One row per key; `store_id` names this database in the outbox log, so a reused outbox folder
# can never make reconcile mistake another database's delivery 1 for this one's.
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", Text, nullable=False),  # the post file, as the author named it
    Column("title", Text),
    Column("created_at", UTCDateTime, nullable=False),
)

# The per-account mutex: a delivery is claimed together with its account, so one account never
# has two deliveries in flight, across every daemon (a thread's replies stay in order and two
# posts never interleave on the author's timeline).
accounts = Table(
    "accounts",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("platform", String(32), nullable=False),
    Column("publisher", String(32), nullable=False),
    Column("busy_attempt", String(64)),
    Column("busy_until", UTCDateTime),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id"), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("account", String(200), ForeignKey("accounts.key"), nullable=False),
    Column("publisher", String(32), nullable=False),
    Column("status", String(20), nullable=False),
    # When the author wants it out: the UTC instant, and the wall time + zone it came from.
    Column("due_at", UTCDateTime, nullable=False),
    Column("wall", String(16)),
    Column("zone", String(64)),
    Column("time_note", Text),  # how a DST gap or overlap was resolved, shown at queue time
    # When it may next be claimed: due_at at first, later moved by backoff or a rate limit.
    Column("next_attempt_at", UTCDateTime, nullable=False),
    # due_at + max_lateness, fixed at queue time: past it, a delivery nothing of which is live
    # yet is missed instead of published (portable, and indexable, unlike date arithmetic).
    Column("miss_after", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),  # failed attempts so far
    # The last attempt may have reached the network: look before sending again.
    Column("reconcile", Boolean, nullable=False, default=False),
    Column("attempt_id", String(64)),
    Column("lease_owner", String(200)),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("parts", Integer, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: notes and settings of the composed delivery
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime),
)
# The claim's index: "queued and due", in due order, per account (see claim.py).
# `id` last: the claim orders by (next_attempt_at, id), and PostgreSQL's index has no rowid.
Index("ix_deliveries_claim", deliveries.c.status, deliveries.c.account,
      deliveries.c.next_attempt_at, deliveries.c.id)
# The next wake-up time, "anything due?", the miss sweep (due rows only) and the reaper
# (publishing rows, a handful). Every index led by status is rewritten at each move, and every
# move is a commit to disk: two of them, no more.
Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_deliveries_post", deliveries.c.post_id)

delivery_parts = Table(
    "delivery_parts",
    metadata,
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: the composed part (facets, limits...)
    # Set, and committed, as soon as the network accepted the part: a retry resumes after it.
    Column("remote_id", Text),
    Column("remote_url", Text),
    Column("sent_at", UTCDateTime),
    # JSON: what a `Pending` step left to resume from (media still processing, a container
    # id), committed before anything that could publish the part (migration 2).
    Column("checkpoint", Text),
    PrimaryKeyConstraint("delivery_id", "idx"),
)

# Rendered images, stored once by content hash: what the author previewed is what is sent.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("format", String(16), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

part_images = Table(
    "part_images",
    metadata,
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("format", String(16), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("alt", Text, nullable=False),
    PrimaryKeyConstraint("delivery_id", "idx", "position"),
)

# One row per claim of a delivery: who tried, when, and how it ended.
attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), nullable=False),
    Column("attempt_id", String(64), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("outcome", String(32)),
    Column("detail", Text),
)
Index("ix_attempts_delivery", attempts.c.delivery_id)

# The author's weekly posting schedule per network, as written ("mon,wed,fri 09:00").
slots = Table(
    "slots",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("spec", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# What each delivery says, as a hash per network and account: queueing the same content twice
# for one account is refused unless the author says --again (version 3).
queued_content = Table(
    "queued_content",
    metadata,
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"),
           primary_key=True),
    Column("platform", String(32), nullable=False),
    Column("account", String(255), nullable=False),
    Column("content_key", String(64), nullable=False),
)
Index("ix_queued_content_key", queued_content.c.platform, queued_content.c.account,
      queued_content.c.content_key)

TABLES_V1 = (
    schema_version, store_meta, posts, accounts, deliveries, delivery_parts, blobs, part_images,
    attempts, slots,
)

# -- feeds watched by the daemon, what it has seen of them, drafts (migration 5, issue 13) ------

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("platforms", Text, nullable=False),  # JSON list; [] means the brand's networks
    Column("max_per_day", Integer, nullable=False),  # per network, in the author's zone
    Column("min_spacing_minutes", Integer, nullable=False),
    Column("review", Boolean, nullable=False),  # imported posts wait as drafts for approval
    Column("posts_dir", Text, nullable=False),  # where the post files are written
    Column("interval_minutes", Integer, nullable=False),
    Column("polled", Boolean, nullable=False),  # the first poll (which only records) is done
    Column("backfill", Boolean, nullable=False),  # the first poll imports what is there too
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_check_at", UTCDateTime, nullable=False),
    Column("last_checked_at", UTCDateTime),
    Column("last_error", Text),
    Column("failures", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Every item seen in a feed, by guid, and what became of it: `seen` (there at the first poll,
# never imported), `pending` (to import and queue), `draft`, `queued`, `failed` (gave up).
feed_items = Table(
    "feed_items",
    metadata,
    Column("feed_id", Integer, ForeignKey("feeds.id"), nullable=False),
    Column("guid", Text, nullable=False),
    Column("link", Text),
    Column("title", Text),
    Column("state", String(16), nullable=False),
    Column("path", Text),  # the post file written
    Column("deliveries", Text),  # JSON list of the delivery ids it was queued as
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
    Column("published_ts", Integer),  # the item's date, to import oldest first
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("feed_id", "guid"),
)
Index("ix_feed_items_state", feed_items.c.state, feed_items.c.feed_id)

# Imported posts waiting for the author: never queued, so never published, until approved.
drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id")),
    Column("guid", Text),
    Column("path", Text, nullable=False),
    Column("title", Text),
    Column("status", String(16), nullable=False),  # waiting, approved, discarded
    Column("deliveries", Text),  # JSON list, once approved
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
)

TABLES_V5 = (feeds, feed_items, drafts)

# Version 4, the desk: which failed, missed or needs-attention deliveries the author has seen.
# Keyed by the delivery and the `updated_at` she saw, so a delivery that fails again after a
# retry (a new `updated_at`) is shown again until she has seen that failure too.
desk_seen = Table(
    "desk_seen",
    metadata,
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), nullable=False),
    Column("seen_version", UTCDateTime, nullable=False),  # the delivery's updated_at, as seen
    Column("seen_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("delivery_id", "seen_version"),
)

# -- notifications (migration 6, issue 14) ------------------------------------------------------

# What the author is to be told, written in the transaction of the change that causes it, and
# delivered by the daemon's sender at least once on every channel configured when it is sent.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # scheduler/notify/kinds.py
    Column("delivery_id", Integer, ForeignKey("deliveries.id")),
    Column("platform", String(32)),
    Column("account", String(200)),
    Column("title", Text),  # the post's title (or its file), as it was then
    Column("detail", Text),  # the reason: the network's words, already without secrets
    Column("data", Text, nullable=False),  # JSON: what the kind needs besides (times, counts)
    Column("happened_at", UTCDateTime, nullable=False),
    # Set for an event that must be written once only (a day's digest): a second is ignored.
    Column("once_key", String(200), unique=True),
    Column("status", String(16), nullable=False),  # pending, sent, logged, skipped
    Column("channels_done", Text, nullable=False),  # comma-separated channel names
    Column("attempts", Integer, nullable=False),  # failed sends so far
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(200)),  # a sender holding it while it sends
    Column("lease_until", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
)
Index("ix_notifications_due", notifications.c.status, notifications.c.next_attempt_at)

# Per account, what the account watch last found, so each condition is told once: failing
# since when and how many checks in a row (None, 0: working), whether she was told, the expiry
# she was warned of, and when it was last checked and its token refreshed.
account_watch = Table(
    "account_watch",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("failing_since", UTCDateTime),
    Column("failures", Integer, nullable=False),
    Column("told_broken", Boolean, nullable=False),
    Column("warned_expiry", UTCDateTime),
    Column("checked_at", UTCDateTime),
    Column("refreshed_at", UTCDateTime),
)

TABLES_V6 = (notifications, account_watch)

# -- evergreen repeats (migration 7, issue 15) ----------------------------------------------------

# One series per delivery the author asked to repeat: how often, how many times, how they are
# spread out, and whether it is still going (`active`, `stopped` by her, `finished`).
repeats = Table(
    "repeats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("title", Text),
    Column("platform", String(32), nullable=False),
    Column("account", String(200), nullable=False),
    Column("publisher", String(32), nullable=False),
    Column("every_days", Integer, nullable=False),
    Column("every_written", String(64), nullable=False),
    Column("times", Integer, nullable=False),
    Column("zone", String(64), nullable=False),
    Column("per_day", Integer, nullable=False),  # deliveries on the network a day, at most
    Column("spacing_minutes", Integer, nullable=False),
    Column("lateness_minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime),
)

# Each round of a series, composed at queue time (round 0 is the delivery first queued): its
# parts as they will be sent, and the delivery it became once queued. The unique delivery id
# and the "not queued yet" fence make re-queueing happen once, whoever publishes.
repeat_rounds = Table(
    "repeat_rounds",
    metadata,
    Column("repeat_id", Integer, ForeignKey("repeats.id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), unique=True),
    Column("parts", Text, nullable=False),  # JSON: [{index, text, payload, images}]
    Column("content_key", String(64)),
    Column("payload", Text, nullable=False),  # JSON: the delivery's notes and settings
    PrimaryKeyConstraint("repeat_id", "round"),
)

TABLES_V7 = (repeats, repeat_rounds)
