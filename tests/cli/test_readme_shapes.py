"""The README's three shapes of the sample post are what the formatter makes today."""

from __future__ import annotations

import importlib.util

from support import REPO


def test_the_readme_shows_the_shapes_the_formatter_makes() -> None:
    spec = importlib.util.spec_from_file_location("shapes_readme",
                                                  REPO / "scripts" / "shapes_readme.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    made = script.section()
    assert made in readme, "run .venv/bin/python scripts/shapes_readme.py --write"
    assert "| X | 18 parts | 4 parts | 2 parts |" in made
