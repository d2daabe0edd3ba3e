"""Time to format the sample post for all seven networks, against a naive word-by-word splitter."""

from __future__ import annotations

from collections.abc import Sequence

from bench.timing import best_of
from content.compose import compose_all
from content.formatting import Extras, _Formatter
from scheduler.config import PROJECT_ROOT, load_brand, load_post


class _NaiveFormatter(_Formatter):
    """The obvious approach: measure the candidate part after every added word."""

    def longest(self, i: int, candidates: Sequence[int], extras: Extras, tail: str = "") -> int:
        best = -1
        for j in candidates:
            if not self.fits(self.body(i, j) + tail, extras):
                break
            best = j
        return best


def main() -> int:
    import content.formatting as formatting

    brand = load_brand(PROJECT_ROOT / "brand.toml")
    post = load_post(PROJECT_ROOT / "examples" / "glutamate.md")
    ours = best_of(20, lambda: compose_all(post, brand))
    real = formatting._Formatter
    formatting._Formatter = _NaiveFormatter  # type: ignore[misc]
    try:
        naive_result = compose_all(post, brand)
        naive = best_of(5, lambda: compose_all(post, brand))
    finally:
        formatting._Formatter = real  # type: ignore[misc]
    same = naive_result == compose_all(post, brand)
    print(f"format sample post for 7 networks: ours {ours * 1000:.1f} ms, "
          f"naive word-by-word {naive * 1000:.1f} ms, ratio {naive / ours:.1f}x faster "
          f"(identical output: {'yes' if same else 'NO'})")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
