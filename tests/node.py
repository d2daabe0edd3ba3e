"""Node and npm for the tests that run a network's reference code (the Bluesky PDS, the
counting libraries): whether they are there, and installing a pinned package set once.

Each install script installs its committed lock file into a cache folder keyed by the lock's
hash and prints that folder on its last line. Importable without pytest (the differential
tables' generator runs outside it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def missing_tools() -> list[str]:
    return [tool for tool in ("node", "npm") if shutil.which(tool) is None]


def require_node(what: str) -> None:
    """Skip the calling test, saying `what` needs Node, when it is absent; under CI=true,
    fail it instead: CI must run it."""
    import pytest

    missing = missing_tools()
    if missing:
        message = f"{what} needs {', '.join(missing)} (Node 20 + npm), which is not on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)


def npm_install(script: Path, *, timeout: float, error: type[Exception]) -> Path:
    """Run `script` (once it has run, it returns at once) and return the folder it printed;
    `error` names what failed and how."""
    missing = missing_tools()
    if missing:
        raise error(f"{', '.join(missing)} not found on PATH")
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                            timeout=timeout, check=False)
    if result.returncode != 0:
        raise error(f"{script} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return Path(result.stdout.strip().splitlines()[-1])
