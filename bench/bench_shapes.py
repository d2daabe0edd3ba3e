"""Time to shape the sample post for all seven networks, each shape against `whole` (today's
formatter) in the same run, and the teaser's galloping search for its cut against trying every
sentence end in turn."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import content.shapes as shapes
from bench.timing import best_of
from content.compose import compose_all
from content.overrides import SHAPES
from scheduler.config import PROJECT_ROOT, load_brand, load_post


def _linear(candidates: Sequence[int], ok: Callable[[int], bool]) -> int | None:
    """The obvious search: every candidate in turn, until one is too long."""
    best = None
    for candidate in candidates:
        if not ok(candidate):
            break
        best = candidate
    return best


def main() -> int:
    brand = load_brand(PROJECT_ROOT / "brand.toml")
    post = load_post(PROJECT_ROOT / "examples" / "glutamate.md")
    times = {shape: best_of(10, lambda s=shape: compose_all(replace(post, shape=s), brand))
             for shape in SHAPES}
    for shape in SHAPES:
        print(f"shape the sample post as {shape} for 7 networks: {times[shape] * 1000:.1f} ms "
              f"({times[shape] / times['whole']:.2f}x whole's time)")
    teaser = replace(post, shape="teaser")
    ours_result = compose_all(teaser, brand)
    real = shapes.last_that_fits
    shapes.last_that_fits = _linear  # type: ignore[assignment]
    try:
        linear_result = compose_all(teaser, brand)
        linear = best_of(3, lambda: compose_all(teaser, brand))
    finally:
        shapes.last_that_fits = real  # type: ignore[assignment]
    same = linear_result == ours_result
    print(f"teaser cut search: ours {times['teaser'] * 1000:.1f} ms, every sentence end in turn "
          f"{linear * 1000:.1f} ms, ratio {linear / times['teaser']:.1f}x faster "
          f"(identical output: {'yes' if same else 'NO'})")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
