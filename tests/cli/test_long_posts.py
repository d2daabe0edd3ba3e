"""A post too long to be a sane thread is refused, naming the count and the ways out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import REPO, Result

Crier = Callable[..., Result]
WORDS = ("sleep", "mood", "the", "brain", "and", "women", "psychiatry", "care", "of", "ketamine")


def _long_post(folder: Path, words: int) -> Path:
    sentences = []
    for i in range(words // 12):
        sentences.append(" ".join(WORDS[(i + k) % len(WORDS)] for k in range(12)) + ".")
    paragraphs = [" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5)]
    path = folder / "long.md"
    path.write_text("---\ntitle: A long piece\n---\n" + "\n\n".join(paragraphs) + "\n",
                    encoding="utf-8")
    return path


def test_a_3000_word_post_is_refused_on_x_with_the_count_and_the_ways_out(
    crier: Crier, cli_env: Path,
) -> None:
    post = _long_post(cli_env, 3000)
    result = crier("queue", "add", str(post), "--now", "--platforms", "x,linkedin")
    assert result.code == 1
    assert "X: this post would be a thread of about" in result.err
    count = int(result.err.split("about ")[1].split(" parts")[0])
    assert 90 <= count <= 160  # the whole piece, estimated from the part made so far
    assert "teaser" in result.err and "schedule.max_parts" in result.err
    assert json.loads(crier("queue", "list", "--json").out) == []


def test_a_huge_body_is_refused_quickly_not_formatted_whole(crier: Crier, cli_env: Path
                                                            ) -> None:
    post = _long_post(cli_env, 200_000)  # about 1.3 MB: thousands of parts
    result = crier("preview", str(post), "--platform", "bluesky")
    assert result.code == 1 and "thread of about" in result.err
    assert int(result.err.split("about ")[1].split(" parts")[0]) > 1000


def test_raising_the_cap_lets_it_through_and_single_post_networks_are_unaffected(
    crier: Crier, cli_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    post = _long_post(cli_env, 3000)
    assert crier("queue", "add", str(post), "--now", "--platforms", "linkedin").code == 0
    brand = cli_env / "brand.toml"
    text = (REPO / "brand.toml").read_text(encoding="utf-8")
    brand.write_text(text.replace("max_parts = 25", "max_parts = 200"), encoding="utf-8")
    monkeypatch.setenv("CRIER_BRAND", str(brand))
    added = crier("queue", "add", str(post), "--now", "--platforms", "x", "--json")
    assert added.code == 0, added.err
    assert json.loads(added.out)["queued"][0]["parts"] > 25


def test_a_bad_cap_is_a_brand_error(crier: Crier, cli_env: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    brand = cli_env / "brand.toml"
    text = (REPO / "brand.toml").read_text(encoding="utf-8")
    brand.write_text(text.replace("max_parts = 25", "max_parts = 0"), encoding="utf-8")
    monkeypatch.setenv("CRIER_BRAND", str(brand))
    result = crier("preview", str(REPO / "examples" / "glutamate.md"))
    assert result.code == 1 and "schedule.max_parts: must be a whole number >= 1" in result.err
