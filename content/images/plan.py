"""Which images each network's delivery carries, at which size, with which alt text.

The plan, per network (the first part of the delivery carries the images):
- The post has photos: every photo up to the network's image count, cover-cropped to the
  network's size; the first one captioned with the post's title (or its quote when it has no
  title). Alt text: the author's, as written (an empty one only when she wrote alt: "").
- No photos, on a network that carries threads and a post with a title: a thread cover (the
  title over the brand background).
- Otherwise (a single-post network, or no title): a quote card with the post's quote, or a
  sentence chosen from the body when it has none.
So every network gets an image, and one that requires an image always has it. Sizes come from
the brand's `[images] sizes` when set, else the network's usual size, and a shape the network
refuses is refused here; alt texts are kept within the network's limit (a generated one is
shortened, the author's is refused when too long).
"""

from __future__ import annotations

from content.brand import Brand
from content.delivery import ImageRef
from content.images.errors import ImageError
from content.images.quotes import choose_quote, quoted, typographic
from content.networks import NetworkRules
from content.post import Post


def image_size(brand: Brand, rules: NetworkRules) -> tuple[int, int]:
    """The brand's size for this network, or the network's usual one, if the network takes it."""
    size = brand.image_sizes.get(rules.name, rules.images.size)
    problem = rules.images.size_problem(size)
    if problem:
        width, height = size
        raise ImageError(f"brand.toml images.sizes.{rules.name} = [{width}, {height}]: {problem}")
    return size


def plan_images(post: Post, brand: Brand, rules: NetworkRules,
                quote_card: bool = False) -> tuple[ImageRef, ...]:
    """The images the first part carries on this network (see the module doc); `quote_card`:
    the quote card alone, whatever else the post has (the quote shape)."""
    size = image_size(brand, rules)
    if post.images and not quote_card:
        caption = post.title or post.quote
        refs = []
        for number, image in enumerate(post.images[: rules.images.max_images]):
            if len(image.alt) > rules.images.alt_limit:
                raise ImageError(
                    f"{post.source}: the alt text of {image.path} is {len(image.alt)} characters; "
                    f"{rules.display} takes at most {rules.images.alt_limit}: shorten it"
                )
            refs.append(ImageRef("photo", image.alt, size,
                                 text=caption if number == 0 else None, photo=image.path))
        return tuple(refs)
    if rules.thread and post.title and not quote_card:
        alt = _alt(f"Title card: {quoted(post.title)}, a thread by ", brand.author, "",
                   rules.images.alt_limit)
        return (ImageRef("thread_cover", alt, size, text=post.title),)
    quote = post.quote or choose_quote(post.body, post.title)
    who = brand.author + (f", {brand.title}" if brand.title else "")
    alt = _alt("Quote card: ", who, quote, rules.images.alt_limit)
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
