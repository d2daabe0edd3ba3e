"""Formatting for every network: limits, threads, the disclaimer, and the properties that hold."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content.brand import Brand, parse_brand
from content.compose import compose_all
from content.delivery import Delivery
from content.errors import DoesNotFit, TooManyParts
from content.formatting import format_text, pieces_of
from content.networks import NETWORK_NAMES, NETWORKS, rules_for
from content.networks.linkedin import escape_little_text
from content.post import Post
from scheduler.config import PROJECT_ROOT, load_brand, load_post

BRAND = parse_brand("""
[author]
name = "A. Author"
[disclaimer]
full = "Disclaimer: for education only. No medical advice given (really)."
short = "Not medical advice."
[call_to_action]
default = "Like, share & follow for more!"
[schedule]
max_parts = 1000
""")  # the cap on parts is a property of its own (below), not of every text


def closing_texts(brand: Brand, platform: str, delivery: Delivery) -> tuple[str, str]:
    short = delivery.disclaimer_form == "short"
    disclaimer = brand.disclaimer_short if short else brand.disclaimer
    cta = brand.call_to_action_for(platform)
    if platform == "linkedin":
        return escape_little_text(disclaimer), escape_little_text(cta)
    return disclaimer, cta


def check_delivery(post: Post, brand: Brand, delivery: Delivery) -> None:
    """The properties every delivery has, whatever the text."""
    rules = rules_for(delivery.platform)
    for part in delivery.parts:
        assert rules.fits(part.text), (part.index, part.length)
        assert part.length == rules.measure(part.text) <= rules.limit
    disclaimer, cta = closing_texts(brand, delivery.platform, delivery)
    everything = "\n".join(part.text for part in delivery.parts)
    assert everything.count(disclaimer) == 1
    assert everything.count(cta) == 1
    closing_parts = [p for p in delivery.parts if p.closing]
    assert len(closing_parts) == 1 and closing_parts[0] is delivery.parts[-1]
    assert disclaimer in closing_parts[0].text and cta in closing_parts[0].text
    # No text lost or reordered: the bodies are consecutive slices of the text, and only
    # whitespace lies between them.
    text, position = post.text, 0
    bodies = [part.body for part in delivery.parts if part.body]
    for body in bodies:
        found = text.find(body, position)
        assert found >= 0 and text[position:found].strip() == ""
        position = found + len(body)
    shortened = any("shortened" in note for note in delivery.notes)
    if not shortened:
        assert text[position:].strip() == ""
    else:
        assert len(bodies) == 1 and text.startswith(bodies[0])


def test_sample_post_for_every_network() -> None:
    brand = load_brand(PROJECT_ROOT / "brand.toml")
    post = load_post(PROJECT_ROOT / "examples" / "glutamate.md")
    deliveries = compose_all(post, brand)
    assert set(deliveries) == set(NETWORK_NAMES)
    for delivery in deliveries.values():
        check_delivery(post, brand, delivery)
    x = deliveries["x"]
    assert len(x.parts) > 5
    assert x.parts[0].text.startswith("What's the deal with Glutamate?")
    assert [p.text.rsplit("\n", 1)[-1] for p in x.parts] == [
        f"{i}/{len(x.parts)}" for i in range(1, len(x.parts) + 1)
    ]
    assert "#WomensMentalHealth" in x.parts[0].text
    # LinkedIn, Facebook and Instagram take the whole piece in one post.
    for name in ("linkedin", "facebook", "instagram"):
        assert len(deliveries[name].parts) == 1
        assert deliveries[name].disclaimer_form == "full"
    # Bluesky's hashtags and link are facets with UTF-8 byte offsets.
    kinds = {f.kind for p in deliveries["bluesky"].parts for f in p.facets}
    assert {"tag", "link"} <= kinds


def test_thread_prefers_sentence_boundaries() -> None:
    sentences = [f"Sentence number {i} is here and it says a few words." for i in range(20)]
    post = Post(body=" ".join(sentences))
    delivery = format_text(post, BRAND, NETWORKS["x"])
    for part in delivery.parts:
        if part.body:
            assert part.body.endswith("."), part.body


def test_thread_prefers_paragraphs_when_the_part_stays_full_enough() -> None:
    para = "Words " * 50 + "end."
    post = Post(body=f"{para}\n\n{para}\n\n{para}")
    delivery = format_text(post, BRAND, NETWORKS["mastodon"])
    assert [p.body for p in delivery.parts if p.body][:3] == [para, para, para]


def test_closing_gets_its_own_part_when_it_does_not_fit_the_last() -> None:
    post = Post(body="word " * 45 + "end.")
    delivery = format_text(post, BRAND, NETWORKS["x"])
    assert delivery.parts[-1].body == ""
    assert delivery.parts[-1].text.startswith(BRAND.disclaimer)


def test_a_closing_part_of_its_own_carries_the_link_so_no_two_posts_repeat_it() -> None:
    closings = []
    for link in ("https://example.com/one", "https://example.com/two"):
        post = Post(body="word " * 45 + "end.", link=link)
        delivery = format_text(post, BRAND, NETWORKS["x"])
        last = delivery.parts[-1]
        assert last.body == "" and last.text.startswith(f"{link}\n\n{BRAND.disclaimer}")
        assert link not in delivery.parts[-2].text
        closings.append(last.text)
    assert closings[0] != closings[1]  # X refuses a text it has already been sent


def test_short_post_is_one_part_without_numbering() -> None:
    delivery = format_text(Post(body="Hello there."), BRAND, NETWORKS["x"])
    assert len(delivery.parts) == 1
    assert delivery.parts[0].text == f"Hello there.\n\n{BRAND.disclaimer}\n\n{BRAND.call_to_action}"


def test_numbering_can_be_switched_off() -> None:
    post = Post(body="Sentence here. " * 60, numbering=False)
    delivery = format_text(post, BRAND, NETWORKS["x"])
    assert len(delivery.parts) > 1
    assert not any(p.text.endswith(f"/{len(delivery.parts)}") for p in delivery.parts)


def test_numbering_width_grows_with_the_thread() -> None:
    post = Post(body="Sentence here with words. " * 200)
    delivery = format_text(post, BRAND, NETWORKS["x"])
    count = len(delivery.parts)
    assert count >= 10
    assert delivery.parts[0].text.endswith(f"\n\n1/{count}")
    check_delivery(post, BRAND, delivery)


def test_single_post_network_shortens_at_a_sentence_with_ellipsis_and_link() -> None:
    post = Post(body="This is one sentence. " * 200, link="https://example.com/full")
    delivery = format_text(post, BRAND, NETWORKS["linkedin"])
    (part,) = delivery.parts
    assert part.body.endswith("sentence.")
    assert f"sentence. …\n\nhttps://example.com/full\n\n{escape_little_text(BRAND.disclaimer)}" \
        in part.text
    assert "shortened at a sentence boundary to fit one post" in delivery.notes


def test_thread_false_makes_one_shortened_post() -> None:
    post = Post(body="This is one sentence. " * 30, thread=False)
    delivery = format_text(post, BRAND, NETWORKS["x"])
    assert len(delivery.parts) == 1


def test_linkedin_escapes_little_text_and_writes_hashtags_as_templates() -> None:
    post = Post(body="Use (parentheses) and #tags_with * stars", hashtags=("Health",))
    (part,) = format_text(post, BRAND, NETWORKS["linkedin"]).parts
    assert part.text.startswith(r"Use \(parentheses\) and \#tags\_with \* stars")
    assert "{hashtag|\\#|Health}" in part.text


def test_hashtags_are_capped_per_network_and_deduplicated() -> None:
    post = Post(body="Text.", hashtags=("a1", "b2", "c3", "A1", "d4", "e5", "f6"))
    assert format_text(post, BRAND, NETWORKS["threads"]).parts[0].text.count("#") == 1
    assert format_text(post, BRAND, NETWORKS["x"]).parts[0].text.count("#") == 2
    assert format_text(post, BRAND, NETWORKS["instagram"]).parts[0].text.count("#") == 6


def test_short_disclaimer_only_where_the_full_one_cannot_fit() -> None:
    long_disclaimer = ("Long disclaimer words. " * 13).strip()
    long_brand = parse_brand(f"""
