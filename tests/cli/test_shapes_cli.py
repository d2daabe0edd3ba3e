"""`crier preview` and `crier queue` with shapes, overrides and repeats: what the author sees,
and bad input refused with what is wrong and how to fix it, a non-zero exit and the queue as
it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import REPO, Result

Crier = Callable[..., Result]
SAMPLE = (REPO / "examples" / "glutamate.md").read_text(encoding="utf-8")


def write(folder: Path, front: str, name: str = "post.md") -> Path:
    (folder / "brain-scans.jpg").write_bytes((REPO / "examples" / "brain-scans.jpg").read_bytes())
    path = folder / name
    path.write_text(SAMPLE.replace("\n---\n", "\n" + front.strip() + "\n---\n", 1),
                    encoding="utf-8")
    return path


def queued(crier: Crier) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(crier("queue", "list", "--json").out)
    return rows


def test_preview_says_the_shape_and_which_fields_came_from_an_override(
        crier: Crier, cli_env: Path) -> None:
    post = write(cli_env, 'x: {body: "Ketamine works in hours.", hashtags: [Ketamine], '
                 "shape: teaser, max_parts: 2}\ninstagram: {shape: quote}")
    result = crier("preview", str(post), "--platform", "x", "--platform", "instagram",
                   "--platform", "bluesky")
    assert result.code == 0, result.err
    assert "== X: 2 parts, teaser," in result.out
    assert "override: body, hashtags, shape, max_parts from the post's x: section" in result.out
    assert "== Instagram: 1 part, quote," in result.out
    assert "== Bluesky:" in result.out and ", whole," in result.out
    data = {d["platform"]: d for d in json.loads(
        crier("preview", str(post), "--json").out)}
    assert data["x"]["overridden"] == ["body", "hashtags", "shape", "max_parts"]
    assert data["x"]["shape"] == "teaser" and data["linkedin"]["overridden"] == []
    assert data["x"]["parts"][-1]["disclaimer"] is True  # still appended, and counted


@pytest.mark.parametrize(("front", "says"), [
    ("shape: summary", "unknown shape 'summary'; the shapes are whole, teaser, quote"),
    ('repeat: {every: "3 fortnights", times: 2}', 'like "90 days" or "12 weeks"'),
    ('repeat: {every: "0 days", times: 2}', "at least 1 day"),
    ('repeat: {every: "90 days", times: 0}', "repeat.times must be a whole number from 1"),
    ("x: {shape: thread}", "unknown shape 'thread'"),
    # The sample as a teaser on X: its title part would be the same text at every repeat...
    ('platforms: [x]\nshape: teaser\nrepeat: {every: "90 days", times: 3}',
     "X refuses a text it has already been sent, and repeat 1 would send part 1 of the first "
     "publication again"),
    # ... and with hooks to open each repeat, its middle parts still would.
    ('platforms: [x]\nshape: teaser\nhooks: ["Ketamine works in hours.", "One drug, 70% of '
     'receptors."]\nrepeat: {every: "90 days", times: 2}',
     "repeat 2 would send part 2 of repeat 1 again"),
    # As a quote, without quotes to rotate: the first part repeats.
    ('platforms: [x]\nshape: quote\nrepeat: {every: "90 days", times: 1}',
     "give the post more hooks: or quotes: (one per repeat)"),
])
def test_bad_input_is_refused_and_the_queue_is_unchanged(
        crier: Crier, cli_env: Path, front: str, says: str) -> None:
    earlier = write(cli_env, "platforms: [bluesky]", "earlier.md")
    assert crier("queue", "add", str(earlier), "--at", "2027-01-15 09:00").code == 0
    before = queued(crier)
    post = write(cli_env, front)
    result = crier("queue", "add", str(post), "--at", "2027-01-16 09:00")
    assert result.code != 0
    assert says in result.err
    assert "nothing was queued" in result.err or "post.md" in result.err
    assert queued(crier) == before
    assert json.loads(crier("queue", "repeats", "--json").out) == []


def test_queue_repeats_lists_and_stops(crier: Crier, cli_env: Path) -> None:
    post = write(cli_env, 'platforms: [x, bluesky]\nx: {shape: quote}\n'
                 'quotes: ["One quote here.", "Another quote there."]\n'
                 'repeat: {every: "12 weeks", times: 2}')
    added = crier("queue", "add", str(post), "--at", "2027-01-15 09:00")
    assert added.code == 0, added.err
    assert "repeats 2 time(s), 12 weeks after each publication" in added.out
    listing = crier("queue", "repeats")
    assert listing.code == 0
    assert "12 weeks" in listing.out and "0/3" in listing.out
    series = json.loads(crier("queue", "repeats", "--json").out)
    assert [s["platform"] for s in series] == ["x", "bluesky"]
    stopped = crier("queue", "repeats", "--stop", str(series[0]["id"]))
    assert stopped.code == 0 and "Stopped repeat" in stopped.out
    assert [s["status"] for s in json.loads(crier("queue", "repeats", "--json").out)] == [
        "stopped", "active"]
    missing = crier("queue", "repeats", "--stop", "99")
    assert missing.code != 0 and "no repeat 99" in missing.err


def test_preview_shows_a_repeat_as_it_will_be_sent(crier: Crier, cli_env: Path) -> None:
    post = write(cli_env, 'platforms: [x]\nshape: quote\nquotes: ["Sleep is treatment too."]\n'
                 'repeat: {every: "90 days", times: 2}')
    first = crier("preview", str(post), "--json")
    second = crier("preview", str(post), "--repeat", "1", "--json")
    assert first.code == second.code == 0
    one, two = (json.loads(r.out)[0]["parts"] for r in (first, second))
    assert "Do patients have to endure" in one[0]["text"]
    assert "Sleep is treatment too." in two[0]["text"]
    assert "utm_content=repeat-1" in two[-1]["text"] and "utm_content" not in one[-1]["text"]
    missing = crier("preview", str(post), "--repeat", "3")
    assert missing.code != 0 and "there is no repeat 3; the post repeats 2 time(s)" in missing.err
