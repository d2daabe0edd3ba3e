"""Crier's counters against the networks' own code, text by text, field by field.

X: every field of twitter-text 3.1.0's `parseTweet` (v3 configuration) and the URL indices of
`extractUrlsWithIndices`, also with `extractUrlsWithoutProtocol: false`, the URL finder
Mastodon's length rule uses. Bluesky: @atproto/api's `RichText` grapheme length, UTF-8 length and
the facets `detectFacets` builds without an agent (before handles are resolved).

The texts come from hypothesis, built from the hard pieces in `pieces.py`, derandomized (the same
texts on every run) and sent to the reference a batch at a time. Each shrunk failure goes into
`regressions.json`, which is checked on every run before anything is generated.

Run: `.venv/bin/pytest -m differential tests/differential` (CI=true: never skipped).
CRIER_DIFFERENTIAL_TEXTS raises the number of generated texts per network (20,000 at least).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from diff_reference import Reference
from hypothesis import HealthCheck, example, given, settings
from pieces import batches

from content.counting.graphemes import count_graphemes, utf8_length
from content.counting.richtext import detect_facets, fits_post, post_length
from content.counting.twitter_text import extract_urls, parse_tweet, weighted_length

pytestmark = pytest.mark.differential

MIN_TEXTS = 20_000
TEXTS = max(MIN_TEXTS, int(os.environ.get("CRIER_DIFFERENTIAL_TEXTS", MIN_TEXTS)))
BATCH = 50  # texts per round trip: the pipe costs little, and hypothesis keeps each example small
REGRESSIONS = Path(__file__).with_name("regressions.json")


def _regressions() -> list[str]:
    texts: list[str] = json.loads(REGRESSIONS.read_text(encoding="utf-8"))
    return texts


# --- what each side says -------------------------------------------------------------------


def _utf16_index(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le", "surrogatepass")) // 2


def ours_x(text: str) -> dict[str, Any]:
    result: dict[str, Any] = dict(parse_tweet(text).as_twitter_text())
    # The reference reports UTF-16 indices; ours are code points.
    result["urls"] = [[_utf16_index(text, s), _utf16_index(text, e)] for s, e in extract_urls(text)]
    # Mastodon's URL finder: the same extractor, scheme required.
    result["urlsWithProtocol"] = [
        [_utf16_index(text, s), _utf16_index(text, e)]
        for s, e in extract_urls(text, with_bare=False)
    ]
    # The fast path must say the same as the full parse.
    result["weighted_length()"] = weighted_length(text)
    return result


def reference_x(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "weighted_length()": result["weightedLength"]}


def ours_bluesky(text: str) -> dict[str, Any]:
    graphemes, size = post_length(text)
    assert fits_post(text) == (graphemes <= 300 and size <= 3000)
    return {
        "graphemeLength": count_graphemes(text),
        "length": utf8_length(text),
        "post_length()": [graphemes, size],
        "facets": [[f.byte_start, f.byte_end, f.kind, f.value] for f in detect_facets(text)],
    }


def reference_bluesky(result: dict[str, Any]) -> dict[str, Any]:
    facets = []
    for facet in result["facets"]:
        [feature] = facet["features"]
        kind = feature["$type"].rpartition("#")[2]
        value = feature.get("uri", feature.get("did", feature.get("tag")))
        facets.append([facet["index"]["byteStart"], facet["index"]["byteEnd"], kind, value])
    return {
        "graphemeLength": result["graphemeLength"],
        "length": result["length"],
        "post_length()": [result["graphemeLength"], result["length"]],
        "facets": facets,
    }


def disagreements_x(reference: Reference, texts: list[str]) -> list[tuple[str, Any, Any]]:
    found = []
    for text, theirs in zip(texts, reference.x(texts), strict=True):
        ours, expected = ours_x(text), reference_x(theirs)
        if ours != expected:
            found.append((text, ours, expected))
    return found


def disagreements_bluesky(reference: Reference, texts: list[str]) -> list[tuple[str, Any, Any]]:
    found = []
    for text, theirs in zip(texts, reference.bluesky(texts), strict=True):
        ours, expected = ours_bluesky(text), reference_bluesky(theirs)
        if ours != expected:
            found.append((text, ours, expected))
    return found


def _report(found: list[tuple[str, Any, Any]]) -> str:
    text, ours, expected = found[0]
    differing = sorted(k for k in expected if ours.get(k) != expected[k])
    lines = [f"{len(found)} disagreement(s); first: {text!r}"]
    for key in differing:
        lines.append(f"  {key}: ours {ours.get(key)!r}, reference {expected[key]!r}")
    return "\n".join(lines)


# --- the tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("network", ["x", "bluesky"])
def test_regressions_agree(reference: Reference, network: str) -> None:
    texts = _regressions()
    assert len(texts) >= 1, "regressions.json must not be empty"
    check = disagreements_x if network == "x" else disagreements_bluesky
    found = check(reference, texts)
    assert not found, _report(found)


def _generated(reference: Reference, check: Callable[..., list[tuple[str, Any, Any]]]) -> int:
    checked: list[int] = []

    @settings(
        max_examples=TEXTS // BATCH,
        derandomize=True,  # the same texts on every run: a failure is never a fluke
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(batches(BATCH))
    @example(_regressions())
    def agree(texts: list[str]) -> None:
        found = check(reference, texts)
        assert not found, _report(found)
        checked.append(len(texts))

    agree()
    return sum(checked)


def test_x_agrees_with_twitter_text(reference: Reference) -> None:
    assert _generated(reference, disagreements_x) >= TEXTS


def test_bluesky_agrees_with_atproto_api(reference: Reference) -> None:
    assert _generated(reference, disagreements_bluesky) >= TEXTS


def test_the_reference_is_the_pinned_one(reference: Reference) -> None:
    versions = reference.versions()
    assert versions["twitter-text"] == "3.1.0"
    assert versions["twemoji-parser"] == "11.0.2"
    assert versions["@atproto/api"] == "0.19.19"
