"""`crier count`: measure texts the way a network counts them (JSON lines in, JSON lines out)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from content.networks import NETWORK_NAMES, NetworkRules, check_platform, rules_for
from content.text import find_bad_code_point
from scheduler.service import Service


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "count",
        help="measure texts as a network counts them",
        description="Reads one JSON string per line on stdin; writes one JSON object per line "
        "with length, limit and valid (and, where the network has a byte limit or takes facets, "
        "the length in its unit, the UTF-8 bytes and the facets).",
    )
    parser.add_argument("--platform", required=True, help=", ".join(NETWORK_NAMES))
    parser.add_argument("--limit", type=int, help="the server's limit, where servers set their own")
    parser.set_defaults(func=run)


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


def run(args: argparse.Namespace, service: Service) -> int:
    rules = rules_for(check_platform(args.platform))
    if args.limit:
        rules = rules.with_limit(args.limit)
    failed = False
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)
        except json.JSONDecodeError as exc:
            result: dict[str, Any] = {"valid": False, "error": f"line {number}: not JSON: {exc}"}
        else:
            if isinstance(text, str):
                result = measure(text, rules)
            else:
                result = {"valid": False,
                          "error": f"line {number}: expected a JSON string, got "
                                   f"{type(text).__name__}"}
        if "error" in result:
            failed = True
            print(f"crier count: {result['error']}", file=sys.stderr)
        # ensure_ascii keeps lone surrogates representable in the output
        print(json.dumps(result, ensure_ascii=True))
    return 1 if failed else 0
