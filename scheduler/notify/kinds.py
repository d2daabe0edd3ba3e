"""The kinds of notification, by the name stored in the notifications table."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    DELIVERY_FAILED = "delivery_failed"
    NEEDS_ATTENTION = "needs_attention"
    MISSED = "missed"
    TOKEN_EXPIRING = "token_expiring"
    ACCOUNT_BROKEN = "account_broken"
    FEED_BROKEN = "feed_broken"
    DATABASE_UNREACHABLE = "database_unreachable"  # sent directly: it cannot be stored
    DIGEST = "digest"
    TEST = "test"  # `crier notify test`, sent directly


# A delivery's end state -> the kind of event it makes.
FOR_STATUS = {"failed": Kind.DELIVERY_FAILED, "needs_attention": Kind.NEEDS_ATTENTION,
              "missed": Kind.MISSED}
