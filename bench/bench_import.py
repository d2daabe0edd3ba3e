"""`crier import` of a 3,000-word blog page with 5 images, against the extractor alone, in the
same run; and the two main-content extractors compared on the test fixtures.

- Time: ours is the whole import (HTML parsed, the site's content element read into Markdown
  paragraphs and figures, brand lines left out, 5 photos decoded through the safe decoder and
  re-encoded without metadata, the post file and photos written atomically). The baseline is
  trafilatura's `extract` alone on the same HTML (text only: no images fetched or decoded,
  nothing written). Fetches are answered in-process, so the network does not blur the ratio.
  Ours is also timed on the page without its images, which shows where the time goes.
- Quality: on each fixture page, each extractor's paragraphs against the article's own
  (recall: the article's paragraphs found; leaked: paragraphs that are not the article's),
  and the images it kept. Printed, so the choice of extractor is a measurement.
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from bench.timing import best_of
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.importer import Options, import_source
from scheduler.importer.article import Article
from scheduler.importer.brandlines import Line, brand_lines, drop_brand_lines
from scheduler.importer.fetch import Fetched
from scheduler.importer.pages import parse_html, read_page

BASE = "http://blog.test"
FIXTURES = PROJECT_ROOT / "tests" / "importer" / "fixtures"
WORDS = ["sleep", "mood", "anxiety", "partner", "baby", "hormone", "estrogen", "progesterone",
         "nervous", "system", "alert", "night", "rest", "stretch", "protect", "family",
         "doctor", "therapy", "medicine", "research", "trial", "patient", "week", "month",
         "year", "birth", "recovery", "support", "question", "answer", "risk", "benefit",
         "treatment", "depression", "care", "plan", "help", "time", "body", "brain", "change",
         "signal", "pattern", "routine"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def _photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.effect_noise((1200, 800), 40).convert("RGB")
    tint = Image.new("RGB", image.size, (rng.randrange(256), rng.randrange(256), 120))
    out = io.BytesIO()
    Image.blend(image, tint, 0.5).save(out, "JPEG", quality=85)
    return out.getvalue()


def build_page(words: int = 3000, images: int = 5, seed: int = 13) -> str:
    """A Wix-style post page: chrome around a post of `words` words and `images` figures."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    count = 0
    while count < words:
        text = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        count += len(text.split())
        paragraphs.append(f"<p>{text}</p>")
    step = max(1, len(paragraphs) // (images + 1))
    for n in range(images, 0, -1):
        paragraphs.insert(n * step, (
            f'<figure><img src="{BASE}/media/photo-{n}.jpg" alt="Photo {n}: {_sentence(rng)}">'
            f"<figcaption>{_sentence(rng)}</figcaption></figure>"))
    brand = load_brand(PROJECT_ROOT / "brand.toml")
    closing = f"<p>{brand.call_to_action}</p><p>{brand.disclaimer}</p>"
    nav = "".join(f'<li><a href="{BASE}/p{i}">Page {i}</a></li>' for i in range(12))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="generator" content="Wix.com Website Builder"><title>Bench post</title>'
        f'<link rel="canonical" href="{BASE}/post/bench">'
        '<script type="application/ld+json">{"@type":"BlogPosting","headline":"Bench post",'
        '"datePublished":"2026-11-30"}</script>'
        f"<script>{'var x = 1;' * 2000}</script></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main>"
        f'<section data-hook="post-description">{"".join(paragraphs)}{closing}</section>'
        '<div data-hook="share-buttons"><button>Share</button></div>'
        '<section data-hook="comments-section"><h2>Comments</h2></section></main>'
        "<footer><p>(c) 2026</p></footer></body></html>")


def _fetcher(pages: dict[str, tuple[str, bytes]]) -> Any:
    def fetch(url: str, kind: str = "any", **_: object) -> Fetched:
        content_type, body = pages[url]
        return Fetched(url, 200, content_type, body)

    return fetch