[author]
name = "A"
[disclaimer]
full = "{long_disclaimer}"
short = "Not medical advice."
[call_to_action]
default = "Follow."
""")
    post = Post(body="Hello.")
    x = format_text(post, long_brand, NETWORKS["x"])
    mastodon = format_text(post, long_brand, NETWORKS["mastodon"])
    assert x.disclaimer_form == "short" and "Not medical advice." in x.parts[-1].text
    assert mastodon.disclaimer_form == "full"
    assert any("short disclaimer" in note for note in x.notes)


def test_nothing_fits_says_which_network_by_how_much_and_what_to_shorten() -> None:
    huge = "Words. " * 60
    brand = parse_brand(f"""
[author]
name = "A"
[disclaimer]
full = "{huge}"
short = "{huge}"
[call_to_action]
default = "Follow."
""")
    with pytest.raises(DoesNotFit) as caught:
        format_text(Post(body="Hi."), brand, NETWORKS["bluesky"])
    message = str(caught.value)
    assert message.startswith("bluesky: ")
    assert "graphemes over the limit" in message
    assert "disclaimer.short" in message and "call_to_action.bluesky" in message
    # The closing part of a thread carries its number too ("\n\n9/9" is reserved).
    assert caught.value.over_by == len(f"{huge.strip()}\n\nFollow.\n\n9/9") - 300


def test_a_word_longer_than_a_part_is_refused() -> None:
    post = Post(body="ok " + "a" * 600)
    with pytest.raises(DoesNotFit, match="a word cannot be split"):
        format_text(post, BRAND, NETWORKS["mastodon"])


def test_urls_mentions_and_hashtags_are_never_split() -> None:
    url = "https://example.com/" + "path/" * 20
    words = ["word"] * 40 + [url, "@someone@example.social", "#LongHashtagHere"] * 5
    post = Post(body=" ".join(words))
    for name in ("x", "bluesky", "mastodon", "threads"):
        delivery = format_text(post, BRAND, NETWORKS[name])
        for part in delivery.parts:
            for word in part.body.split():
                assert word in words


def test_mastodon_content_warning_is_counted_in_every_part() -> None:
    from dataclasses import replace

    brand = replace(BRAND, network_options={"mastodon": {"content_warning": "Mental health"}})
    post = Post(body="word " * 300 + "end.")
    plain = format_text(post, BRAND, NETWORKS["mastodon"])
    warned = format_text(post, brand, NETWORKS["mastodon"])
    assert all(part.limit == 500 - len("Mental health") for part in warned.parts)
    assert all(part.length <= part.limit for part in warned.parts)
    assert max(p.length for p in plain.parts) > 500 - len("Mental health")
    assert any("content warning" in note for note in warned.notes)


def test_pieces_know_their_boundaries() -> None:
    levels = [p.level for p in pieces_of("One two. Three\nfour\n\nFive")]
    assert levels == [4, 1, 2, 3, 4]


# -- properties --------------------------------------------------------------------------------
WORDS = st.sampled_from([
    "the", "glutamate", "ketamine", "brain.", "receptors,", "Why?", "yes!", "(NMDA)", "café",
    "naïve", "日本語", "中文字", "한국어", "مرحبا", "שלום", "😀", "👩‍👩‍👧‍👦", "🇫🇷", "1️⃣",
    "https://example.com/a?b=c", "example.org", "@alice", "@bob@example.social", "#tag",
    "#WomensHealth", "$AAPL", "e.g.", "—", "x_y", "a*b", "{c}", "[d]", "<e>", "~f", "|g|", "\\h",
    "🧠🧠🧠", "ẞ", "Z̤͔ͧ̑̓", "a" * 25,
])
SEPARATORS = st.sampled_from([" ", " ", " ", " ", "\n", "\n\n"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=220))
    out = [words[0]]
    for word in words[1:]:
        out += [draw(SEPARATORS), word]
    return "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=texts(), platform=st.sampled_from(NETWORK_NAMES), numbering=st.booleans(),
       link=st.sampled_from([None, "https://example.com/the-article"]),
       thread=st.sampled_from([None, False]))
def test_properties_for_every_network(
    body: str, platform: str, numbering: bool, link: str | None, thread: bool | None,
) -> None:
    post = Post(body=body, numbering=numbering, link=link, thread=thread,
                hashtags=("MentalHealth",))
    first = format_text(post, BRAND, NETWORKS[platform])
    check_delivery(post, BRAND, first)
    assert format_text(post, BRAND, NETWORKS[platform]) == first  # deterministic
    # Under a cap, a thread longer than it is refused, and one within it is the same thread.
    cap = 3
    try:
        capped = format_text(post, replace(BRAND, max_parts=cap), NETWORKS[platform])
    except TooManyParts as exc:
        assert len(first.parts) > cap and exc.parts > cap
    else:
        assert capped == first and len(first.parts) <= cap
