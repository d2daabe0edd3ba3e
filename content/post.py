"""The author's post: a Markdown file with YAML front matter, parsed and checked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from content.errors import PostError
from content.networks import NETWORK_NAMES, check_platform
from content.overrides import Override, Readers, check_max_parts, check_shape, parse_override
from content.repeat import Repeat, parse_repeat
from content.text import find_bad_code_point, find_control, normalize, where

KEYS = (
    "title", "link", "hashtags", "platforms", "at", "timezone",
    "quote", "images", "thread", "numbering",
    # Shapes, overrides and evergreen reposts (issue 15); a network's name is its override.
    "shape", "max_parts", "quotes", "hooks", "repeat", *NETWORK_NAMES,
)
_HASHTAG = re.compile(r"^[^\s#＃.,;:!?()\[\]{}'\"]+$")


@dataclass(frozen=True)
class Image:
    """An author's photo: a path relative to the post file and its alt text ("" only on purpose)."""

    path: str
    alt: str


@dataclass(frozen=True)
class Post:
    """What the author wrote, once. `body` is plain text: Markdown marks are already removed."""

    body: str
    title: str | None = None
    link: str | None = None
    hashtags: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()  # empty: every network the brand configures
    at: str | None = None  # wall time "YYYY-MM-DD HH:MM" in `timezone`
    timezone: str | None = None
    quote: str | None = None
    images: tuple[Image, ...] = ()
    thread: bool | None = None  # None: the network's default
    numbering: bool | None = None
    shape: str | None = None  # None: the brand's for the network, else whole
    max_parts: int | None = None  # a teaser's length; None: the brand's, else the default
    quotes: tuple[str, ...] = ()  # more quotes, one per evergreen round
    hooks: tuple[str, ...] = ()  # other openings than the title, one per evergreen round
    repeat: Repeat | None = None
    overrides: Mapping[str, Override] = field(default_factory=dict)  # by network
    source: str = field(default="<post>", compare=False)

    @property
    def text(self) -> str:
        """Title and body as one text: what the formatter distributes over the parts."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body


def parse_post(raw: str, source: str = "<post>") -> Post:
    """Parse a post file's text. Raises PostError naming the problem and how to fix it."""
    raw = raw.removeprefix("\ufeff")
    control = find_control(raw)
    if control:
        raise PostError(
            f"{source}: {control[1]} at {where(raw, control[0])}; remove it (it is invisible, "
            "usually left over from a copy and paste or a damaged file)")
    meta, body_md = _split_front_matter(raw, source)
    unknown = sorted(set(meta) - set(KEYS))
    if unknown:
        raise PostError(
            f"{source}: unknown front matter key(s) {', '.join(unknown)}; "
            f"the keys are: {', '.join(KEYS)}"
        )
    body = markdown_to_text(body_md)
    if not body.strip():
        raise PostError(f"{source}: the post has no body; write the text below the front matter")
    for name, value in (("body", body), *((k, v) for k, v in meta.items() if isinstance(v, str))):
        bad = find_bad_code_point(value)
        if bad:
            raise PostError(
                f"{source}: {name} contains {bad[1]} at {where(value, bad[0])}; "
                "remove it (it is usually left over from a copy and paste)"
            )
    return Post(
        body=body,
        title=_opt_str(meta, "title", source),
        link=_link(meta, source),
        hashtags=_hashtags(meta.get("hashtags"), source),
        platforms=_platforms(meta.get("platforms"), source),
        at=_at(meta.get("at"), source),
        timezone=_opt_str(meta, "timezone", source),
        quote=_opt_str(meta, "quote", source),
        images=_images(meta.get("images"), source),
        thread=_opt_bool(meta, "thread", source),
        numbering=_opt_bool(meta, "numbering", source),
        shape=check_shape(meta.get("shape"), f"{source}:"),
        max_parts=check_max_parts(meta.get("max_parts"), f"{source}:"),
        quotes=_texts(meta.get("quotes"), "quotes", source),
        hooks=_texts(meta.get("hooks"), "hooks", source),
        repeat=parse_repeat(meta.get("repeat"), source),
        overrides={name: parse_override(name, meta[name], source, _READERS)
                   for name in NETWORK_NAMES if name in meta},
        source=source,
    )


