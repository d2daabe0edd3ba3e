"""Writing an import: the photos beside the post, then the post file, each to a temporary file
renamed into place, the post last: a failed import leaves no post file, and a post file that
exists names only photos that do.

File names come from content hashes (the photos) and from a hash of the post's link, never from
the page: a page cannot choose a path, and importing the same post again finds the same file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from content.images.photo import load_photo
from scheduler.importer.article import Article

JPEG_QUALITY = 90


@dataclass(frozen=True)
class Photo:
    """A photo ready to be written: re-encoded from its pixels alone (no EXIF, no GPS)."""

    data: bytes
    name: str  # content hash + extension
    alt: str
    caption: str
    source: str  # where it came from, for the report
    width: int
    height: int


def clean_photo(data: bytes, source: str, alt: str, caption: str) -> Photo:
    """Decode through the same safe decoder as the author's own photos (bombs and broken
    files refused with an ImageError naming `source`) and encode the pixels as JPEG."""
    image: Image.Image = load_photo(data, source)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    encoded = out.getvalue()
    name = hashlib.sha256(encoded).hexdigest()[:20] + ".jpg"
    return Photo(encoded, name, alt, caption, source, image.width, image.height)


def post_name(article: Article) -> str:
    """`YYYY-MM-DD-<hash>.md` (the date when known): the same post, the same name."""
    key = article.link or f"{article.title}\n{''.join(article.paragraphs[:1])}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    date = article.published if article.published and _is_date(article.published) else None
    return f"{date}-{digest}.md" if date else f"post-{digest}.md"


def _is_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and \
        text.replace("-", "").isdigit()


def render_post(article: Article, photos: list[Photo], quote: str | None,
                source: str, cover: Photo | None = None) -> str:
    """The post file's text: front matter (YAML, strings quoted as JSON, which YAML reads),
    then the body, one paragraph per block."""
    lines = ["---", f"# Imported by `crier import` from {_one_line(source)}."]
    if article.published:
        lines.append(f"# Published there on {article.published}.")
    if article.title:
        lines.append(f"title: {_quoted(article.title)}")
    if article.link:
        lines.append(f"link: {article.link}")
    if article.hashtags:
        lines.append(f"hashtags: [{', '.join(_quoted(t) for t in article.hashtags)}]")
    if quote:
        lines.append(f"quote: {_quoted(quote)}")
    if len(photos) == 1 and not photos[0].caption:
        lines.append(f"images: [{_image(photos[0])}]")
    elif photos:
        lines.append("images:")
        for photo in photos:
            lines.append(f"  - {_image(photo)}")
            if photo.caption:
                lines.append(f"    # caption: {_one_line(photo.caption)}")
    if cover is not None and not photos:
        # Not an entry: a photo without alt text is posted only on the author's word.
        lines.append("# The page's cover image, with no alt text: to post it, describe it and "
                     "uncomment:")
        lines.append(f"# images: [{{path: {cover.name}, alt: \"...\"}}]")
    lines.append("---")
    return "\n".join(lines) + "\n" + "\n\n".join(article.paragraphs) + "\n"


def _image(photo: Photo) -> str:
    return f"{{path: {photo.name}, alt: {_quoted(photo.alt)}}}"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_import(path: Path, text: str, photos: list[Photo]) -> None:
    """Photos beside `path`, then the post; each atomically. Raises OSError untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    try:
        for photo in photos:
            target = path.parent / photo.name
            if not target.exists():  # same name, same bytes: already there
                _atomic(target, photo.data)
                created.append(target)
        _atomic(path, text.encode("utf-8"))
    except BaseException:
        for target in created:  # no photo left behind by a post that was not written
            target.unlink(missing_ok=True)
        raise


def _atomic(target: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".crier-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
