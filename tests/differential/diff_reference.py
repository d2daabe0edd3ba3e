"""The networks' reference counting code (npm twitter-text, @atproto/api) in one Node process.

`install()` runs ``tests/differential/install.sh``, which installs the pinned packages once into
``${CRIER_CACHE_DIR:-~/.cache/crier}/counting-refs-<lock hash>/`` (outside the repository) and
prints that directory. `Reference` starts ``node harness.mjs`` there once and talks JSON lines
with it: one request per batch of texts, one answer line per request, in order.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for `node` (also when run outside pytest)
import node  # noqa: E402

INSTALL_SCRIPT = HERE / "install.sh"


class ReferenceUnavailable(RuntimeError):
    """node/npm are missing, or the install failed."""


def require_node() -> None:
    """Skip the calling test, with the reason, when Node is absent; under CI=true, fail it."""
    node.require_node("running twitter-text and @atproto/api (the differential tests)")


def install(*, timeout: float = 600.0) -> Path:
    """Install (once) and return the directory holding node_modules and harness.mjs."""
    return node.npm_install(INSTALL_SCRIPT, timeout=timeout, error=ReferenceUnavailable)


class Reference:
    """One `node harness.mjs` process; each method sends one batch and returns its answer."""

    def __init__(self, directory: Path | None = None) -> None:
        executable = shutil.which("node")
        if executable is None:
            raise ReferenceUnavailable("node not found on PATH")
        directory = directory if directory is not None else install()
        self._proc = subprocess.Popen(
            [executable, str(directory / "harness.mjs")],
            cwd=directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        # ensure_ascii: every character travels as an escape, astral ones as surrogate pairs,
        # which is exactly the UTF-16 string JavaScript will see.
        self._proc.stdin.write(json.dumps(request, ensure_ascii=True) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise ReferenceUnavailable(f"the harness exited ({self._proc.poll()})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise ReferenceUnavailable(f"the harness failed: {reply['error']}")
        return reply

    def x(self, texts: list[str]) -> list[dict[str, Any]]:
        """parseTweet fields plus "urls" (extractUrlsWithIndices, UTF-16 indices) per text."""
        results: list[dict[str, Any]] = self._ask({"op": "x", "texts": texts})["results"]
        return results

    def bluesky(self, texts: list[str]) -> list[dict[str, Any]]:
        """graphemeLength, length (UTF-8 bytes) and facets (as RichText builds them) per text."""
        results: list[dict[str, Any]] = self._ask({"op": "bluesky", "texts": texts})["results"]
        return results

    def bench_x(self, texts: list[str], repeat: int) -> dict[str, Any]:
        """parseTweet over `texts`, `repeat` times, timed inside Node (best_ns, runs_ns)."""
        return self._ask({"op": "bench_x", "texts": texts, "repeat": repeat})

    def versions(self) -> dict[str, str]:
        reply: dict[str, str] = self._ask({"op": "versions"})
        return reply

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> Reference:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
