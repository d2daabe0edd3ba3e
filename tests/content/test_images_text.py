"""Text on the images: font fallback per script, right-to-left order, emoji, line breaking."""

from __future__ import annotations

import statistics

import pytest
from PIL import Image, ImageFont
from test_images_support import fonts

from content.images.errors import ImageError
from content.images.fonts import RAQM, coverage
from content.images.layout import _widths, fit, set_text, units
from content.images.quotes import choose_quote, quoted, typographic
from content.images.runs import direction, draw_runs, measure, split_runs, visual_order

QUOTE = "“Do patients have to endure these side effects to achieve the therapeutic benefits?”"


def ink_columns(text: str, size: int = 80, rows: tuple[float, float] = (0.0, 1.0)
                ) -> list[int]:
    """Draw one line (white on black) and list the x of every column with ink in the band of
    rows given as fractions of the ink's height."""
    chain = fonts().chain("quote")
    rtl = bool(direction(text))
    runs = visual_order(split_runs(text, chain), rtl)
    image = Image.new("RGB", (size * (len(text) + 2), size * 3), (0, 0, 0))
    draw_runs(image, runs, size, size * 2, size, (255, 255, 255), rtl)
    grey = image.convert("L")
    box = grey.getbbox()
    assert box is not None, f"nothing drawn for {text!r}"
    top = box[1] + int((box[3] - box[1]) * rows[0])
    bottom = box[1] + max(1, int((box[3] - box[1]) * rows[1]))
    band = grey.crop((0, top, grey.width, bottom))
    return [x for x in range(band.width)
            if band.crop((x, 0, x + 1, band.height)).getextrema()[1] > 128]


def test_each_script_falls_back_to_a_face_that_has_it() -> None:
    chain = fonts().chain("quote")
    faces = {run.text.strip(): run.face.name
             for run in split_runs("Hope 心の健康 마음 שלום مرحبا 💙", chain)}
    assert faces["Hope"].startswith("NotoSerifDisplay")
    assert faces["心の健康 마음"] == "wqy-microhei.ttc"
    assert faces["שלום"].startswith("NotoSerifHebrew")
    assert faces["مرحبا"].startswith("NotoNaskhArabic")
    assert faces["💙"] == "NotoColorEmoji.ttf"


def test_every_character_of_the_scripts_is_covered_no_empty_boxes() -> None:
    library = fonts()
    covered = set().union(*(coverage(face.path) for face in library.chain("quote").faces))
    samples = "心の健康は大切です。마음 건강 שלום עולם مرحبا بالعالم “Quote” — ’s é ü ß"
    missing = [ch for ch in samples if not ch.isspace() and ord(ch) not in covered]
    assert missing == []


def test_a_character_no_font_has_is_an_error_naming_it() -> None:
    with pytest.raises(ImageError, match=r"U\+0915 DEVANAGARI LETTER KA.*brand\.toml"):
        split_runs("Hello क", fonts().chain("quote"))


def test_hebrew_reads_right_to_left_first_letter_at_the_right() -> None:
    # Lamed (ל) is the only Hebrew letter that rises above the others: written first, it must
    # be drawn at the right end of the word.
    tall = ink_columns("לאאאא", rows=(0.0, 0.15))
    all_ink = ink_columns("לאאאא")
    span = all_ink[-1] - all_ink[0]
    assert tall and min(tall) > all_ink[0] + span * 0.7


def test_arabic_reads_right_to_left_and_is_joined() -> None:
    # Alef (ا) is tall; written first it stands at the right end.
    tall = ink_columns("اببب", rows=(0.0, 0.2))
    all_ink = ink_columns("اببب")
    span = all_ink[-1] - all_ink[0]
    assert tall and min(tall) > all_ink[0] + span * 0.6
    if RAQM:  # joined letters take their narrow connected forms
        chain = fonts().chain("quote")
        joined = sum(measure(r, 60, True).advance for r in split_runs("بببب", chain))
        alone = 4 * sum(measure(r, 60, True).advance for r in split_runs("ب", chain))
        assert joined < alone * 0.8


def test_right_to_left_words_inside_english_are_ordered_as_a_block() -> None:
    chain = fonts().chain("quote")
    runs = visual_order(split_runs("I said שלום and left", chain), False)
    texts = [r.text.strip() for r in runs]
    assert texts[0].startswith("I said") and texts[-1].endswith("and left")
    reordered = visual_order(split_runs("abc שלום مرحبا", chain), False)
    # Two right-to-left words in a row: the second one is drawn to the left of the first.
    assert [r.text.strip() for r in reordered][1:] == ["مرحبا", "שלום"]


