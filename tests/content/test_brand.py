"""The brand file: the sample validates, and every wrong key is reported at once."""

from __future__ import annotations

import pytest

from content.brand import parse_brand
from content.errors import BrandError
from scheduler.config import PROJECT_ROOT, load_brand

MINIMAL = """
[author]
name = "A. Author"
timezone = "Europe/Paris"
[disclaimer]
full = "Not advice."
[call_to_action]
default = "Follow me."
"""


def test_sample_brand_is_valid() -> None:
    brand = load_brand(PROJECT_ROOT / "brand.toml")
    assert brand.author == "Jamie Lee Sorenson, MD"
    assert brand.disclaimer.startswith("Disclaimer: Posts are for education")
    assert len(brand.disclaimer_short) < len(brand.disclaimer)
    assert brand.call_to_action_for("x") != brand.call_to_action
    assert brand.call_to_action_for("linkedin") == brand.call_to_action
    assert brand.timezone == "America/New_York"


def test_minimal_brand_has_defaults() -> None:
    brand = parse_brand(MINIMAL)
    assert brand.disclaimer_short == "Not advice."
    assert brand.closing("x") == ("Not advice.", "Follow me.")
    assert brand.max_lateness_minutes == 120


def test_call_to_action_can_come_first() -> None:
    brand = parse_brand(MINIMAL.replace('default = "Follow me."',
                                        'default = "Follow me."\nposition = "before_disclaimer"'))
    assert brand.closing("x") == ("Follow me.", "Not advice.")


def test_every_problem_is_reported_with_its_key() -> None:
    raw = """
[author]
timezone = "Mars/Olympus"
[disclaimer]
full = ""
[call_to_action]
default = "Go"
position = "sideways"
[colours]
background = "blue"
[images.sizes]
instagram = [10, 10]
[schedule]
max_lateness_minutes = -5
platforms = ["x", "myspace"]
[mastodon]
visibility = "everyone"
[extra]
key = 1
"""
    with pytest.raises(BrandError) as caught:
        parse_brand(raw, "my-brand.toml")
    keys = {key for key, _ in caught.value.problems}
    assert keys == {
        "author.name", "author.timezone", "disclaimer.full", "call_to_action.position",
        "colours.background", "images.sizes.instagram", "schedule.max_lateness_minutes",
        "schedule.platforms", "mastodon.visibility", "extra",
    }
    assert "my-brand.toml has 10 problem(s)" in str(caught.value)


def test_bad_toml_and_missing_file(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(BrandError, match="not valid TOML"):
        parse_brand("[author\nname=")
    with pytest.raises(BrandError, match="CRIER_BRAND"):
        load_brand(Path(str(tmp_path)) / "nope.toml")
