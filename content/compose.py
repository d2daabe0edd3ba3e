"""One post, composed for each network: formatted text parts plus the images they carry.

Preview, dry run and publish all call `compose`, so what the author previews is what goes out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from content.brand import Brand
from content.delivery import Delivery
from content.images.plan import plan_images
from content.networks import NetworkRules, rules_for
from content.post import Post
from content.rounds import round_post
from content.shapes import choose, format_post


def compose(post: Post, brand: Brand, rules: NetworkRules) -> Delivery:
    """The delivery for one network. Raises DoesNotFit when the post cannot be made to fit."""
    rules = rules.for_account(brand.options_for(rules.name))
    delivery = format_post(post, brand, rules)
    # The images follow the shape and the network's override (its title, its quote).
    images = plan_images(choose(post, brand, rules).post, brand, rules,
                         quote_card=delivery.shape == "quote")
    if not images:
        return delivery
    first = replace(delivery.parts[0], images=images)
    return replace(delivery, parts=(first, *delivery.parts[1:]))


def target_platforms(post: Post, brand: Brand, only: Iterable[str] = ()) -> tuple[str, ...]:
    """The networks this post goes to: `only` if given, else the post's list, else the brand's."""
    chosen = tuple(only) or post.platforms or brand.platforms
    return tuple(rules_for(name).name for name in chosen)


def compose_all(
    post: Post, brand: Brand, only: Iterable[str] = (),
    overrides: dict[str, NetworkRules] | None = None, repeat: int = 0,
) -> dict[str, Delivery]:
    """Every target network's delivery; the first network that cannot take the post raises.
    `repeat`: an evergreen post's round (0: its first publication)."""
    overrides = overrides or {}
    deliveries = {}
    for name in target_platforms(post, brand, only):
        rules = overrides.get(name) or rules_for(name)
        deliveries[name] = compose(round_post(post, repeat, rules), brand, rules)
    return deliveries
