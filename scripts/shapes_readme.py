"""The README's "Shapes" section, made by the real formatter from the sample post
(examples/glutamate.md) and the sample brand.toml: the three shapes side by side.

    .venv/bin/python scripts/shapes_readme.py            # prints the section
    .venv/bin/python scripts/shapes_readme.py --write    # replaces it in README.md

tests/cli/test_readme_shapes.py checks that the README holds exactly what this prints.
"""

from __future__ import annotations

import html
import sys
from dataclasses import replace
from pathlib import Path

from content.compose import compose
from content.delivery import Delivery
from content.networks import NETWORKS
from content.overrides import SHAPES
from scheduler.config import load_brand, load_post

REPO = Path(__file__).resolve().parent.parent
START, END = "<!-- shapes:start -->", "<!-- shapes:end -->"
RULE = "─" * 24


def deliveries(network: str) -> dict[str, Delivery]:
    brand = load_brand(REPO / "brand.toml")
    post = load_post(REPO / "examples" / "glutamate.md")
    return {shape: compose(replace(post, shape=shape), brand, NETWORKS[network])
            for shape in SHAPES}


def _cell(delivery: Delivery, keep: int = 2, chars: int | None = None) -> str:
    parts = list(delivery.parts)
    shown = [p.text for p in parts]
    if len(parts) > 5:  # the first parts and the closing one; the middle is said
        shown = [*shown[:keep], f"[… {len(parts) - keep - 1} more parts …]", shown[-1]]
    if chars is not None:
        shown = [_shorten(text, chars) for text in shown]
    images = parts[0].images
    card = f"[{images[0].kind.replace('_', ' ')}: {images[0].size[0]}x{images[0].size[1]}]\n" \
        if images else ""
    between = f"\n{RULE}\n"
    return f"<pre>{html.escape(card + between.join(shown), quote=False)}</pre>"


def _shorten(text: str, chars: int) -> str:
    """The start and the closing of a long caption, the middle said in a line."""
    if len(text) <= chars:
        return text
    head, tail = text[: chars // 2], text[-chars // 2 :]
    head = head[: head.rfind(" ")]
    tail = tail[tail.find(" ") + 1 :]
    return f"{head} [… {len(text) - len(head) - len(tail)} more characters …] {tail}"


def section() -> str:
    counts = []
    for network, rules in NETWORKS.items():
        shaped = deliveries(network)
        counts.append(f"| {rules.display} | " + " | ".join(
            f"{len(shaped[s].parts)} part{'s' * (len(shaped[s].parts) != 1)}"
            for s in SHAPES) + " |")
    x, instagram = deliveries("x"), deliveries("instagram")
    rows = []
    for title, shaped, chars in (("X", x, None), ("Instagram", instagram, 700)):
        cells = "".join(f"<td>{_cell(shaped[s], chars=chars)}</td>" for s in SHAPES)
        rows.append(f"<tr><th>{title}</th>{cells}</tr>")
    head = "".join(f"<th>{s}</th>" for s in SHAPES)
    return "\n".join([
        START,
        "*Made by `.venv/bin/python scripts/shapes_readme.py` from `examples/glutamate.md`"
        " and `brand.toml`: the real formatter, as `crier preview` shows it.*",
        "",
        "| network | " + " | ".join(SHAPES) + " |",
        "|---|" + "---|" * len(SHAPES),
        *counts,
        "",
        f"<table><tr><th></th>{head}</tr>",
        *rows,
        "</table>",
        END,
    ])


def main(argv: list[str]) -> int:
    text = section()
    if "--write" not in argv:
        print(text)
        return 0
    readme = REPO / "README.md"
    current = readme.read_text(encoding="utf-8")
    start, end = current.index(START), current.index(END) + len(END)
    readme.write_text(current[:start] + text + current[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
