"""Shapes (whole, teaser, quote) and per-network overrides: the formatter's properties hold for
every shape on every network, and the sample post takes each shape as the author expects."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_formatting import BRAND, closing_texts, texts

from content.brand import Brand, parse_brand
from content.compose import compose, compose_all
from content.delivery import Delivery
from content.errors import BrandError, PostError
from content.formatting import ends_sentence
from content.images.quotes import choose_quote, quoted
from content.networks import NETWORK_NAMES, NETWORKS, rules_for
from content.overrides import SHAPES, Override
from content.post import Post, parse_post
from content.rounds import ROUND_TAG, repeated_texts, round_post
from content.shapes import choose, format_post, shaped_post
from scheduler.config import PROJECT_ROOT, load_brand, load_post


def check_shaped(post: Post, brand: Brand, delivery: Delivery) -> None:
    """What every delivery of every shape has: each part within the limit by the network's own
    counting, the disclaimer and call to action whole exactly once and in the last part, and
    the shape's text in order without loss up to its cut."""
    rules = rules_for(delivery.platform)
    choice = choose(post, brand, rules)
    shaped, link_text = shaped_post(choice, brand, rules)
    for part in delivery.parts:
        assert rules.fits(part.text), (part.index, part.length)
        assert part.length == rules.measure(part.text) <= rules.limit
    disclaimer, cta = closing_texts(brand, delivery.platform, delivery)
    everything = "\n".join(part.text for part in delivery.parts)
    assert everything.count(disclaimer) == 1 and everything.count(cta) == 1
    closing = [p for p in delivery.parts if p.closing]
    assert len(closing) == 1 and closing[0] is delivery.parts[-1]
    text, position = shaped.text, 0
    bodies = [part.body for part in delivery.parts if part.body]
    for body in bodies:
        found = text.find(body, position)
        assert found >= 0 and text[position:found].strip() == ""
        position = found + len(body)
    shortened = any("shortened" in note for note in delivery.notes)
    assert shortened or text[position:].strip() == ""
    if delivery.shape == "teaser":
        assert not shortened  # a teaser is cut where it ends, not shortened afterwards
        carried = [p for p in delivery.parts if not (p.closing and not p.body)]
        assert len(carried) <= choice.max_parts
        opening = choice.post.title or (choice.post.hooks[0] if choice.post.hooks else None)
        body = shaped.body
        if opening:
            assert shaped.title == opening
        if body.endswith(" …"):  # no sentence end was within reach: cut at a word
            assert choice.post.body.startswith(body[: -len(" …")])
        else:
            assert choice.post.body.startswith(body)
            rest = choice.post.body[len(body):]
            assert rest == "" or rest[:2] == "\n\n" or ends_sentence(body)
        if choice.post.link:  # the words, then the link: in one part, or across two
            words, link = rules.escape(brand.read_more), rules.escape(choice.post.link)
            together = everything.count(f"{words} {link}")
            apart = sum(1 for a, b in zip(delivery.parts, delivery.parts[1:], strict=False)
                        if words in a.text.split("\n\n") and b.text.startswith(link + "\n\n"))
            assert together + apart == 1 and everything.count(words) == 1
    if delivery.shape == "quote":
        quote = choice.post.quote or choose_quote(choice.post.body, choice.post.title)
        assert shaped.body == quoted(quote) and shaped.title is None
        assert delivery.parts[0].images and delivery.parts[0].images[0].kind == "quote_card"


TITLES = st.sampled_from([None, "Why glutamate?",
                          "A title with an emoji 🧠 and a link example.com"])
HOOKS = st.lists(st.sampled_from(["Ketamine works fast. Why?", "Two classes of drugs ahead.",
                                  "What 70% of receptors means"]), max_size=2, unique=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=texts(), platform=st.sampled_from(NETWORK_NAMES), shape=st.sampled_from(SHAPES),
       title=TITLES, hooks=HOOKS, max_parts=st.sampled_from([None, 1, 2, 4]),
       numbering=st.booleans(), link=st.sampled_from([None, "https://example.com/the-article"]),
       quote=st.sampled_from([None, "A sentence worth a card, about receptors."]))
