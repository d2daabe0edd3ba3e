"""A blog post's HTML page (or a feed item's HTML content) made an Article.

Metadata first: JSON-LD (`BlogPosting`, `Article`: title, date, image), Open Graph, the
canonical link. Then the body: on the sites the author may use, their own post-content element
(Wix's post description, WordPress's entry content, Ghost's gh-content, Substack's body
markup); on any other page, a main-content extractor. The body element is then read block by
block into Markdown paragraphs and figures (an image with its alt text and caption), leaving
out scripts, navigation, share and comment widgets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html

from scheduler.importer.article import Article, Dropped, Figure
from scheduler.importer.chrome import is_chrome

# The post's own content element on each site, most specific first.
SITE_CONTENT: dict[str, tuple[str, ...]] = {
    "wix": ('//*[@data-hook="post-description"]', '//*[@data-id="content-viewer"]',
            "//article"),
    "wordpress": ('//*[contains(concat(" ", normalize-space(@class), " "), " entry-content ")]',
                  '//*[contains(concat(" ", normalize-space(@class), " "), " post-content ")]'),
    "ghost": ('//*[contains(concat(" ", normalize-space(@class), " "), " gh-content ")]',
              '//*[contains(concat(" ", normalize-space(@class), " "), " post-content ")]'),
    "substack": ('//*[contains(concat(" ", normalize-space(@class), " "), " available-content ")]'
                 '//*[contains(concat(" ", normalize-space(@class), " "), " markup ")]',
                 '//*[contains(concat(" ", normalize-space(@class), " "), " body ")]'),
}
_SKIP_TAGS = frozenset({"script", "style", "noscript", "nav", "aside", "footer", "form",
                        "button", "iframe", "svg", "template", "input", "select", "textarea",
                        "header", "object", "embed", "video", "audio", "canvas", "dialog"})
# Widgets named by class, id, data-hook or role, inside the content element too.
_WIDGET = re.compile(r"share|social|comment|related|subscri|newsletter|like-button|"
                     r"sharing|author-bio|post-footer|tags?-list|breadcrumb|sidebar|"
                     r"navigation|cookie|banner|advert|promo|recirc", re.I)
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote",
                     "figure", "pre", "table", "hr", "div", "section", "article", "main",
                     "img", "picture", "dl"})
_ARTICLE_TYPES = {"blogposting", "article", "newsarticle", "report", "socialmediaposting"}
_BR = "\x00"  # a <br> while text is gathered: every white space of the source is a space
_FILE_NAME = re.compile(r"[\w\- .~()]+\.(jpe?g|png|webp|gif|heic|avif)", re.I)
MIN_TEXT = 200  # characters of paragraphs below which a page holds no usable article


class NoArticle(ValueError):
    """The page has no article Crier can find (a home page, a login wall, an empty shell)."""


def parse_html(data: bytes | str, url: str | None) -> Any:
    """The document, parsed leniently (it is HTML, not XML: no entities are expanded)."""
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                      encoding="utf-8")
    return lxml.html.document_fromstring(data, parser=parser, base_url=url)


def site_of(doc: Any, url: str | None) -> str | None:
    generator = " ".join(doc.xpath('//meta[@name="generator"]/@content')).lower()
    host = (urlsplit(url).hostname or "") if url else ""
    if "wix" in generator or doc.xpath('//*[@data-hook="post-description"]'):
        return "wix"
    if "wordpress" in generator:
        return "wordpress"
    if "ghost" in generator:
        return "ghost"
    if host.endswith("substack.com") or "substack" in generator or doc.xpath(
            '//*[contains(@class, "available-content")]'):
        return "substack"
    return None


def read_page(data: bytes | str, url: str | None, *, extractor: str = "trafilatura",
              site_rules: bool = True) -> Article:
    """The article of a post page (through the extractor alone with `site_rules` False).
    Raises NoArticle when there is none."""
    doc = parse_html(data, url)
    base = _base(doc, url)
    article = Article()
    _metadata(doc, base, article)
    site = site_of(doc, url) if site_rules else None
    root = _content_root(doc, site) if site else None
    if root is not None:
        article.site = site or "page"
    else:
        root = extract_main(data, base, extractor)
        article.site = extractor
    read_blocks(root, base, article)
    if article.title:  # the page's own h1 (or two of them) repeats the title
        wanted = " ".join(article.title.split()).casefold()
        for paragraph in [p for p in article.paragraphs if _plain(p).casefold() == wanted]:
            article.paragraphs.remove(paragraph)
            article.dropped.append(Dropped(paragraph, "the title"))
    if sum(len(p) for p in article.paragraphs) < MIN_TEXT:
        raise NoArticle("no article found on the page (too little text in its main content)")
    if not article.figures and article.cover:
        article.notes.append(f"the post's text has no image; its cover image ({article.cover}) "
                             "has no alt text on the page, so it is written beside the post "
                             "and named in a comment of the front matter: describe it there "
                             "to use it")
    return article


def read_fragment(html: str, base: str | None, article: Article) -> None:
    """A feed item's HTML content read into `article`."""
    doc = parse_html(f"<html><body><div id='crier-item'>{html}</div></body></html>", base)
    root = doc.xpath('//*[@id="crier-item"]')[0]
    read_blocks(root, base, article)


