"""From the blog to the queue: a post imported from its page, its feed or pasted text.

`import_source` reads what the author points at (a page URL, a saved .html file, a feed URL or
file, a pasted-text file), leaves out page chrome and the brand's own closing lines, downloads
the images through the safe decoder and writes a post file (Markdown with front matter) with
its photos beside it. Nothing is written unless everything succeeded. `watch.poll_feeds` is
the daemon's side: feeds polled, new items imported and queued (or kept as drafts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from content.brand import Brand
from content.errors import CrierError, PostError
from content.images.errors import ImageError
from content.images.quotes import choose_quote
from content.post import markdown_to_text, parse_post
from scheduler.importer.article import Article, Dropped, Figure
from scheduler.importer.brandlines import brand_lines, drop_brand_lines
from scheduler.importer.feeds import Feed, FeedItem, FeedProblem, parse_feed
from scheduler.importer.fetch import FEED_TYPES, Fetch, Fetched, Fetcher, FetchError
from scheduler.importer.pages import NoArticle, read_fragment, read_page
from scheduler.importer.pasted import read_pasted
from scheduler.importer.write import Photo, clean_photo, post_name, render_post, write_import

LOCAL_LIMIT = 20 * 1024 * 1024  # bytes: a local file larger than this is not a post


class ImportFailed(CrierError):
    """An import that could not be done; the message names the source and the reason, and
    says that nothing was written."""


@dataclass
class Imported:
    """One post file written by an import, and what was found on the way."""

    path: Path
    source: str
    article: Article
    photos: list[Photo]
    quote: str | None
    guid: str | None = None  # the feed item it came from
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = self.article.to_json()
        data.update({
            "path": str(self.path), "source": self.source, "quote": self.quote,
            "images": [{"path": str(self.path.parent / p.name), "alt": p.alt,
                        "caption": p.caption, "source": p.source,
                        "width": p.width, "height": p.height} for p in self.photos],
        })
        if self.guid is not None:
            data["guid"] = self.guid
        return data


@dataclass(frozen=True)
class Options:
    """What the author asked of one import."""

    posts_dir: Path = Path("posts")
    out: Path | None = None  # the post file; None: a name made from the link's hash
    image: Path | None = None  # for pasted text: the photo its description lines describe
    link: str | None = None  # the post's address, when the source does not say it
    force: bool = False  # overwrite an existing post file
    every_item: bool = False  # a feed: every item, not only the newest
    extractor: str = "trafilatura"


def import_source(source: str, brand: Brand, options: Options,
                  fetch: Fetch | None = None) -> list[Imported]:
    """Import `source`; returns the post files written (one, or a feed's items with
    `every_item`). Raises ImportFailed, and then nothing was written."""
    fetch = fetch or Fetcher()
    if source.startswith(("http://", "https://")):
        got = _fetch(fetch, source, "any")
        if got.content_type in FEED_TYPES:
            return _import_feed(got.body, got.url, brand, options, fetch)
        return [_finish(_page(got.body, got.url, options), got.url, brand, options, fetch)]
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]+:", source) and not Path(source).exists():
        raise ImportFailed(f"{source}: only http and https addresses are fetched; for a file "
                           "on this computer give its path")
    path = Path(source)
    data = _read_local(path)
    head = data[:512].lstrip().lower()
    if path.suffix.lower() in (".xml", ".rss", ".atom") or head.startswith(
            (b"<?xml", b"<rss", b"<feed", b"<rdf")):
        return _import_feed(data, options.link or str(path), brand, options, fetch)
    if path.suffix.lower() in (".html", ".htm") or head.startswith((b"<!doctype", b"<html")):
        article = _page(data, options.link, options)
        return [_finish(article, str(path), brand, options, fetch, local_dir=path.parent)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8; "
                           "nothing was written") from None
    article = read_pasted(text)
    article.link = options.link
    return [_finish(article, str(path), brand, options, fetch, pasted=True)]


def import_item(item: FeedItem, feed_url: str, brand: Brand, options: Options,
                fetch: Fetch) -> Imported:
    """One feed item: its full content when the feed carries it (WordPress, Ghost,
    Substack), else its page fetched (Wix's feed has only an excerpt)."""
    link = item.link or (item.guid if item.guid.startswith(("http://", "https://")) else None)
    name = f"feed item {item.title or item.guid!r} of {feed_url}"
    if link is None:
        raise ImportFailed(f"{name}: the item has no link, so readers could not be pointed "
                           "to the post; nothing was written")
    if item.content and len(item.content) > len(item.summary or ""):
        article = Article(site="feed")
        try:
            read_fragment(item.content, link, article)
        except ValueError as exc:
            raise ImportFailed(f"{name}: {exc}; nothing was written") from None
        article.title, article.link, article.published = item.title, link, item.published
    else:
        got = _fetch(fetch, link, "page")
        article = _page(got.body, got.url, options)
        article.title = article.title or item.title
        article.link = article.link or link
        article.published = article.published or item.published
    done = _finish(article, link, brand, options, fetch)
    done.guid = item.guid
    return done


def read_feed(url_or_data: str | bytes, fetch: Fetch, *, etag: str | None = None,
              last_modified: str | None = None) -> tuple[Fetched | None, Feed | None]:
    """A feed fetched (conditionally) and parsed; (response, None) when not modified."""
    if isinstance(url_or_data, bytes):
        return None, _parse(url_or_data, "<feed>")
    got = _fetch(fetch, url_or_data, "feed", etag=etag, last_modified=last_modified)
    if got.not_modified:
        return got, None
    return got, _parse(got.body, got.url)


def _parse(data: bytes, where: str) -> Feed:
    try:
        return parse_feed(data)
    except FeedProblem as exc:
        raise ImportFailed(f"{where}: {exc}; nothing was imported") from None


def _import_feed(data: bytes, url: str, brand: Brand, options: Options,
                 fetch: Fetch) -> list[Imported]:
    feed = _parse(data, url)
    if not feed.items:
        raise ImportFailed(f"{url}: the feed has no items; nothing was imported")
    items = list(feed.items)
    if not options.every_item:
        items = [max(items, key=lambda i: i.published_ts or 0.0)] if any(
            i.published_ts for i in items) else items[:1]
    if options.out is not None and len(items) > 1:
        raise ImportFailed(f"{url}: -o names one file, the feed has {len(items)} items; "
                           "leave -o out to name them from their links")
    done: list[Imported] = []
    for item in items:
        try:
            done.append(import_item(item, url, brand, options, fetch))
        except ImportFailed as exc:
            if not done:
                raise
            # Each post is whole or absent; say which ones this run did write.
            raise ImportFailed(f"{exc} (for this item; the {len(done)} before it were "
                               f"imported: {', '.join(str(d.path) for d in done)})") from None
    return done


def _page(data: bytes, url: str | None, options: Options) -> Article:
    try:
        return read_page(data, url, extractor=options.extractor)
    except NoArticle as exc:
        raise ImportFailed(f"{url or 'the page'}: {exc}; nothing was written") from None


def _fetch(fetch: Fetch, url: str, kind: str, **conditional: str | None) -> Fetched:
    try:
        got: Fetched = fetch(url, kind, **conditional)
    except FetchError as exc:
        raise ImportFailed(f"{exc}; nothing was written") from None
    return got


def _read_local(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > LOCAL_LIMIT:
            raise ImportFailed(f"{path}: {size / 1e6:.0f} MB is too large for a post; "
                               "nothing was written")
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFailed(f"{path}: is a folder; give a page, feed or text file") from None
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read: {exc.strerror}") from None


def _finish(article: Article, source: str, brand: Brand, options: Options, fetch: Fetch, *,
            local_dir: Path | None = None, pasted: bool = False) -> Imported:
    kept, dropped, notes = drop_brand_lines(article.paragraphs, brand_lines(brand))
    article.paragraphs = kept
    article.dropped += dropped
    article.notes += notes
    if not article.paragraphs:
        raise ImportFailed(f"{source}: nothing of the post is left once the page chrome and "
                           "your closing lines are left out; nothing was written")
    photos = _photos(article, source, options, fetch, local_dir, pasted)
    # The quote comes from prose: a heading run into a list item reads as nothing on a card.
    prose = [p for p in article.paragraphs if not re.match(r"(#|- |\d+\. )", p)]
    quote = choose_quote(markdown_to_text("\n\n".join(prose or article.paragraphs)),
                         article.title) or None
    cover = _cover(article, source, fetch) if not photos and not pasted else None
    path = options.out or options.posts_dir / post_name(article)
    text = render_post(article, photos, quote, source, cover)
    try:
        parse_post(text, str(path))  # what is written is a post Crier can queue
    except PostError as exc:
        raise ImportFailed(f"{source}: the imported post would not be valid ({exc}); "
                           "nothing was written") from None
    if path.exists() and not options.force:
        raise ImportFailed(f"{path} already exists (imported before?); pass --force to "
                           "replace it, or -o to write elsewhere; nothing was written")
    try:
        write_import(path, text, photos + ([cover] if cover else []))
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot write: {exc.strerror or exc}") from None
    return Imported(path, source, article, photos, quote)


def _cover(article: Article, source: str, fetch: Fetch) -> Photo | None:
    """The page's cover image, when its text has none: fetched like the others (a broken
    one fails the import: nothing half-done), written for the author to describe."""
    if not article.cover or not _is_url(article.cover):
        return None
    data, where = _image_bytes(article.cover, source, fetch, None)
    try:
        return clean_photo(data, where, "", "")
    except ImageError as exc:
        raise ImportFailed(f"{source}: image {where}: {exc}; nothing was written") from None


def _photos(article: Article, source: str, options: Options, fetch: Fetch,
            local_dir: Path | None, pasted: bool) -> list[Photo]:
    figures = list(article.figures)
    if pasted:
        if options.image is None:
            for figure in figures:
                article.dropped.append(Dropped(
                    "\n".join(t for t in (figure.alt, figure.caption) if t),
                    "photo description (no --image given)"))
            if figures:
                article.notes.append("the lines describing a photo were left out; pass "
                                     "--image PHOTO to import the photo with them as its alt "
                                     "text")
            article.figures = []
            return []
        if not figures:
            article.notes.append(f"no lines describing {options.image} were found; write its "
                                 "alt text in the post file")
            figures = [Figure(None)]
        for extra in figures[1:]:
            article.dropped.append(Dropped(extra.alt, "photo description (one --image only)"))
        figures = figures[:1]
        figures[0].src = str(options.image)
        local_dir = Path(".")
    photos = []
    for figure in figures:
        src = figure.src or ""
        data, where = _image_bytes(src, source, fetch, local_dir if not _is_url(src) else None)
        try:
            photos.append(clean_photo(data, where, figure.alt, figure.caption))
        except ImageError as exc:
            raise ImportFailed(f"{source}: image {where}: {exc}; nothing was written") from None
        if not figure.alt:
            article.notes.append(f"image {where} has no alt text on the page; describe it in "
                                 "the post file before queueing")
    article.figures = figures
    return photos


def _is_url(src: str) -> bool:
    return urlsplit(src).scheme in ("http", "https")


def _image_bytes(src: str, source: str, fetch: Fetch, local_dir: Path | None
                 ) -> tuple[bytes, str]:
    if _is_url(src):
        try:
            got: Fetched = fetch(src, "image")
        except FetchError as exc:
            raise ImportFailed(f"{source}: image {exc}; nothing was written") from None
        return got.body, src
    if local_dir is None or not src:
        raise ImportFailed(f"{source}: image {src!r} has no address Crier can fetch; "
                           "nothing was written")
    path = Path(src) if Path(src).is_absolute() else local_dir / src
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise ImportFailed(f"{source}: image {path}: {exc.strerror or exc}; nothing was "
                           "written") from None


__all__ = ["ImportFailed", "Imported", "Options", "import_item", "import_source", "read_feed"]
