"""Where a post's link goes on networks whose captions do not make links clickable: in the
post, in a first comment, or replaced by the brand's "link in bio" text; the disclaimer stays
in the post whatever the choice."""

from __future__ import annotations

import pytest

from content.brand import parse_brand
from content.errors import BrandError
from content.formatting import format_text
from content.networks import rules_for
from content.post import parse_post

BRAND = """
[author]
name = "A. Author"
[disclaimer]
full = "Not medical advice."
[call_to_action]
default = "Follow for more."
"""
LINK = "https://www.example.com/post/glutamate"
POST = parse_post(f"---\nlink: {LINK}\n---\nKetamine acts on depression within hours.\n")


def formatted(network: str, section: str = "") -> tuple[str, str | None]:
    brand = parse_brand(BRAND + section)
    (part,) = format_text(POST, brand, rules_for(network)).parts
    return part.text, part.to_json()["first_comment"]


@pytest.mark.parametrize("network", ["instagram", "facebook", "linkedin", "x", "threads"])
def test_by_default_the_link_is_in_the_post(network: str) -> None:
    text, comment = formatted(network)
    assert LINK in text and comment is None


@pytest.mark.parametrize("network", ["instagram", "facebook", "linkedin"])
def test_the_link_may_go_to_a_first_comment_and_the_disclaimer_stays(network: str) -> None:
    text, comment = formatted(network, f'[{network}]\nlink = "comment"\n')
    assert LINK not in text and comment == LINK
    assert "Not medical advice." in text


def test_instagram_may_say_link_in_bio_instead() -> None:
    text, comment = formatted("instagram", '[instagram]\nlink = "bio"\nlink_in_bio = "Link in '
                                           'my bio!"\n')
    assert LINK not in text and "Link in my bio!" in text and comment is None
    text, _ = formatted("instagram", '[instagram]\nlink = "bio"\n')
    assert "Link in bio" in text


def test_a_choice_the_network_lacks_is_a_brand_error_naming_the_key() -> None:
    with pytest.raises(BrandError) as raised:
        parse_brand(BRAND + '[facebook]\nlink = "bio"\n')
    assert "facebook.link" in str(raised.value)
    with pytest.raises(BrandError) as raised:
        parse_brand(BRAND + '[instagram]\nlink = "comment"\nlink_in_bio = 3\n')
    assert "instagram.link_in_bio" in str(raised.value)
