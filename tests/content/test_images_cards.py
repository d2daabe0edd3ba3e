"""The templates, looked at pixel by pixel: safe margins, caption contrast, quotes too long."""

from __future__ import annotations

import re

import pytest
from PIL import Image, ImageChops, ImageDraw
from test_images_support import busy, encoded, exact_worst_contrast, lab_scene, look

from content.images.cards import (
    Box,
    _background,
    caption_backdrop,
    captioned_photo,
    quote_card,
    thread_cover,
)
from content.images.errors import ImageError
from content.images.quotes import quoted

# Every size in PLATFORMS.md's "Sizes for generated images" table.
SIZES = [(1080, 1350), (1080, 1080), (1600, 900), (1200, 1200), (1200, 627), (1200, 630)]
QUOTES = [
    "Less is more.",
    "Do patients have to endure these side effects to achieve the therapeutic benefits?",
    "Historically, the neurotransmitter glutamate has not received much attention in the realm "
    "of depression treatment, primarily due to the complexities associated with its pathways "
    "and the potential consequences of targeting them, which is why this matters now.",
    "الصحة النفسية جزء من الصحة العامة وليست رفاهية",
    "こころの健康は、からだの健康と同じくらい大切です。",
    "Self-care is not selfish 💙🧠 — 마음 건강 שלום",
]
TITLE = "What's the deal with Glutamate? And why haven't we been targeting all along?"


def inside(inner: Box, outer: Box) -> bool:
    return (inner[0] >= outer[0] and inner[1] >= outer[1]
            and inner[2] <= outer[2] and inner[3] <= outer[3])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_quote_cards_keep_every_pixel_of_text_inside_the_safe_margins(size: tuple[int, int]
                                                                      ) -> None:
    style = look("x")
    background = _background(style, size)
    for quote in QUOTES:
        card = quote_card(quoted(quote), size, style)
        assert card.image.size == size
        changed = ImageChops.difference(card.image, background).getbbox()
        assert changed is not None
        assert inside(changed, card.safe), (quote, changed, card.safe)
        left, top, right, bottom = card.safe
        assert left == top == size[0] - right == size[1] - bottom >= 0.08 * min(size) - 1


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_thread_covers_keep_text_inside_the_safe_margins(size: tuple[int, int]) -> None:
    style = look("bluesky")
    card = thread_cover(TITLE, size, style)
    changed = ImageChops.difference(card.image, _background(style, size)).getbbox()
    assert changed is not None and inside(changed, card.safe)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_captions_stay_inside_the_safe_margins_and_their_band(size: tuple[int, int]) -> None:
    style = look("instagram")
    photo = lab_scene(2400, 1600)
    backdrop = caption_backdrop(photo, TITLE, size, style)
    card = captioned_photo(photo, TITLE, size, style)
    assert card.image.size == size
    changed = ImageChops.difference(card.image, backdrop.image).getbbox()
    assert changed is not None and backdrop.text_box is not None
    assert inside(changed, card.safe)
    assert inside(changed, backdrop.text_box)  # so the contrast check covers every glyph


def white(size: tuple[int, int] = (2000, 2000)) -> Image.Image:
    return Image.new("RGB", size, (255, 255, 255))


def black(size: tuple[int, int] = (2000, 2000)) -> Image.Image:
    return Image.new("RGB", size, (0, 0, 0))


@pytest.mark.parametrize("photo", [white, black, busy, lab_scene], ids=lambda f: f.__name__)
@pytest.mark.parametrize("size", [(1080, 1350), (1600, 900), (1200, 627)],
                         ids=lambda s: f"{s[0]}x{s[1]}")
def test_caption_contrast_is_at_least_4_5_on_every_pixel_behind_the_text(
    photo: object, size: tuple[int, int]
) -> None:
    assert callable(photo)
    backdrop = caption_backdrop(photo(), TITLE, size, look())
    assert backdrop.text_box is not None
    behind = backdrop.image.crop(backdrop.text_box)
    assert exact_worst_contrast(behind, backdrop.text_colour) >= 4.5
    assert backdrop.opacity >= 0.45  # a band on a dark photo still reads as a band


def test_the_band_is_only_as_strong_as_the_photo_needs() -> None:
    on_black = caption_backdrop(black(), TITLE, (1080, 1350), look())
    on_white = caption_backdrop(white(), TITLE, (1080, 1350), look())
    assert on_black.opacity == pytest.approx(0.45)
    assert on_white.opacity > on_black.opacity


def test_caption_text_colour_changes_when_the_brand_colours_cannot_reach_4_5() -> None:
    style = look()
    pale = type(style)(**{**style.__dict__, "background": (200, 200, 200)})
    backdrop = caption_backdrop(white(), TITLE, (1080, 1350), pale)
    assert backdrop.text_colour == (0, 0, 0)
    assert backdrop.text_box is not None
    assert exact_worst_contrast(backdrop.image.crop(backdrop.text_box), (0, 0, 0)) >= 4.5


def test_a_quote_too_long_to_set_legibly_says_so_and_suggests_a_shorter_one() -> None:
    body = " ".join([QUOTES[2]] * 6)
    with pytest.raises(ImageError) as caught:
        quote_card(quoted(body), (1200, 627), look("linkedin"), "LinkedIn")
    message = str(caught.value)
    assert "too long to set legibly on the 1200x627 LinkedIn card" in message
    assert "smallest legible size (25 px)" in message
    suggestion = re.search(r"For example: (“.+”)$", message)
    assert suggestion is not None
    assert len(suggestion.group(1)) < len(body)
    quote_card(suggestion.group(1), (1200, 627), look("linkedin"))  # the suggestion fits


def test_a_background_image_gets_a_wash_that_keeps_the_text_legible() -> None:
    style = look("instagram", background=encoded(busy(1400, 1400)))
    card = quote_card(quoted(QUOTES[1]), (1080, 1350), style)
    backdrop = _background(style, (1080, 1350))
    assert exact_worst_contrast(backdrop.crop(card.safe), card.text_colour) >= 4.5


def test_a_logo_with_transparency_is_drawn_in_the_footer() -> None:
    logo = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((50, 50, 250, 250), fill=(0, 200, 0, 255))
    style = look("instagram", logo=encoded(logo))
    card = quote_card(quoted("Less is more."), (1080, 1350), style)
    footer = card.image.crop(card.text_boxes[-1])
    greens = [c for _, c in footer.getcolors(1 << 20) or [] if c[1] > 150 and c[0] < 60]
    assert greens, "the logo's green is not in the footer"


def test_unreadable_brand_text_colour_is_replaced_on_cards() -> None:
    style = look()
    grey = type(style)(**{**style.__dict__, "background": (128, 128, 128),
                          "background_end": None, "text": (140, 140, 140)})
    card = quote_card(quoted("Less is more."), (1080, 1080), grey)
    assert exact_worst_contrast(_background(grey, (1080, 1080)).crop(card.safe),
                                card.text_colour) >= 4.5
