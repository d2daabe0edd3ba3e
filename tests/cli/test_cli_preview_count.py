"""`crier preview` and `crier count` through the real command-line entry point."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.config import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "examples" / "glutamate.md"


@pytest.fixture(autouse=True)
def _brand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRIER_BRAND", str(PROJECT_ROOT / "brand.toml"))


def run(args: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "",
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
            stdin.encode("utf-8", "surrogatepass")), encoding="utf-8"))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_preview_shows_every_network_with_lengths_and_marks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["preview", str(SAMPLE)], capsys)
    assert code == 0
    for display in ("X", "Bluesky", "Mastodon", "Threads", "LinkedIn", "Facebook", "Instagram"):
        assert f"== {display}:" in out
    assert "[disclaimer, call to action]" in out
    assert "/280" in out and "/300" in out and "/500" in out and "/3000" in out


def test_preview_json_marks_the_disclaimer_once_per_delivery(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["preview", str(SAMPLE), "--json"], capsys)
    assert code == 0
    deliveries = json.loads(out)
    assert len(deliveries) == 7
    for delivery in deliveries:
        flags = [p["disclaimer"] for p in delivery["parts"]]
        assert flags.count(True) == 1 and flags[-1] is True
        for part in delivery["parts"]:
            assert part["length"] <= part["limit"]


def test_preview_one_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["preview", str(SAMPLE), "--platform", "bluesky", "--json"], capsys)
    (delivery,) = json.loads(out)
    assert delivery["platform"] == "bluesky"
    assert any(f["type"] == "tag" for p in delivery["parts"] for f in p["facets"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "has no body"),
        ("---\ntitle: [\n---\nx", "not valid YAML"),
        ("---\nplatforms: [friendster]\n---\nx", "unknown network 'friendster'"),
    ],
)
def test_preview_bad_post_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str,
) -> None:
    post = tmp_path / "post.md"
    post.write_text(content, encoding="utf-8")
    code, out, err = run(["preview", str(post)], capsys)
    assert code == 1 and out == ""
    assert message in err


def test_preview_unknown_network_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["preview", str(SAMPLE), "--platform", "myspace"], capsys)
    assert code == 1 and "unknown network 'myspace'" in err


def test_preview_bad_brand_names_every_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    brand = tmp_path / "brand.toml"
    brand.write_text('[author]\nname = "A"\n[colours]\ntext = "white"\n', encoding="utf-8")
    monkeypatch.setenv("CRIER_BRAND", str(brand))
    code, _, err = run(["preview", str(SAMPLE)], capsys)
    assert code == 1
    for key in ("disclaimer.full", "call_to_action.default", "colours.text"):
        assert key in err


def test_a_post_that_cannot_fit_names_network_and_amount(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    post = tmp_path / "post.md"
    post.write_text("---\nplatforms: [bluesky]\n---\nok " + "x" * 400, encoding="utf-8")
    code, _, err = run(["preview", str(post)], capsys)
    assert code == 1
    assert err.startswith("crier: bluesky: ") and "graphemes over the limit" in err


def test_count_reads_json_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = "\n".join(json.dumps(t) for t in [
        "Hello @alice.bsky.social, see example.com/x. #tag",
        "é" * 300,
        "é" * 301,
    ])
    code, out, _ = run(["count", "--platform", "bluesky"], capsys, lines, monkeypatch)
    assert code == 0
    first, second, third = (json.loads(line) for line in out.splitlines())
    assert first["valid"] is True and first["graphemes"] == first["length"]
    assert {f["type"] for f in first["facets"]} == {"mention", "link", "tag"}
    link = next(f for f in first["facets"] if f["type"] == "link")
    assert link["uri"] == "https://example.com/x"
    mention = next(f for f in first["facets"] if f["type"] == "mention")
    assert mention["handle"] == "alice.bsky.social"
    text = b"Hello @alice.bsky.social, see example.com/x. #tag"
    assert text[link["byteStart"]:link["byteEnd"]] == b"example.com/x"
    assert (second["valid"], second["bytes"]) == (True, 600)
    assert third["valid"] is False and third["length"] == 301


def test_count_x_weighs_urls_and_cjk(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = "\n".join(json.dumps(t) for t in ["https://example.com/" + "a" * 100, "日本"])
    code, out, _ = run(["count", "--platform", "x"], capsys, lines, monkeypatch)
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["length"] for r in results] == [23, 4]
    assert all(r["limit"] == 280 for r in results)


def test_count_mastodon_limit_override(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _ = run(["count", "--platform", "mastodon", "--limit", "1000"], capsys,
                       json.dumps("a" * 700), monkeypatch)
    assert json.loads(out) == {"length": 700, "limit": 1000, "valid": True}


def test_count_bad_lines_exit_non_zero(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdin = '"fine"\nnot json\n42\n"lone \\ud800 surrogate"\n'
    code, out, err = run(["count", "--platform", "x"], capsys, stdin, monkeypatch)
    assert code == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert results[0]["valid"] is True
    assert "not JSON" in results[1]["error"]
    assert "expected a JSON string" in results[2]["error"]
    assert "lone surrogate U+D800" in results[3]["error"]
    assert "line 2" in err


def test_count_unknown_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["count", "--platform", "orkut"], capsys)
    assert code == 1 and "unknown network 'orkut'" in err


def test_console_script_is_installed() -> None:
    crier = Path(sys.executable).parent / "crier"
    result = subprocess.run([str(crier), "count", "--platform", "x"], input='"hi"\n',
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"length": 2, "limit": 280, "valid": True}
