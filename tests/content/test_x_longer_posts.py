"""X accounts that may post longer: the brand's `[x] limit` gives fewer, longer parts, each
within that limit as X counts it, in preview and in what is queued; a bad limit is refused by
its key."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import REPO, Result

from content.brand import parse_brand
from content.counting.twitter_text import weighted_length
from content.errors import BrandError

SAMPLE = REPO.parent / "shared" / "samples" / "blog-post-glutamate.txt"
BRAND = (REPO / "brand.toml").read_text(encoding="utf-8")


@pytest.fixture
def sample_post(crier: Callable[..., Result], cli_env: Path) -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is not beside the repository")
    out = cli_env / "glutamate.md"
    imported = crier("import", str(SAMPLE), "-o", str(out))
    assert imported.code == 0, imported.err
    return out


def x_parts(crier: Callable[..., Result], post: Path, brand: Path) -> list[dict[str, object]]:
    result = crier("preview", str(post), "--platform", "x", "--json")
    assert result.code == 0, result.err
    (delivery,) = json.loads(result.out)
    parts: list[dict[str, object]] = delivery["parts"]
    return parts


def brand_with(cli_env: Path, monkeypatch: pytest.MonkeyPatch, extra: str) -> Path:
    path = cli_env / "brand.toml"
    path.write_text(BRAND + extra, encoding="utf-8")
    monkeypatch.setenv("CRIER_BRAND", str(path))
    return path


@pytest.mark.parametrize("limit", [1000, 25000])
def test_a_longer_limit_gives_fewer_parts_each_within_it(
        crier: Callable[..., Result], cli_env: Path, sample_post: Path,
        monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    usual = x_parts(crier, sample_post, brand_with(cli_env, monkeypatch, ""))
    longer = x_parts(crier, sample_post,
                     brand_with(cli_env, monkeypatch, f"\n[x]\nlimit = {limit}\n"))
    assert len(longer) < len(usual)
    for part in usual:
        assert weighted_length(str(part["text"])) <= 280
    for part in longer:
        assert part["limit"] == limit
        assert weighted_length(str(part["text"])) <= limit
    # Nothing is lost: the body's words all go out, in order, either way.
    def words(parts: list[dict[str, object]]) -> str:
        return " ".join(str(p["body"]) for p in parts).split("Disclaimer")[0]
    assert words(longer).split()[:40] == words(usual).split()[:40]
    assert sum(str(p["text"]).count("Disclaimer:") for p in longer) == 1


def test_a_longer_limit_is_what_gets_queued(
        crier: Callable[..., Result], cli_env: Path, sample_post: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    brand_with(cli_env, monkeypatch, "\n[x]\nlimit = 25000\n")
    result = crier("queue", "add", str(sample_post), "--now", "--platforms", "x", "--json")
    assert result.code == 0, result.err
    shown = crier("queue", "list", "--json")
    (row,) = json.loads(shown.out)
    assert row["parts"] == len(x_parts(crier, sample_post, cli_env / "brand.toml"))


@pytest.mark.parametrize("value", ["100", "25001", '"long"', "true", "280.5"])
def test_a_bad_limit_is_refused_by_its_key(value: str) -> None:
    with pytest.raises(BrandError) as err:
        parse_brand(BRAND + f"\n[x]\nlimit = {value}\n")
    assert "x.limit" in str(err.value)


def test_without_a_section_the_published_limit_holds() -> None:
    from content.networks import rules_for

    brand = parse_brand(BRAND)
    assert rules_for("x").for_account(brand.options_for("x")).limit == 280
    longer = parse_brand(BRAND + "\n[x]\nlimit = 4000\n")
    assert rules_for("x").for_account(longer.options_for("x")).limit == 4000