def test_emoji_are_drawn_in_colour() -> None:
    chain = fonts().chain("quote")
    image = Image.new("RGB", (400, 200), (0, 0, 0))
    runs = visual_order(split_runs("💙", chain), False)
    draw_runs(image, runs, 20, 150, 100, (255, 255, 255), False)
    colours = image.getcolors(400 * 200) or []
    assert any(b > r + 80 and b > 150 for _, (r, g, b) in colours), "no blue: not colour emoji"


def test_zwj_family_is_one_emoji() -> None:
    runs = split_runs("👩‍👩‍👧", fonts().chain("quote"))
    assert len(runs) == 1 and runs[0].emoji
    single = measure(split_runs("👩", fonts().chain("quote"))[0], 60, False).advance
    assert measure(runs[0], 60, False).advance == pytest.approx(single, rel=0.2)


def test_lines_are_balanced_and_the_last_line_is_not_one_word() -> None:
    chain = fonts().chain("quote")
    layout = fit(QUOTE, chain, 908, 900, 43, 108)
    assert layout is not None and len(layout.lines) >= 2
    # Greedy filling at the same size and width, for comparison: balanced is more even.
    pieces = units(QUOTE)
    widths, space = _widths(pieces, chain, layout.size, False)
    greedy, line = [], 0.0
    for w in widths:
        if line and line + space + w > 908:
            greedy.append(line)
            line = w
        else:
            line = line + space + w if line else w
    greedy.append(line)
    balanced = [ln.extent.advance for ln in layout.lines]
    assert len(balanced) in (len(greedy), len(greedy) + 1)
    assert statistics.pstdev(balanced) <= statistics.pstdev(greedy)
    assert len(units(layout.lines[-1].text)) >= 2


def test_fit_takes_the_largest_size_that_fits_without_a_one_word_last_line() -> None:
    chain = fonts().chain("quote")
    layout = fit(QUOTE, chain, 908, 700, 20, 300)
    assert layout is not None and layout.height <= 700
    bigger = set_text(QUOTE, chain, layout.size + 1, 908)
    assert (bigger is None or bigger.height > 700
            or len(units(bigger.lines[-1].text)) == 1)


def test_too_long_for_the_smallest_size_does_not_fit() -> None:
    assert fit(QUOTE * 20, fonts().chain("quote"), 500, 300, 30, 60) is None


def test_cjk_breaks_between_characters_but_not_before_closing_marks() -> None:
    text = ("「こころの健康は、からだの健康と同じくらい大切です。"
            "毎日少しずつ、自分をいたわりましょう。」")
    pieces = [u.text for u in units(text)]
    assert "「こ" in pieces and "は、" in pieces and "う。」" in pieces
    layout = fit(text, fonts().chain("quote"), 600, 900, 30, 90)
    assert layout is not None and len(layout.lines) > 1
    for line in layout.lines:
        assert line.text[0] not in "、。」，"


def test_typographic_quotes() -> None:
    assert typographic('She said "don\'t" ... twice') == "She said “don’t” … twice"
    assert quoted('"Already quoted"') == "“Already quoted”"
    assert quoted('He said "no" twice') == "“He said ‘no’ twice”"
    assert quoted("こころの健康") == "「こころの健康」"
    assert quoted("مرحبا") == "«مرحبا»"


def test_a_sentence_is_chosen_from_the_body_when_there_is_no_quote() -> None:
    body = (
        "However, this depends on the patient. Moreover, it is complicated. "
        "What, then, is the primary drawback of using ketamine? It is a long story that goes "
        "on and on for many words and does not make a good card at all because it is long."
    )
    assert choose_quote(body) == "What, then, is the primary drawback of using ketamine?"
    assert choose_quote("Short.", title="The title") == "The title"


@pytest.fixture
def without_raqm(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Pillow's basic layout, as on a machine without libraqm/FriBiDi."""
    import content.images.fonts as fonts_module
    import content.images.layout as layout_module
    import content.images.runs as runs_module

    caches = (fonts_module.font, runs_module.measure, runs_module.advance, runs_module._line_mask,
              layout_module.fit, layout_module.set_text, layout_module._unit_width)
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setattr(runs_module, "RAQM", False)
    monkeypatch.setattr(fonts_module, "LAYOUT", ImageFont.Layout.BASIC)
    yield
    monkeypatch.undo()
    for cache in caches:
        cache.cache_clear()


@pytest.mark.usefixtures("without_raqm")
def test_without_libraqm_right_to_left_is_still_in_the_right_order() -> None:
    tall = ink_columns("לאאאא", rows=(0.0, 0.15))
    all_ink = ink_columns("לאאאא")
    assert tall and min(tall) > all_ink[0] + (all_ink[-1] - all_ink[0]) * 0.7