def timing() -> int:
    import trafilatura

    brand = load_brand(PROJECT_ROOT / "brand.toml")
    html = build_page()
    bare = re.sub(r"<figure>.*?</figure>", "", html)
    pages: dict[str, tuple[str, bytes]] = {
        f"{BASE}/post/bench": ("text/html", html.encode()),
        f"{BASE}/post/bare": ("text/html", bare.encode()),
    }
    for n in range(1, 6):
        pages[f"{BASE}/media/photo-{n}.jpg"] = ("image/jpeg", _photo(n))
    fetch = _fetcher(pages)
    with tempfile.TemporaryDirectory() as folder:
        options = Options(posts_dir=Path(folder), force=True)
        done = import_source(f"{BASE}/post/bench", brand, options, fetch)[0]
        words = sum(len(p.split()) for p in done.article.paragraphs)
        assert len(done.photos) == 5, "the bench page must import its 5 photos"
        ours = best_of(5, lambda: import_source(f"{BASE}/post/bench", brand, options, fetch))
        text_only = best_of(5, lambda: import_source(f"{BASE}/post/bare", brand, options,
                                                     fetch))
    alone = best_of(5, lambda: trafilatura.extract(html, include_images=True,
                                                   output_format="markdown"))
    print(f"page: {words} words imported, 5 photos of 1200x800, {len(html) / 1024:.0f} KiB")
    print(f"ours, whole import:        {ours * 1000:8.1f} ms")
    print(f"ours, the page without its photos: {text_only * 1000:8.1f} ms")
    print(f"trafilatura.extract alone: {alone * 1000:8.1f} ms")
    print(f"ratio ours / extractor alone: {ours / alone:.2f}x (text only: "
          f"{text_only / alone:.2f}x)")
    return 0


def _article_paragraphs(name: str, lines: list[Line]) -> list[str]:
    """The fixture article's own paragraphs, the brand's lines left out: what a perfect
    extractor returns (the site's own content element, where the page has one)."""
    data = (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", BASE)
    if name == "plain-blog-post.html":
        doc = parse_html(data, BASE)
        return [" ".join(p.text_content().split()) for p in doc.xpath('//div[@class="post"]/p')
                if p.text_content().strip()]
    kept, _, _ = drop_brand_lines(read_page(data, BASE).paragraphs, lines)
    return [_plain(p) for p in kept]


def _plain(markdown: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^#+\s*", "", text)
    return " ".join(re.sub(r"\*+", "", text).split())


def quality() -> int:
    print(f"{'fixture':28} {'extractor':12} {'recall':>7} {'leaked':>7} {'images':>7}")
    totals: dict[str, list[float]] = {}
    lines = brand_lines(load_brand(PROJECT_ROOT / "brand.toml"))
    for name in ("plain-blog-post.html", "wix-post.html", "substack-post.html"):
        truth = _article_paragraphs(name, lines)
        data = (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", BASE)
        for extractor in ("trafilatura", "readability"):
            article = Article()
            with contextlib.suppress(ValueError):  # no main content: nothing found
                article = read_page(data, BASE, extractor=extractor, site_rules=False)
            # Both readers then leave out the brand's lines, as the import does.
            kept, _, _ = drop_brand_lines(article.paragraphs, lines)
            got = [_plain(p) for p in kept]
            found = sum(1 for t in truth if any(t in g for g in got))
            leaked = sum(1 for g in got if not any(t in g or g in t for t in truth))
            recall = found / len(truth) if truth else 1.0
            totals.setdefault(extractor, []).extend([recall, leaked])
            print(f"{name:28} {extractor:12} {recall:7.0%} {leaked:7d} "
                  f"{len(article.figures):7d}")
            for g in got:
                if not any(t in g or g in t for t in truth):
                    print(f"    leaked: {g[:70]}")
    for extractor, values in totals.items():
        recalls, leaks = values[0::2], values[1::2]
        print(f"{extractor}: mean recall {sum(recalls) / len(recalls):.0%}, "
              f"paragraphs leaked {int(sum(leaks))}")
    return 0


def main() -> int:
    return timing() | quality()


if __name__ == "__main__":
    raise SystemExit(main())
