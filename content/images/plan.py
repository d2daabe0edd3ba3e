"""Which images each network's delivery carries, at which size, with which alt text.

The plan, per network (the first part of the delivery carries the images):
- The post has photos: every photo up to the network's image count, cover-cropped to the
  network's size; the first one captioned with the post's title (or its quote when it has no
  title). Alt text: the author's, as written (an empty one only when she wrote alt: "").
- No photos, on a network that carries threads (X, Bluesky, Mastodon, Threads) and a post with
  a title: a thread cover (the title over the brand background).
- Otherwise (LinkedIn, Facebook, Instagram, or no title): a quote card with the post's quote,
  or a sentence chosen from the body when it has none.
Instagram requires an image, and always gets one by the rules above. Sizes come from the
brand's `[images] sizes` when set, else the network's usual size; alt texts are kept within the
network's limit (a generated one is shortened, the author's is refused when too long).
"""

from __future__ import annotations

from content.brand import Brand
from content.delivery import ImageRef
from content.images.errors import ImageError
from content.images.quotes import choose_quote, quoted, typographic
from content.platforms import PlatformRules
from content.post import Post

# Instagram's accepted shapes (PLATFORMS.md): aspect ratio from 4:5 to 1.91:1, 320-1440 wide.
_INSTAGRAM_RATIOS = (4 / 5, 1.91)
_INSTAGRAM_WIDTHS = (320, 1440)


def image_size(brand: Brand, rules: PlatformRules) -> tuple[int, int]:
    """The brand's size for this network, or the network's usual one; checked for Instagram."""
    size = brand.image_sizes.get(rules.name, rules.image_size)
    if rules.name == "instagram":
        width, height = size
        low, high = _INSTAGRAM_RATIOS
        if not (low - 1e-3 <= width / height <= high + 1e-3
                and _INSTAGRAM_WIDTHS[0] <= width <= _INSTAGRAM_WIDTHS[1]):
            raise ImageError(
                f"brand.toml images.sizes.instagram = [{width}, {height}]: Instagram takes "
                "images 320 to 1440 px wide with a shape from 4:5 to 1.91:1; use [1080, 1350] "
                "or [1080, 1080]"
            )
    return size


def plan_images(post: Post, brand: Brand, rules: PlatformRules) -> tuple[ImageRef, ...]:
    """The images the first part carries on this network (see the module doc)."""
    size = image_size(brand, rules)
    if post.images:
        caption = post.title or post.quote
        refs = []
        for number, image in enumerate(post.images[: rules.max_images]):
            if len(image.alt) > rules.alt_limit:
                raise ImageError(
                    f"{post.source}: the alt text of {image.path} is {len(image.alt)} "
                    f"characters; {rules.display} takes at most {rules.alt_limit}: shorten it"
                )
            refs.append(ImageRef("photo", image.alt, size,
                                 text=caption if number == 0 else None, photo=image.path))
        return tuple(refs)
    if rules.thread and post.title:
        alt = _alt(f"Title card: {quoted(post.title)}, a thread by ", brand.author, "",
                   rules.alt_limit)
        return (ImageRef("thread_cover", alt, size, text=post.title),)
    quote = post.quote or choose_quote(post.body, post.title)
    who = brand.author + (f", {brand.title}" if brand.title else "")
    alt = _alt("Quote card: ", who, quote, rules.alt_limit)
    return (ImageRef("quote_card", alt, size, text=quote),)


def _alt(prefix: str, who: str, quote: str, limit: int) -> str:
    """Alt text carrying the words on the image and who said them, within `limit`."""
    if not quote:
        text = prefix + who + "."
        return text if len(text) <= limit else text[: limit - 1] + "…"
    room = limit - len(prefix) - len(who) - len(" — .") - 2
    body = typographic(quote.strip().strip("\"“”"))
    if len(body) > room:
        body = body[: max(0, room - 1)].rsplit(" ", 1)[0] + "…"
    return f"{prefix}{quoted(body)} — {who}."