def _texts(value: Any, key: str, source: str) -> tuple[str, ...]:
    """A list of short texts (quotes, hooks), each normalized, blanks and repeats left out."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PostError(f"{source}: {key} must be a list of texts, e.g. [\"First.\", \"Second.\"]")
    for text in value:
        bad = find_bad_code_point(text)
        if bad:
            raise PostError(f"{source}: {key} contains {bad[1]}; remove it")
    return tuple(dict.fromkeys(t for t in (normalize(v) for v in value) if t))


def _split_front_matter(raw: str, source: str) -> tuple[dict[str, Any], str]:
    text = raw.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return {}, text
    end = re.search(r"^---[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        raise PostError(f"{source}: the front matter opened with '---' is never closed with '---'")
    block = text[4 : 4 + end.start()]
    try:
        meta = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        # The context mark points at what was opened and never closed: nearer the mistake.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PostError(f"{source}: the front matter is not valid YAML{at}: {problem}") from None
    if not isinstance(meta, dict):
        raise PostError(f"{source}: the front matter must be 'key: value' lines")
    return {str(k): v for k, v in meta.items()}, text[4 + end.end() :]


_LINK = re.compile(r"\[([^\]\n]+)\]\((\S+?)\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)


def markdown_to_text(markdown: str) -> str:
    """The plain text a social post can carry: headings, emphasis and link syntax removed."""
    text = _HEADING.sub(r"\1", markdown)
    text = _LINK.sub(r"\1 (\2)", text)
    text = _STRONG.sub(r"\2", text)
    text = _EM.sub(r"\1", text)
    return normalize(text)


def _opt_str(meta: dict[str, Any], key: str, source: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise PostError(f"{source}: {key} must be text, got {type(value).__name__}")
    text = normalize(str(value))
    return text or None


def _opt_str_where(meta: Mapping[str, Any], key: str, where: str) -> str | None:
    """An override's optional text; `where` already names the post and the network."""
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise PostError(f"{where} {key} must be text, got {type(value).__name__}")
    return normalize(str(value)) or None


def _opt_bool(meta: dict[str, Any], key: str, source: str) -> bool | None:
    value = meta.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise PostError(f"{source}: {key} must be true or false, got {value!r}")


def _link(meta: dict[str, Any], source: str) -> str | None:
    link = _opt_str(meta, "link", source)
    if link and (not re.match(r"^https?://[^\s/]+\.[^\s]+$", link)):
        raise PostError(f"{source}: link must be a full http(s) address, got {link!r}")
    return link


def _hashtags(value: Any, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = re.split(r"[\s,]+", value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise PostError(f"{source}: hashtags must be a list, e.g. [mentalhealth, psychiatry]")
    tags: list[str] = []
    for item in items:
        tag = str(item).strip().lstrip("#＃")
        if not tag:
            continue
        if not _HASHTAG.match(tag) or tag.isdigit():
            raise PostError(
                f"{source}: {item!r} is not a usable hashtag (no spaces or punctuation, "
                "not only digits)"
            )
        if tag.casefold() not in (t.casefold() for t in tags):
            tags.append(tag)
    return tuple(tags)


def _platforms(value: Any, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = re.split(r"[\s,]+", value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise PostError(
            f"{source}: platforms must be a list, e.g. [{', '.join(NETWORK_NAMES[:2])}]")
    names = [str(item).strip().lower() for item in items if str(item).strip()]
    try:
        return tuple(dict.fromkeys(check_platform(name) for name in names))
    except Exception as exc:
        raise PostError(f"{source}: {exc}") from None


def _at(value: Any, source: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        raise PostError(f"{source}: at needs a time too: \"{value.isoformat()} 09:00\"")
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text):
        raise PostError(f"{source}: at must be \"YYYY-MM-DD HH:MM\" (local time), got {text!r}")
    return text


def _images(value: Any, source: str) -> tuple[Image, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PostError(f"{source}: images must be a list of {{path, alt}} entries")
    images: list[Image] = []
    for number, entry in enumerate(value, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise PostError(f"{source}: image {number} needs a path, e.g. - path: photo.jpg")
        if "alt" not in entry or entry["alt"] is None:
            raise PostError(
                f"{source}: image {number} ({entry['path']}) has no alt text; describe it with "
                "alt: \"...\" (or write alt: \"\" to post it without one on purpose)"
            )
        images.append(Image(path=entry["path"], alt=normalize(str(entry["alt"]))))
    return tuple(images)


_READERS = Readers(
    text=_opt_str_where,
    body=markdown_to_text,
    hashtags=_hashtags,
)


__all__ = ["Image", "Post", "parse_post", "markdown_to_text"]
