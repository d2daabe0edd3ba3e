"""What an import found on a page, a feed item or pasted text, before it is written as a post."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    """An image of the article: where it is (a URL, or a local path), its alt text, caption."""

    src: str | None
    alt: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Dropped:
    """A paragraph left out of the post, and why (the author can check nothing of hers went)."""

    text: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "reason": self.reason}


@dataclass
class Article:
    """The post as found: `paragraphs` are Markdown, in order; nothing here is written yet."""

    title: str | None = None
    link: str | None = None
    published: str | None = None  # "YYYY-MM-DD", as the page or feed gives it
    paragraphs: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    site: str = "text"  # which reader found it: wix, wordpress, ghost, substack, extractor, text
    hashtags: list[str] = field(default_factory=list)
    cover: str | None = None  # the page's own image (JSON-LD, Open Graph): no alt text known

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title, "link": self.link, "published": self.published,
            "site": self.site, "paragraphs": len(self.paragraphs),
            "dropped": [d.to_json() for d in self.dropped], "notes": list(self.notes),
        }
