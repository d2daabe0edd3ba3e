"""`crier count`: measure texts the way a network counts them (JSON lines in, JSON lines out)."""

from __future__ import annotations

import argparse
import json
import sys

from content.networks import NETWORK_NAMES
from scheduler.service import Service
from scheduler.service.counting import count_lines, rules_with_limit


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "count",
        help="measure texts as a network counts them",
        description="Reads one JSON string per line on stdin; writes one JSON object per line "
        "with length, limit and valid (and, where the network has a byte limit or takes facets, "
        "the length in its unit, the UTF-8 bytes and the facets). Every input line gets one "
        "output line, an error for a line that cannot be read.",
    )
    parser.add_argument("--platform", required=True, help=", ".join(NETWORK_NAMES))
    parser.add_argument("--limit", type=_positive, metavar="N",
                        help="the server's limit, where servers set their own")
    parser.set_defaults(func=run)


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def run(args: argparse.Namespace, service: Service) -> int:
    rules = rules_with_limit(args.platform, args.limit)
    failed = False
    for result in count_lines(sys.stdin.buffer, rules):
        if "error" in result:
            failed = True
            print(f"crier count: {result['error']}", file=sys.stderr)
        # ensure_ascii keeps lone surrogates representable in the output
        print(json.dumps(result, ensure_ascii=True), flush=True)
    return 1 if failed else 0