def extract_main(data: bytes | str, base: str | None, extractor: str) -> Any:
    """The main content of a page no site rule knows, through a main-content extractor,
    as an element to read blocks from."""
    html = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if extractor == "readability":
        try:
            from readability import Document  # type: ignore[import-untyped]
        except ImportError:  # a development dependency (the bench's comparison) only
            raise NoArticle("--extractor readability needs readability-lxml, which is not "
                            "installed (pip install readability-lxml)") from None

        summary = Document(html).summary(html_partial=True)
    else:
        import trafilatura

        summary = trafilatura.extract(html, output_format="html", include_images=True,
                                      include_comments=False, include_tables=False,
                                      include_links=True, favor_precision=True, url=base) or ""
    if not summary.strip():
        raise NoArticle("no article found on the page (the extractor found no main content)")
    doc = parse_html(f"<html><body><div id='crier-main'>{_body_of(summary)}</div></body></html>",
                     base)
    return doc.xpath('//*[@id="crier-main"]')[0]


def _body_of(html: str) -> str:
    match = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
    return match.group(1) if match else html


def _base(doc: Any, url: str | None) -> str | None:
    href = doc.xpath("//base/@href")
    return urljoin(url or "", href[0]) if href else url


def _content_root(doc: Any, site: str | None) -> Any | None:
    for query in SITE_CONTENT.get(site or "", ()):
        found = doc.xpath(query)
        if found:
            return found[0]
    return None


# -- metadata --------------------------------------------------------------------------------

def _metadata(doc: Any, base: str | None, article: Article) -> None:
    ld = _json_ld(doc)
    title = ld.get("headline") or ld.get("name") or _meta(doc, "og:title") or _title_tag(doc)
    article.title = _clean(str(title)) if title else None
    link = _canonical(doc, base) or _meta(doc, "og:url") or _ld_url(ld) or base
    article.link = link if link and urlsplit(link).scheme in ("http", "https") else None
    date = str(ld.get("datePublished") or _meta(doc, "article:published_time") or "")
    article.published = date[:10] if re.match(r"\d{4}-\d{2}-\d{2}", date) else None
    cover = _ld_image(ld) or _meta(doc, "og:image")
    article.cover = urljoin(base or "", cover) if cover else None
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        keywords = [k for k in keywords.split(",")]
    if isinstance(keywords, list):
        article.hashtags = [re.sub(r"\W", "", str(k)) for k in keywords
                            if re.sub(r"\W", "", str(k)) and not str(k).isdigit()][:5]


def _json_ld(doc: Any) -> dict[str, Any]:
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue
        for item in _ld_items(data):
            kinds = item.get("@type")
            names = kinds if isinstance(kinds, list) else [kinds]
            if any(str(k).lower() in _ARTICLE_TYPES for k in names):
                return item
    return {}


