"""Feeds (RSS 2.0, Atom, RSS 1.0) read safely: the items, with their guid, link and content.

The XML is first parsed by defusedxml with entity declarations forbidden: a feed never needs
them, and they are how an XML bomb (billion laughs, quadratic blow-up) or an external entity
gets in. Only a document that passes is handed to feedparser, which then reads it leniently.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeTree
import feedparser
from defusedxml import DefusedXmlException


class FeedProblem(ValueError):
    """The document is not a feed Crier can read; the message says why."""


@dataclass(frozen=True)
class FeedItem:
    guid: str
    link: str | None
    title: str | None
    published: str | None  # "YYYY-MM-DD"
    published_ts: float | None  # for ordering
    content: str | None  # the full post as HTML (content:encoded, Atom content)
    summary: str | None  # an excerpt (RSS description)


@dataclass(frozen=True)
class Feed:
    title: str | None
    link: str | None
    generator: str
    items: tuple[FeedItem, ...]


def check_xml(data: bytes) -> None:
    """Refuse a document that declares entities or is not well-formed XML."""
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise FeedProblem("is an HTML page, not a feed")
    try:
        SafeTree.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedProblem(f"declares XML entities ({type(exc).__name__}), which a feed never "
                          "needs; refused (an XML bomb or an external entity)") from None
    except SafeTree.ParseError as exc:
        raise FeedProblem(f"is not well-formed XML ({exc})") from None


def parse_feed(data: bytes) -> Feed:
    check_xml(data)
    parsed: Any = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    version = parsed.get("version") or ""
    if not version:
        raise FeedProblem("is XML but not an RSS or Atom feed")
    meta = parsed.get("feed", {})
    items = tuple(_item(entry) for entry in parsed.get("entries", []))
    return Feed(meta.get("title"), meta.get("link"), str(meta.get("generator") or ""), items)


def _item(entry: Any) -> FeedItem:
    link = entry.get("link") or None
    guid = entry.get("id") or link or ""
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    content = None
    for block in entry.get("content", []) or []:
        if block.get("value") and "html" in (block.get("type") or "text/html"):
            content = block["value"]
            break
    summary = entry.get("summary") or None
    if content is not None and summary is not None and content.strip() == summary.strip():
        summary = None
    return FeedItem(
        guid=str(guid), link=str(link) if link else None, title=entry.get("title") or None,
        published=f"{when.tm_year:04d}-{when.tm_mon:02d}-{when.tm_mday:02d}" if when else None,
        published_ts=float(calendar.timegm(when)) if when else None,
        content=content, summary=summary,
    )
