"""Run every benchmark: `python -m bench` (or `make bench`). Each prints its own ratios."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    only = set(sys.argv[1:])
    status = 0
    for name in names:
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        print(f"## {name}", flush=True)
        status |= importlib.import_module(f"bench.{name}").main()
    return status


if __name__ == "__main__":
    sys.exit(main())
