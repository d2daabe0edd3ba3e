"""Time per 1080x1350 quote card, against two baselines measured in the same run.

- the floor: a blank canvas of the same size, encoded the same way (what any card costs at
  least). Goal: a card at most 4x the floor, both for a quote seen before (its layout cached)
  and for a quote never seen (set from scratch: sizes searched, lines measured and drawn).
- a naive renderer: reloads the font and redraws the card at each candidate size until the
  quote fits. Goal: ours at least 3x faster, for seen and never-seen quotes alike.
Cards cycle through distinct quotes; fonts and the brand background stay loaded, as in a real
run that renders one post for seven networks or a week of posts. "Never seen" rounds forget
every layout and measurement first (layout.forget_text), so each round is a first sight.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

from content.delivery import ImageRef
from content.images.colour import parse_hex
from content.images.encode import encode
from content.images.layout import fit, forget_text
from content.images.quotes import quoted
from content.images.render import Media, render_image
from content.networks import rules_for
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.images import FONTS, font_library

SIZE = (1080, 1350)
QUOTES = [
    "Do patients have to endure these side effects to achieve the therapeutic benefits?",
    "What, then, is the primary drawback of using ketamine?",
    "Glutamate pathways may be a far more effective way to foster neurogenesis.",
    "Recovery from depression is the growth of new connections, not only a change of mood.",
    "Some patients may benefit from these effects; for others they overshadow the gains.",
    "Two classes of medication may come: one fast, one gentle.",
    "The exploration of glutamate offers a promising avenue, and important questions.",
    "Less is more.",
    "A controlled clinical setting makes difficult side effects easier to tolerate.",
    "Tailored treatment means listening to how each patient responds.",
    "Ketamine blocks NMDA receptors: a sort of off switch for inhibition.",
    "Research continues to unravel how these mechanisms work.",
    # Longer pulled quotes, as authors paste them: these make a renderer search the sizes.
    "Historically, the neurotransmitter glutamate has not received much attention in the realm "
    "of depression treatment, primarily due to the complexities of its pathways.",
    "In a controlled clinical environment, many individuals may find they can tolerate these "
    "side effects, especially when weighed against the substantial benefits of the medication.",
    "This dual approach could provide a wider range of options for patients, allowing for more "
    "tailored treatments based on individual responses and tolerances, and fewer surprises.",
    "As research continues to unravel the complexities of these mechanisms, we may uncover new "
    "strategies to harness the benefits of glutamate modulation while minimizing the risks.",
]


def mean_per_item(items: int, run: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(items):
        run(i)
    return (time.perf_counter() - start) / items


def per_item(repeats: int, items: int, run: Callable[[int], object]) -> float:
    """The median over `repeats` rounds of the mean seconds per item."""
    return statistics.median(mean_per_item(items, run) for _ in range(repeats))


def naive_card(quote: str, colours: tuple[str, str, str], author: str, handle: str) -> bytes:
    """The obvious renderer: for each size from large to small, load the font, draw the whole
    card, measure; stop at the first size whose text fits."""
    rules = rules_for("instagram")
    width, height = SIZE
    margin, footer = 86, 108
    box_w, box_h = width - 2 * margin, height - 2 * margin - footer - 60
    top, bottom, text = (parse_hex(c) for c in colours)
    image = Image.new("RGB", SIZE)
    for size in range(108, 42, -1):  # every size, as precise as ours
        font = ImageFont.truetype(str(FONTS / "NotoSerifDisplay-Regular.ttf"), size)
        ramp = Image.linear_gradient("L").resize(SIZE)
        image = Image.composite(Image.new("RGB", SIZE, bottom), Image.new("RGB", SIZE, top), ramp)
        draw = ImageDraw.Draw(image)
        lines: list[str] = []
        for word in quote.split():
            if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= box_w:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        block = "\n".join(lines)
        centre = (width / 2, margin + 60 + box_h / 2)
        draw.multiline_text(centre, block, font=font, fill=text, anchor="mm", align="center")
        left, upper, right, lower = draw.multiline_textbbox(centre, block, font=font, anchor="mm")
        if right - left <= box_w and lower - upper <= box_h:
            break
    draw = ImageDraw.Draw(image)
    name = ImageFont.truetype(str(FONTS / "Inter-SemiBold.otf"), 32)
    small = ImageFont.truetype(str(FONTS / "Inter-Regular.otf"), 27)
    draw.text((margin + 140, height - margin - 70), author, font=name, fill=text)
    draw.text((margin + 140, height - margin - 30), handle, font=small, fill=text)
    return encode(image, rules.images.formats, rules.images.max_bytes, photo=False).data


def main() -> int:
    brand = load_brand(PROJECT_ROOT / "brand.toml")
    rules = rules_for("instagram")
    media = Media(font_library(brand.quote_font, brand.text_font))
    refs = [ImageRef("quote_card", "", SIZE, text=q) for q in QUOTES]
    blank = Image.new("RGB", SIZE, parse_hex(brand.colours.background))
    n = len(QUOTES)

    def card(i: int) -> object:
        return render_image(refs[i], rules, brand, media)

    def blank_card(i: int) -> object:
        return encode(blank, rules.images.formats, rules.images.max_bytes, photo=False)

    render_image(ImageRef("quote_card", "", SIZE, text="Warm up."), rules, brand, media)
    floors, colds, warms = [], [], []
    for _ in range(7):  # interleaved, so a busy moment on the machine weighs on all three
        floors.append(mean_per_item(n, blank_card))
        forget_text()  # nothing about the quotes cached: each is set as never seen
        colds.append(mean_per_item(n, card))
        warms.append(mean_per_item(n, card))  # the same quotes again: layouts cached
    floor, cold, ours = (statistics.median(times) for times in (floors, colds, warms))
    colours = (brand.colours.background, brand.colours.background_end or
               brand.colours.background, brand.colours.text)
    handle = brand.handles.get("instagram", "")
    naive = per_item(2, n, lambda i: naive_card(quoted(QUOTES[i]), colours, brand.author, handle))

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    goals = {
        "seen": ours <= 4 * floor,
        "never seen": cold <= 4 * floor,
        "naive vs seen": naive >= 3 * ours,
        "naive vs never seen": naive >= 3 * cold,
    }
    print(f"quote card 1080x1350 (JPEG, {n} distinct quotes, medians of rounds)")
    print(f"  floor: blank canvas, same encoding      {floor * 1000:7.2f} ms")
    print(f"  ours, quote seen before (layout cached) {ours * 1000:7.2f} ms = "
          f"{ours / floor:.2f}x the floor   goal <= 4x the floor: {verdict(goals['seen'])}")
    print(f"  ours, quote never seen (set from zero)  {cold * 1000:7.2f} ms = "
          f"{cold / floor:.2f}x the floor   goal <= 4x the floor: {verdict(goals['never seen'])}")
    print(f"  naive: reload font, redraw per size     {naive * 1000:7.2f} ms")
    print(f"    = ours seen before {naive / ours:5.1f}x faster   goal >= 3x: "
          f"{verdict(goals['naive vs seen'])}")
    print(f"    = ours never seen  {naive / cold:5.1f}x faster   goal >= 3x: "
          f"{verdict(goals['naive vs never seen'])}")
    print(f"  cached: {fit.cache_info().currsize} layouts")
    print(f"  all goals met: {'yes' if all(goals.values()) else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