def test_properties_for_every_shape_and_network(
    body: str, platform: str, shape: str, title: str | None, hooks: list[str],
    max_parts: int | None, numbering: bool, link: str | None, quote: str | None,
) -> None:
    post = Post(body=body, title=title, hooks=tuple(hooks), shape=shape, max_parts=max_parts,
                numbering=numbering, link=link, quote=quote, hashtags=("MentalHealth",))
    rules = NETWORKS[platform]
    first = compose(post, BRAND, rules)
    assert first.shape == shape
    check_shaped(post, BRAND, first)
    assert compose(post, BRAND, rules) == first  # deterministic


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=texts(), platform=st.sampled_from(NETWORK_NAMES), shape=st.sampled_from(SHAPES),
       override_body=st.sampled_from(["Only here.", "A short text for this network, with a "
                                      "link example.org and #tags."]),
       tags=st.sampled_from([None, (), ("Override",)]))
def test_an_override_replaces_its_fields_on_its_network_only(
    body: str, platform: str, shape: str, override_body: str, tags: tuple[str, ...] | None,
) -> None:
    post = Post(body=body, hashtags=("Post",), overrides={
        platform: Override(body=override_body, hashtags=tags, shape=shape)})
    delivery = compose(post, BRAND, NETWORKS[platform])
    check_shaped(post, BRAND, delivery)
    assert delivery.shape == shape
    assert "body" in delivery.overridden and "shape" in delivery.overridden
    assert any(f"{platform}: section" in note for note in delivery.notes)
    if shape == "whole":
        assert override_body in "".join(p.body for p in delivery.parts)
    other = next(n for n in NETWORK_NAMES if n != platform)
    untouched = compose(post, BRAND, NETWORKS[other])
    assert untouched == compose(replace(post, overrides={}), BRAND, NETWORKS[other])
    assert untouched.overridden == ()


# -- the sample post ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> tuple[Post, Brand]:
    return (load_post(PROJECT_ROOT / "examples" / "glutamate.md"),
            load_brand(PROJECT_ROOT / "brand.toml"))


def test_the_sample_as_a_teaser_on_x_is_three_parts_and_its_closing(
        sample: tuple[Post, Brand]) -> None:
    post, brand = sample
    delivery = compose(replace(post, shape="teaser"), brand, NETWORKS["x"])
    check_shaped(replace(post, shape="teaser"), brand, delivery)
    whole = compose(post, brand, NETWORKS["x"])
    assert len(whole.parts) > 10
    # Three parts of the piece, then the closing in its own part: with the full disclaimer
    # it cannot share the third part.
    assert len(delivery.parts) == 4
    *carried, closing = delivery.parts
    assert all(p.body for p in carried) and closing.body == "" and closing.closing
    assert carried[0].text.startswith("What's the deal with Glutamate?")
    # The brand's words end the teaser; the link opens the closing part (the words and the
    # link do not fit beside the full closing), so no two posts' closing parts are the same.
    assert "\n\nRead the whole piece:\n\n3/4" in carried[-1].text
    assert closing.text.startswith(f"{post.link}\n\n{brand.disclaimer}")
    assert brand.disclaimer not in carried[-1].text
    assert [p.text.rsplit("\n", 1)[-1] for p in delivery.parts] == ["1/4", "2/4", "3/4", "4/4"]
    # The opening, cut at a sentence end, in order.
    opening = "".join(p.body for p in carried)
    assert carried[-1].body.endswith(".")
    assert "If I develop a pharmaceutical agent" in opening
    assert "ketamine" not in opening.split("Glutamate?", 1)[1]  # the second paragraph waits


def test_the_sample_as_a_quote_on_instagram(sample: tuple[Post, Brand]) -> None:
    post, brand = sample
    shaped = replace(post, shape="quote")
    delivery = compose(shaped, brand, NETWORKS["instagram"])
    check_shaped(shaped, brand, delivery)
    (part,) = delivery.parts
    assert part.text.startswith(f"“{post.quote}”\n\n{post.link}\n\n#WomensMentalHealth")
    assert part.text.endswith(brand.call_to_action)
    (card,) = part.images
    assert card.kind == "quote_card" and card.text == post.quote
    assert post.quote in card.alt and card.size == (1080, 1350)
    assert "If I develop" not in part.text  # the quote, not the piece


