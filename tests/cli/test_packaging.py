"""Installing Crier says nothing it should not: the licence is an SPDX string, not the table
setuptools deprecates (and warns about at every install)."""

from __future__ import annotations

import re
import tomllib

from support import REPO


def test_the_licence_is_an_spdx_expression_with_a_setuptools_that_reads_it() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    [floor] = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    version = re.fullmatch(r"setuptools>=(\d+)", floor)
    assert version and int(version.group(1)) >= 77  # the first to read an SPDX string
