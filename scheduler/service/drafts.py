"""A post as the composer holds it (a draft), to and from the post file's Markdown, and what
each network would receive for it, with every problem tied to the field that causes it.

The draft keeps the body as the author typed it (Markdown); the post file it serializes to is
the same file the CLI reads, and the preview parses that very text with the same parser,
formatter and renderer as queueing, so what the desk shows is what goes out.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, UnidentifiedImageError

from content.brand import Brand
from content.compose import compose, target_platforms
from content.delivery import Delivery
from content.errors import CrierError, PostError
from content.images.render import RenderedImage
from content.networks import NetworkRules, rules_for
from content.post import Post, parse_post
from scheduler.images import render_delivery_images

# The composer's fields, in the order the page shows them; problems are keyed by these.
FIELDS = ("title", "body", "link", "hashtags", "quote", "images", "platforms", "when")
PHOTO_BYTES = 15 * 1024 * 1024  # an upload larger than this is refused before it is read
PHOTO_PIXELS = 60_000_000  # more than this is a decompression bomb, not a photo
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class DraftImage:
    path: str  # relative to the draft's folder, as in the post file
    alt: str | None  # None: not written yet (a problem); "": empty on purpose


@dataclass(frozen=True)
class Draft:
    """The composer's content. `extra` keeps front matter keys the composer has no field for
    (thread, numbering, at, timezone), so a file saved back keeps them."""

    body: str = ""
    title: str = ""
    link: str = ""
    hashtags: str = ""  # as typed: "Psychiatry, #Depression"
    quote: str = ""
    images: tuple[DraftImage, ...] = ()
    platforms: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class PhotoError(CrierError):
    """An upload that is not an image Crier can use; the message says why."""


_FRONT = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*\n?", re.DOTALL | re.MULTILINE)


def draft_from_text(raw: str, source: str = "<draft>") -> Draft:
    """A post file's text as a draft (the body's Markdown kept as written). Raises PostError
    when the front matter cannot be read."""
    text = raw.removeprefix("\ufeff").replace("\r\n", "\n")
    meta: dict[str, Any] = {}
    match = _FRONT.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise PostError(f"{source}: the front matter is not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise PostError(f"{source}: the front matter must be 'key: value' lines")
        meta = {str(k): v for k, v in loaded.items()}
        text = text[match.end():]
    images = tuple(
        DraftImage(str(i.get("path", "")), None if i.get("alt") is None else str(i["alt"]))
        for i in (meta.pop("images", None) or []) if isinstance(i, dict))
    tags = meta.pop("hashtags", None) or []
    platforms = meta.pop("platforms", None) or []
    return Draft(
        body=text.lstrip("\n"),
        title=_str(meta.pop("title", None)),
        link=_str(meta.pop("link", None)),
        hashtags=", ".join(map(str, tags)) if isinstance(tags, list) else str(tags),
        quote=_str(meta.pop("quote", None)),
        images=images,
        platforms=tuple(str(p) for p in platforms) if isinstance(platforms, list)
        else tuple(p for p in re.split(r"[\s,]+", str(platforms)) if p),
        extra=meta,
    )


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def draft_to_text(draft: Draft) -> str:
    """The post file for a draft: YAML front matter (only the keys that are set), then the
    body's Markdown as typed."""
    meta: dict[str, Any] = {}
    for key in ("title", "link", "quote"):
        value = getattr(draft, key).strip()
        if value:
            meta[key] = value
    tags = [t.lstrip("#＃") for t in re.split(r"[\s,]+", draft.hashtags) if t.strip("#＃ ")]
    if tags:
        meta["hashtags"] = tags
    if draft.platforms:
        meta["platforms"] = list(draft.platforms)
    if draft.images:
        meta["images"] = [{"path": i.path, "alt": i.alt} for i in draft.images]
    meta.update({k: v for k, v in draft.extra.items() if v is not None})
    return _front_matter(meta) + draft.body.rstrip("\n") + "\n"