def _ld_items(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _ld_items(entry)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_items(data["@graph"])


def _ld_url(ld: dict[str, Any]) -> str | None:
    page = ld.get("mainEntityOfPage")
    if isinstance(page, dict):
        page = page.get("@id") or page.get("url")
    url = ld.get("url") or page
    return str(url) if url else None


def _meta(doc: Any, name: str) -> str | None:
    found = doc.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content')
    return str(found[0]).strip() or None if found else None


def _ld_image(ld: dict[str, Any]) -> str | None:
    image = ld.get("image")
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    return str(image) if image else None


def _canonical(doc: Any, base: str | None) -> str | None:
    found = doc.xpath('//link[@rel="canonical"]/@href')
    return urljoin(base or "", str(found[0])) if found else None


def _title_tag(doc: Any) -> str | None:
    found = doc.xpath("//title/text()")
    return str(found[0]) if found else None


# -- the body --------------------------------------------------------------------------------

def read_blocks(root: Any, base: str | None, article: Article) -> None:
    """`root`'s content as Markdown paragraphs and figures, in order, into `article`."""
    inline: list[str] = []

    def flush() -> None:
        text = _clean("".join(inline))
        inline.clear()
        if text:
            _paragraph(text, article)

    _walk(root, base, article, inline, flush)
    flush()


def _walk(element: Any, base: str | None, article: Article, inline: list[str],
          flush: Any) -> None:
    if element.text:
        inline.append(element.text)
    for child in element:
        if not isinstance(child.tag, str):  # comments, processing instructions
            if child.tail:
                inline.append(child.tail)
            continue
        tag = child.tag.lower()
        if _skipped(child, tag):
            if _widget_name(child):
                label = _clean(child.text_content())
                if label:
                    article.dropped.append(Dropped(label[:200], "page chrome: a widget"))
        elif tag in ("figure", "picture") or (tag == "img"):
            flush()
            _figure(child, base, article)
        elif tag in ("ul", "ol"):
            flush()
            items = [_inline(li, base) for li in child if isinstance(li.tag, str)
                     and li.tag.lower() == "li"]
            lines = [f"- {t}" if tag == "ul" else f"{n}. {t}"
                     for n, t in enumerate((i for i in items if i), 1)]
            if lines:
                _paragraph("\n".join(lines), article)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            flush()
            text = _inline(child, base)
            if text:
                _paragraph(f"{'#' * max(2, int(tag[1]))} {text}", article)
        elif tag == "p" or tag == "blockquote":
            flush()
            _block_with_images(child, base, article)
        elif tag == "br":
            inline.append(_BR)
        elif tag in _BLOCKS:
            flush()
            _walk(child, base, article, inline, flush)
            flush()
        else:
            inline.append(_inline(child, base, keep_space=True))
        if child.tail:
            inline.append(child.tail)


def _block_with_images(element: Any, base: str | None, article: Article) -> None:
    """A paragraph: its text; an image inside it becomes a figure after it."""
    images = element.xpath(".//img")
    text = _inline(element, base)
    if text:
        _paragraph(text, article)
    for image in images:
        _figure(image, base, article)


def _paragraph(text: str, article: Article) -> None:
    if is_chrome(_plain(text)):  # "## Comments" is chrome as much as "Comments"
        article.dropped.append(Dropped(text, "page chrome"))
    else:
        article.paragraphs.append(text)


def _figure(element: Any, base: str | None, article: Article) -> None:
    images = [element] if element.tag.lower() == "img" else element.xpath(".//img")
    caption_el = element.xpath(".//figcaption") if element.tag.lower() == "figure" else []
    caption = _clean(caption_el[0].text_content()) if caption_el else ""
    if not images:
        if caption:
            _paragraph(caption, article)
        return
    img = images[0]
    src = _image_src(img, base)
    if src is None:
        article.notes.append("an image with no usable address was left out")
        return
    alt = _clean(img.get("alt") or "")
    if _FILE_NAME.fullmatch(alt):  # site builders fill alt with the upload's file name
        alt = ""
    article.figures.append(Figure(src, alt=alt or caption, caption=caption))


def _image_src(img: Any, base: str | None) -> str | None:
    """The image's address: the widest candidate of srcset, else src (or a lazy loader's
    data-src); data: and other schemes are not fetched."""
    candidates: list[tuple[int, str]] = []
    for attr in ("srcset", "data-srcset"):
        for entry in (img.get(attr) or "").split(","):
            bits = entry.split()
            if bits:
                width = int(bits[1][:-1]) if len(bits) > 1 and bits[1][:-1].isdigit() else 0
                candidates.append((width, bits[0]))
    raw = max(candidates)[1] if candidates else (img.get("src") or img.get("data-src") or "")
    if not raw or raw.startswith("data:"):
        return None
    url = urljoin(base or "", raw.strip())
    return url if urlsplit(url).scheme in ("http", "https", "") else None


def _skipped(element: Any, tag: str) -> bool:
    return tag in _SKIP_TAGS or _widget_name(element) or element.get("hidden") is not None or \
        element.get("aria-hidden") == "true"


def _widget_name(element: Any) -> bool:
    names = " ".join(element.get(a) or "" for a in ("class", "id", "data-hook", "role",
                                                     "data-testid"))
    return bool(names) and bool(_WIDGET.search(names))


def _inline(element: Any, base: str | None, keep_space: bool = False) -> str:
    """An element's text with its links and emphasis in Markdown; widgets inside left out."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        tag = child.tag.lower()
        if tag in _SKIP_TAGS or _widget_name(child) or tag == "img":
            pass
        elif tag == "br":
            parts.append(_BR)
        elif tag == "a":
            text = _inline(child, base, keep_space=True)
            href = urljoin(base or "", child.get("href") or "")
            if text.strip() and urlsplit(href).scheme in ("http", "https") and \
                    text.strip() != href:
                parts.append(f"[{text.strip()}]({href})")
            else:
                parts.append(text)
        elif tag in ("em", "i"):
            parts.append(_marked(_inline(child, base, keep_space=True), "*"))
        elif tag in ("strong", "b"):
            parts.append(_marked(_inline(child, base, keep_space=True), "**"))
        else:
            parts.append(_inline(child, base, keep_space=True))
        parts.append(child.tail or "")
    text = "".join(parts)
    return text if keep_space else _clean(text)


def _marked(text: str, mark: str) -> str:
    stripped = text.strip()
    if not stripped:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _clean(text: str) -> str:
    """White space as HTML means it: runs (new lines of the source included) collapse to one
    space; a <br> stays a line break."""
    lines = [" ".join(line.split()) for line in text.split(_BR)]
    return "\n".join(line for line in lines if line).strip()


def _plain(markdown: str) -> str:
    """A paragraph's text without its Markdown (heading marks, links, emphasis)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", re.sub(r"^#+\s*", "", markdown))
    return " ".join(re.sub(r"\*+", "", text).split())

