"""The reference process, started once per session and shared by every differential test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from diff_reference import Reference, ReferenceUnavailable, require_node


@pytest.fixture(scope="session")
def reference() -> Iterator[Reference]:
    require_node()
    try:
        ref = Reference()
    except ReferenceUnavailable as exc:
        # npm could not install the pinned packages (no registry, say): the same rule as a
        # missing Node, skipped with the reason locally and a failure under CI=true.
        import os

        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the references are unavailable: {exc}")
        pytest.skip(f"the references are unavailable: {exc}")
    with ref:
        yield ref