def _front_matter(meta: dict[str, Any]) -> str:
    if not meta:
        return ""
    block = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{block}---\n"


def serialize_post(post: Post) -> str:
    """A parsed post written back as a post file; `parse_post` of it gives the same Post.
    The body is already plain text, which is Markdown that reads as itself."""
    meta: dict[str, Any] = {}
    for key in ("title", "link"):
        if getattr(post, key) is not None:
            meta[key] = getattr(post, key)
    if post.hashtags:
        meta["hashtags"] = list(post.hashtags)
    if post.platforms:
        meta["platforms"] = list(post.platforms)
    for key in ("at", "timezone", "quote"):
        if getattr(post, key) is not None:
            meta[key] = getattr(post, key)
    if post.images:
        meta["images"] = [{"path": i.path, "alt": i.alt} for i in post.images]
    for key in ("thread", "numbering", "shape", "max_parts"):
        if getattr(post, key) is not None:
            meta[key] = getattr(post, key)
    for key in ("quotes", "hooks"):
        if getattr(post, key):
            meta[key] = list(getattr(post, key))
    if post.repeat is not None:
        meta["repeat"] = {"every": post.repeat.written, "times": post.repeat.times}
    for network, override in post.overrides.items():
        meta[network] = {name: list(value) if isinstance(value, tuple) else value
                         for name in override.fields
                         for value in (getattr(override, name),)}
    return _front_matter(meta) + post.body + "\n"


# -- the preview -------------------------------------------------------------------------------

@dataclass(frozen=True)
class NetworkPreview:
    """One network's delivery as it would be sent (or why it cannot be), and its images."""

    network: str
    rules: NetworkRules
    delivery: Delivery | None
    images: list[list[RenderedImage]]  # per part
    problem: str | None = None


@dataclass(frozen=True)
class DraftPreview:
    text: str  # the post file this preview was made from
    post: Post | None
    networks: list[NetworkPreview]
    problems: dict[str, list[str]]  # field -> what is wrong with it

    @property
    def ok(self) -> bool:
        return not self.problems and all(n.problem is None for n in self.networks)


# Which composer field a parser or renderer message is about: the key it names.
_FIELD_WORDS = (("alt text", "images"), ("image", "images"), ("photo", "images"),
                ("hashtag", "hashtags"), ("link", "link"), ("quote", "quote"),
                ("title", "title"), ("platforms", "platforms"), ("network", "platforms"),
                ("timezone", "when"), ("at ", "when"))


def field_of(message: str) -> str:
    """The field a message is about (the body when it names none)."""
    lowered = message.split(": ", 1)[-1].lower()
    for word, name in _FIELD_WORDS:
        if lowered.startswith(word) or f" {word}" in lowered[:40]:
            return name
    return "body"


def preview_draft(draft: Draft, base: Path, brand: Brand, *, with_images: bool = True,
                  source: str = "draft") -> DraftPreview:
    """Every selected network's delivery for the draft, through the parser, formatter and
    renderer that queueing uses; each problem keyed by the field that causes it."""
    problems: dict[str, list[str]] = {}
    for number, image in enumerate(draft.images, 1):
        if image.alt is None:
            problems.setdefault("images", []).append(
                f"photo {number} ({Path(image.path).name}) has no alt text: describe it, or "
                "tick \"no alt text\" to post it without one on purpose")
    if not draft.body.strip():
        problems.setdefault("body", []).append("write the post's text")
    if not draft.platforms:
        problems.setdefault("platforms", []).append("choose at least one network")
    text = draft_to_text(_with_empty_alts(draft))
    post = None
    try:
        post = parse_post(text, source)
    except CrierError as exc:
        message = str(exc).removeprefix(f"{source}: ")
        if "no body" not in message:
            problems.setdefault(field_of(message), []).append(message)
    networks: list[NetworkPreview] = []
    if post is not None and draft.platforms:
        for name in target_platforms(post, brand):
            networks.append(_network(post, brand, name, base, with_images))
        for net in networks:
            if net.problem:
                problems.setdefault(field_of(net.problem), []).append(
                    f"{net.rules.display}: {net.problem}")
    return DraftPreview(text, post, networks, problems)


