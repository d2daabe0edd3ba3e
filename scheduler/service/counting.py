"""`crier count`'s work: each line of input measured the way a network counts it.

One answer per line of input, always, so that the n-th output line is about the n-th input
line: an empty line, a line that is not JSON or not UTF-8 gets an error answer of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from content.networks import NetworkRules, check_platform, rules_for
from content.text import find_bad_code_point


def rules_with_limit(platform: str, limit: int | None) -> NetworkRules:
    rules = rules_for(check_platform(platform))
    return rules.with_limit(limit) if limit else rules


def count_lines(lines: Iterable[bytes], rules: NetworkRules) -> Iterator[dict[str, Any]]:
    """One result per line (JSON strings, UTF-8), in order; a bad line's result has `error`."""
    for number, raw in enumerate(lines, 1):
        yield _count_line(number, raw.rstrip(b"\r\n"), rules)


def _count_line(number: int, raw: bytes, rules: NetworkRules) -> dict[str, Any]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"valid": False, "error": f"line {number}: not UTF-8 (byte 0x{raw[exc.start]:02X} "
                                         f"at position {exc.start}); save the input as UTF-8"}
    if not line.strip():
        return {"valid": False, "error": f"line {number}: empty; expected a JSON string"}
    try:
        text = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"valid": False, "error": f"line {number}: not JSON: {exc}"}
    if not isinstance(text, str):
        return {"valid": False, "error": f"line {number}: expected a JSON string, got "
                                         f"{type(text).__name__}"}
    return measure(text, rules)


def measure(text: str, rules: NetworkRules) -> dict[str, Any]:
    """The count of one text for one network, as `crier count` reports it."""
    bad = find_bad_code_point(text)
    if bad:
        return {"valid": False, "error": f"{bad[1]} at index {bad[0]}", "limit": rules.limit}
    sent = rules.escape(text)
    length = rules.measure(sent)
    problem = rules.problem(sent)
    result: dict[str, Any] = {
        "length": length,
        "limit": rules.limit,
        "valid": bool(text.strip()) and length <= rules.limit and problem is None,
    }
    if problem:
        result["problem"] = problem
    if rules.byte_limit is not None:  # two limits: each length by its own name
        result[rules.unit] = length
        result["bytes"] = len(text.encode("utf-8"))
    if rules.facets is not None:
        result["facets"] = [_facet_json(f.byte_start, f.byte_end, f.kind, f.value)
                            for f in rules.facets(text)]
    return result


def _facet_json(start: int, end: int, kind: str, value: str) -> dict[str, Any]:
    key = {"link": "uri", "mention": "handle", "tag": "tag"}[kind]
    return {"byteStart": start, "byteEnd": end, "type": kind, key: value}
