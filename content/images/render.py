"""The renderer's entry point: an ImageRef plus loaded bytes and fonts in, encoded image out.

Pure: the caller (scheduler/images.py) reads the photo, logo and font files; nothing here
touches the network or writes a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from content.brand import Brand
from content.delivery import ImageRef
from content.images.cards import Canvas, Look, captioned_photo, quote_card, thread_cover
from content.images.colour import parse_hex
from content.images.encode import Format, encode
from content.images.errors import ImageError
from content.images.fonts import FontLibrary
from content.images.photo import load_photo
from content.images.quotes import quoted, typographic
from content.networks import NetworkRules


@dataclass(frozen=True)
class RenderedImage:
    """An image ready to upload: encoded bytes, their format and size, and the alt text."""

    data: bytes
    format: Format
    width: int
    height: int
    alt: str

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "JPEG" else "png"


@dataclass(frozen=True)
class Media:
    """What the edge loaded for the renderer: fonts, the post's photos by their path in the
    post, and the brand's logo and background image if it has them."""

    fonts: FontLibrary
    photos: Mapping[str, bytes] = field(default_factory=dict)
    logo: bytes | None = None
    background: bytes | None = None


def look_for(brand: Brand, network: str, media: Media) -> Look:
    """The brand's colours, name, byline and assets as the cards use them on one network."""
    handle = brand.handles.get(network)
    # Where the network's "handle" is the author's own name, say who she is instead.
    byline = handle if handle and handle != brand.author else brand.title
    end = brand.colours.background_end
    kicker = "Thread" + (f" · {brand.title}" if brand.title else "")
    return Look(
        background=parse_hex(brand.colours.background),
        background_end=parse_hex(end) if end else None,
        text=parse_hex(brand.colours.text),
        accent=parse_hex(brand.colours.accent),
        author=brand.author,
        byline=byline,
        kicker=kicker.upper(),
        fonts=media.fonts,
        logo=media.logo,
        background_image=media.background,
    )


def draw(ref: ImageRef, rules: NetworkRules, brand: Brand, media: Media) -> Canvas:
    """The image's pixels, before encoding."""
    look = look_for(brand, rules.name, media)
    if ref.kind == "quote_card":
        if not ref.text:
            raise ImageError("a quote card needs a quote: set quote: in the post's front matter")
        return quote_card(quoted(ref.text), ref.size, look, rules.display)
    if ref.kind == "thread_cover":
        if not ref.text:
            raise ImageError("a thread cover needs the post's title: set title: in the post")
        return thread_cover(typographic(ref.text), ref.size, look)
    if ref.photo is None or ref.photo not in media.photos:
        raise ImageError(f"the photo {ref.photo!r} was not loaded; check its path in the post")
    photo = load_photo(media.photos[ref.photo], ref.photo, at_least=ref.size,
                       background=look.background)
    caption = typographic(ref.text) if ref.text else None
    return captioned_photo(photo, caption, ref.size, look)


def render_image(ref: ImageRef, rules: NetworkRules, brand: Brand, media: Media
                 ) -> RenderedImage:
    """One ImageRef as an encoded image within the network's formats and byte budget."""
    canvas = draw(ref, rules, brand, media)
    encoded = encode(canvas.image, rules.images.formats, rules.images.max_bytes,
                     photo=ref.kind == "photo")
    return RenderedImage(encoded.data, encoded.format, encoded.width, encoded.height, ref.alt)