def _with_empty_alts(draft: Draft) -> Draft:
    # A missing alt text is reported above, by field; the rest of the preview still shows.
    images = tuple(DraftImage(i.path, "" if i.alt is None else i.alt) for i in draft.images)
    return Draft(draft.body, draft.title, draft.link, draft.hashtags, draft.quote, images,
                 draft.platforms, draft.extra)


def _network(post: Post, brand: Brand, name: str, base: Path, with_images: bool
             ) -> NetworkPreview:
    rules = rules_for(name)
    try:
        delivery = compose(post, brand, rules)
    except CrierError as exc:
        return NetworkPreview(name, rules, None, [], str(exc).removeprefix(f"{name}: "))
    if rules.images.required and not any(part.images for part in delivery.parts):
        return NetworkPreview(name, rules, delivery, [],
                              f"{rules.display} takes no post without an image: add a photo")
    images: list[list[RenderedImage]] = []
    if with_images:
        try:
            images = render_delivery_images(delivery, base / "draft.md", brand)
        except CrierError as exc:
            return NetworkPreview(name, rules, delivery, [], str(exc))
    return NetworkPreview(name, rules, delivery, images)


# -- photos ------------------------------------------------------------------------------------

def save_photo(data: bytes, folder: Path) -> Path:
    """Check that `data` is an image Pillow can read (and not a decompression bomb), then store
    it under its content hash in `folder`; returns its path. Nothing is stored otherwise."""
    if len(data) > PHOTO_BYTES:
        raise PhotoError(f"the photo is {len(data) // 1_000_000} MB; the most is "
                         f"{PHOTO_BYTES // 1_000_000} MB")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            width, height = probe.size
            probe.verify()
        if width * height > PHOTO_PIXELS:
            raise PhotoError(f"the photo is {width}x{height} pixels, too large to open safely")
        with Image.open(io.BytesIO(data)) as full:
            full.load()  # verify() checks the structure; a truncated image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise PhotoError(f"this file is not an image Crier can read ({type(exc).__name__}); "
                         "upload a JPEG, PNG, WebP or GIF") from None
    if kind not in PHOTO_FORMATS:
        raise PhotoError(f"{kind or 'this'} images are not taken; upload a JPEG, PNG, WebP or GIF")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:20]}.{PHOTO_FORMATS[kind]}"
    if not path.exists():
        path.write_bytes(data)
    return path


# -- what the preview marks ----------------------------------------------------------------------

def closing_blocks(brand: Brand, platform: str) -> list[tuple[str, str]]:
    """(text, kind) of each closing block as `platform` receives it (escaped where it escapes
    text): the full and short disclaimer, and the network's call to action."""
    as_sent = rules_for(platform).escape
    return [(as_sent(brand.disclaimer), "disclaimer"),
            (as_sent(brand.disclaimer_short), "disclaimer"),
            (as_sent(brand.call_to_action_for(platform)), "call_to_action")]


def marked(text: str, brand: Brand, platform: str) -> list[tuple[str, str | None]]:
    """The part's text cut into runs, each None or "disclaimer" / "call_to_action": where the
    closing blocks sit in what is sent (a network that escapes text is searched escaped)."""
    spans: list[tuple[int, int, str]] = []
    for block, kind in closing_blocks(brand, platform):
        at = text.rfind(block) if block else -1
        if at >= 0 and not any(s <= at < e for s, e, _ in spans):
            spans.append((at, at + len(block), kind))
    runs: list[tuple[str, str | None]] = []
    pos = 0
    for start, end, kind in sorted(spans):
        if start > pos:
            runs.append((text[pos:start], None))
        runs.append((text[start:end], kind))
        pos = end
    if pos < len(text):
        runs.append((text[pos:], None))
    return runs