def test_the_sample_with_an_x_override(sample: tuple[Post, Brand]) -> None:
    _, brand = sample
    raw = (PROJECT_ROOT / "examples" / "glutamate.md").read_text(encoding="utf-8")
    raw = raw.replace("\n---\n", "\nx: {body: \"Ketamine lifts depression in hours, not "
                      "weeks. The catch is the side effects; I think two new classes of "
                      "drugs are coming.\", hashtags: [Ketamine], shape: teaser, "
                      "max_parts: 2}\nlinkedin: {body: \"For colleagues: where glutamate "
                      "research is heading.\"}\n---\n", 1)
    post = parse_post(raw, "glutamate.md")
    deliveries = compose_all(post, brand)
    x = deliveries["x"]
    check_shaped(post, brand, x)
    assert x.shape == "teaser" and x.overridden == ("body", "hashtags", "shape", "max_parts")
    assert "Ketamine lifts depression in hours" in x.parts[0].text
    assert "#Ketamine" in x.parts[0].text and "#Psychiatry" not in x.parts[0].text
    assert "If I develop" not in "".join(p.text for p in x.parts)
    assert len([p for p in x.parts if p.body]) <= 2
    assert brand.disclaimer in x.parts[-1].text  # still appended, and counted
    linkedin = deliveries["linkedin"]
    check_shaped(post, brand, linkedin)
    assert linkedin.overridden == ("body",) and linkedin.shape == "whole"
    assert "where glutamate research is heading" in linkedin.parts[0].text
    # Everywhere else, the post as written.
    assert deliveries["bluesky"].overridden == ()
    bluesky = deliveries["bluesky"].parts
    assert "If I develop" in bluesky[0].text + bluesky[1].text


# -- choosing the shape ------------------------------------------------------------------------

def test_the_post_wins_over_the_brand_and_the_default_reads_the_rules() -> None:
    brand = replace(BRAND, shapes={name: "quote" for name in NETWORK_NAMES},
                    shape_parts={})
    post = Post(body="One. Two. Three.")
    for name in NETWORK_NAMES:
        assert choose(post, brand, NETWORKS[name]).shape == "quote"
        assert choose(replace(post, shape="teaser"), brand, NETWORKS[name]).shape == "teaser"
        override = {name: Override(shape="whole")}
        assert choose(replace(post, shape="teaser", overrides=override), brand,
                      NETWORKS[name]).shape == "whole"
        default = choose(post, BRAND, NETWORKS[name])
        assert default.shape == "whole"
        assert default.max_parts == (3 if NETWORKS[name].thread else 1)


def test_the_brand_sets_shapes_parts_and_read_more_words() -> None:
    brand = parse_brand("""
[author]
name = "A"
[disclaimer]
full = "Not advice."
[call_to_action]
default = "Follow."
[shapes]
read_more = "The rest is here:"
x = {shape = "teaser", max_parts = 2}
instagram = "quote"
""")
    assert brand.shapes == {"x": "teaser", "instagram": "quote"}
    assert brand.shape_parts == {"x": 2}
    post = Post(body="First sentence here. " * 60, link="https://example.com/a")
    x = format_post(post, brand, NETWORKS["x"])
    assert x.shape == "teaser" and "The rest is here: https://example.com/a" in \
        "".join(p.text for p in x.parts)
    assert len([p for p in x.parts if p.body]) <= 2
    assert any("from the brand" in note for note in x.notes)


@pytest.mark.parametrize(("section", "problem"), [
    ('x = "tease"', "shapes.x"),
    ('x = {shape = "teaser", max_parts = 0}', "shapes.x.max_parts"),
    ('read_more = ""', "shapes.read_more"),
])
def test_a_bad_shape_in_the_brand_names_the_key(section: str, problem: str) -> None:
    with pytest.raises(BrandError) as caught:
        parse_brand(f"[author]\nname = \"A\"\n[disclaimer]\nfull = \"D.\"\n"
                    f"[call_to_action]\ndefault = \"C.\"\n[shapes]\n{section}\n")
    assert problem in str(caught.value)


