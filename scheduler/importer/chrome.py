"""Page chrome in copied text: the lines a blog page carries around every post (skip links,
comment and share widgets, view counts, bylines), recognised so they are not imported."""

from __future__ import annotations

import re

from content.networks import ALIASES, NETWORK_NAMES, NETWORKS

# Whole lines only, compared case-insensitively. These are what Wix, WordPress, Ghost and
# Substack pages put around a post, as a browser copies them.
_LINES = frozenset(s.casefold() for s in (
    "top of page", "bottom of page", "comments", "comment", "skip to content",
    "skip to main content", "share", "share this post", "share this:", "like this:", "like",
    "recent posts", "see all", "log in", "sign up", "log in / sign up", "write a comment...",
    "write a comment", "post not marked as liked", "post was marked as liked", "subscribe",
    "leave a comment", "leave a reply", "related posts", "related", "more posts",
    "previous post", "next post", "menu", "search", "home", "blog", "all posts",
    "thanks for reading!", "share this article", "copy link", "email", "print",
    "loading...", "loading…", "read more",
    # A share button per network, labelled with its name.
    *(rules.display for rules in NETWORKS.values()), *NETWORK_NAMES, *ALIASES,
))
_PATTERNS = (
    re.compile(r"^\d[\d,.]*\s*(views?|comments?|likes?|shares?)$", re.I),
    re.compile(r"^(\d+\s*)?(views?|comments?|likes?)\s*\d*$", re.I),
    re.compile(r"\b\d+\s*min(ute)?s?\s+read\b", re.I),  # the byline of a Wix or Ghost post
    re.compile(r"^(updated|posted|published)\s*:?\s*\w+\s+\d{1,2},?\s+\d{4}$", re.I),
)


def is_chrome(line: str) -> bool:
    text = " ".join(line.split())
    if not text:
        return False
    # Patterns only on short lines: a sentence of the post may mention "a 5 minute read".
    return text.casefold() in _LINES or (len(text) <= 120
                                         and any(p.search(text) for p in _PATTERNS))
