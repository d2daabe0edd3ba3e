"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def best_of(repeats: int, run: Callable[[], object]) -> float:
    """The fastest of `repeats` runs, in seconds: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def race(ours: Callable[[str], None], bare: Callable[[str], None],
         rounds: int) -> tuple[float, float]:
    """Median seconds per call of each side over `rounds` calls (after one untimed warm-up
    each), the two sides alternating so that drift in the machine hits both alike. Each call
    gets its own round name, so the posts sent differ."""
    ours("warm-ours")
    bare("warm-bare")
    times: dict[str, list[float]] = {"ours": [], "bare": []}
    for n in range(rounds):
        for side, send in (("ours", ours), ("bare", bare)) if n % 2 else (
                ("bare", bare), ("ours", ours)):
            start = time.perf_counter()
            send(f"{side}-{n}")
            times[side].append(time.perf_counter() - start)
    return statistics.median(times["ours"]), statistics.median(times["bare"])