@pytest.mark.parametrize(("front", "says"), [
    ("shape: summary", "unknown shape 'summary'; the shapes are whole, teaser, quote"),
    ("max_parts: 0", "max_parts must be a whole number of parts, 1 or more"),
    ("x: {body: 3}", "x: body must be text"),
    ("x: {colour: red}", "unknown field(s) colour; an override may set"),
    ("x: teaser", "x: must be a table of fields"),
    ("x: {shape: long}", "unknown shape 'long'"),
    ("x: {body: \"\"}", "body is empty"),
])
def test_a_bad_shape_or_override_in_a_post_says_what_and_how(front: str, says: str) -> None:
    with pytest.raises(PostError) as caught:
        parse_post(f"---\n{front}\n---\nThe body.", "p.md")
    assert says in str(caught.value)


# -- evergreen rounds ------------------------------------------------------------------------

QUOTES = st.lists(st.sampled_from([
    "Sleep is treatment too.", "Ask for help early, not late.", "Glutamate is not serotonin.",
    "Side effects are a question, not a verdict.", "Two classes of drugs are coming 🧠."]),
    min_size=1, max_size=4, unique=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=texts(), platform=st.sampled_from(NETWORK_NAMES), shape=st.sampled_from(SHAPES),
       number=st.integers(0, 5), quotes=QUOTES, hooks=HOOKS)
def test_every_round_of_every_shape_keeps_the_properties(
    body: str, platform: str, shape: str, number: int, quotes: list[str], hooks: list[str],
) -> None:
    rules = NETWORKS[platform]
    post = Post(body=body, title="Why glutamate?", link="https://example.com/a", shape=shape,
                quote=quotes[0], quotes=tuple(quotes[1:]), hooks=tuple(hooks))
    varied = round_post(post, number, rules)
    delivery = compose(varied, BRAND, rules)
    check_shaped(varied, BRAND, delivery)
    assert compose(round_post(post, number, rules), BRAND, rules) == delivery
    openings = ("Why glutamate?", *hooks)
    assert varied.title == openings[number % len(openings)]
    assert varied.quote == quotes[number % len(quotes)]
    everything = "".join(p.text for p in delivery.parts)
    tag = f"{ROUND_TAG}=repeat-{number}"
    # A network refusing a text it was sent gets the round in its link (LinkedIn escapes it).
    assert (tag in everything or rules.escape(tag) in everything) == (
        number > 0 and rules.refuses_duplicates)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=texts(), platform=st.sampled_from(
    [n for n in NETWORK_NAMES if NETWORKS[n].refuses_duplicates]), quotes=QUOTES)
def test_a_quote_per_round_makes_every_part_of_every_round_new(
    body: str, platform: str, quotes: list[str],
) -> None:
    """Where a network refuses a text it was sent, rounds of the quote shape with a quote each
    differ in every part: the quote, and the closing part's link tagged per round."""
    rules = NETWORKS[platform]
    post = Post(body=body, link="https://example.com/a", shape="quote", quote=quotes[0],
                quotes=tuple(quotes[1:]))
    rounds = [[p.text for p in compose(round_post(post, k, rules), BRAND, rules).parts]
              for k in range(len(quotes))]
    assert repeated_texts(rounds) is None
    # One round more than there are quotes: the first quote comes back, and the check says so
    # wherever the link alone does not make the part new.
    again = [*rounds, [p.text for p in compose(round_post(post, len(quotes), rules), BRAND,
                                                rules).parts]]
    clash = repeated_texts(again)
    assert clash is None or clash[1] == len(quotes)


def test_a_round_without_anything_to_rotate_is_the_same_text_and_is_found() -> None:
    post = Post(body="One sentence. Two sentences.", shape="quote", quote="A quote.")
    rules = NETWORKS["bluesky"]  # takes a text twice: no tag on its link
    rounds = [[p.text for p in compose(round_post(post, k, rules), BRAND, rules).parts]
              for k in range(2)]
    assert repeated_texts(rounds) == (0, 1, 0, rounds[0][0])
