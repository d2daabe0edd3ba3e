"""Mastodon: how a server counts a status, the limits it may set, and the brand's options.

Mastodon's StatusLengthValidator counts the extended grapheme clusters of the content warning
followed by the text, after two rewrites of the text:

- every URL with an `http://` or `https://` scheme becomes `url_length` characters (the
  server's `characters_reserved_per_url`, 23 by default), however long or short it is;
- every mention `@user@domain` becomes `@user`: the domain is free.

The server finds those URLs with twitter-text's extractor, scheme required
(`extract_urls_with_indices(..., extract_url_without_protocol: false)`), and the mentions with
its own pattern; an entity overlapping an earlier one is dropped. The URLs here come from the
same finder as X's count (content.counting.twitter_text, checked against twitter-text
itself), told to keep only URLs with a scheme; the mention pattern is Mastodon's. A bare
`example.com` is plain text to Mastodon and counts in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import regex

from content.counting.graphemes import count_graphemes
from content.counting.twitter_text import extract_urls
from content.networks.base import (
    BrandSection,
    ImageRules,
    NetworkRules,
    Options,
    Problems,
    Reservation,
    ServerLimits,
)
from content.text import clean_text

MASTODON_DEFAULT_LIMIT = 500

# Mastodon's Account::MENTION_RE: a username, then optionally "@" and a domain. Ruby's
# [[:word:]] is Python's Unicode \w.
_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[A-Za-z0-9_]+(?:[A-Za-z0-9_.-]+[A-Za-z0-9_]+)?)"
    r"(?P<domain>@[\w.-]+\w+)?"
)
# twitter-text's end_mention_match: a mention followed by one of these is not a mention.
_NOT_AFTER_MENTION = regex.compile(
    r"[@\uff20\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257"
    r"\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://"
)


def mastodon_length(text: str, *, url_length: int = 23, spoiler_text: str = "") -> int:
    """The length Mastodon checks against its limit (MASTODON_DEFAULT_LIMIT unless the server
    says otherwise): graphemes of `spoiler_text` (the content warning) and of `text`, with each
    http(s) URL counted as `url_length` and each `@user@domain` as `@user`."""
    if url_length < 0:
        raise ValueError(f"url_length must be 0 or more, got {url_length}")
    entities = sorted(_urls(text) + _mentions(text), key=lambda entity: entity[0])
    pieces: list[str] = [spoiler_text]
    last = 0
    placeholder = "x" * url_length
    for start, end, replacement in entities:
        if start < last:
            continue  # overlaps the entity before it, which wins, as on the server
        pieces.append(text[last:start])
        pieces.append(placeholder if replacement is None else replacement)
        last = end
    pieces.append(text[last:])
    # Counted as one string, as the server joins them: a cluster may span the seam.
    return count_graphemes("".join(pieces))


def _urls(text: str) -> list[tuple[int, int, str | None]]:
    return [(start, end, None) for start, end in extract_urls(text, with_bare=False)]


def _mentions(text: str) -> list[tuple[int, int, str | None]]:
    found: list[tuple[int, int, str | None]] = []
    for match in _MENTION.finditer(text):
        end: int = match.end()
        if _NOT_AFTER_MENTION.match(text, end):
            continue
        if match.group("domain") is None:
            continue  # "@user" already counts as itself
        user: str = match.group("user")
        found.append((match.start(), end, "@" + user))
    return found


# ---- the network's rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatusLength:
    """`mastodon_length` for one server's URL length; equal for equal servers, so rules built
    twice from the same server's answer compare equal."""

    url_length: int = 23

    def __call__(self, text: str) -> int:
        return mastodon_length(text, url_length=self.url_length)


VISIBILITIES = ("public", "unlisted", "private", "direct")
DEFAULT_VISIBILITY = "public"


def parse_options(section: Mapping[str, Any], problems: Problems) -> Options:
    """The brand's [mastodon] section: who sees the statuses, and an optional content warning."""
    options: dict[str, Any] = {}
    visibility = section.get("visibility", DEFAULT_VISIBILITY)
    if visibility in VISIBILITIES:
        options["visibility"] = visibility
    else:
        problems.append(("visibility", f"must be one of {', '.join(VISIBILITIES)}"))
    warning = section.get("content_warning")
    if warning is not None and not isinstance(warning, str):
        problems.append(("content_warning", "must be text"))
    elif warning:
        warning = clean_text("content_warning", warning, problems)
        if warning:
            options["content_warning"] = warning
    return options


def content_warning(rules: NetworkRules, options: Options) -> Reservation | None:
    """The server counts the content warning and the text together, against one limit."""
    warning = options.get("content_warning")
    return Reservation("the content warning", rules.measure(warning)) if warning else None


def visibility_and_warning(options: Options) -> dict[str, Any]:
    """The brand's choices travel with each part, as previewed: the publisher sends them."""
    payload: dict[str, Any] = {"visibility": options.get("visibility", DEFAULT_VISIBILITY)}
    if options.get("content_warning"):
        payload["content_warning"] = options["content_warning"]
    return payload


def on_server(rules: NetworkRules, limits: ServerLimits) -> NetworkRules:
    """Every number the server gives (`/api/v2/instance`) replaces the default; what a URL
    counts changes the counting itself."""

    def given(value: int | None, default: int) -> int:
        return default if value is None else value

    images = rules.images
    return replace(
        rules,
        limit=given(limits.limit, rules.limit),
        measure=rules.measure if limits.url_length is None else StatusLength(limits.url_length),
        images=replace(images, max_images=given(limits.max_images, images.max_images),
                       alt_limit=given(limits.alt_limit, images.alt_limit),
                       max_bytes=given(limits.image_bytes, images.max_bytes)),
    )


# Defaults when the server is not asked (../shared/PLATFORMS.md, "Mastodon"): 500 characters,
# 23 per URL, 4 images of 16 MB, alt text 1500.
RULES = NetworkRules(
    name="mastodon",
    display="Mastodon",
    limit=MASTODON_DEFAULT_LIMIT,
    unit="characters",
    measure=StatusLength(),
    thread=True,
    max_hashtags=4,
    images=ImageRules(size=(1600, 900), max_bytes=16 * 1_000_000, max_images=4, alt_limit=1500),
    brand_section=BrandSection(frozenset({"visibility", "content_warning"}), parse_options),
    reserve=content_warning,
    part_payload=visibility_and_warning,
    server=on_server,
)
