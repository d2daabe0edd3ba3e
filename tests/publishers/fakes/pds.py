"""Run the real Bluesky reference PDS (npm ``@atproto/dev-env``) for a test.

`install()` runs ``tests/pds/install.sh``, which installs the pinned packages once into
``${CRIER_CACHE_DIR:-~/.cache/crier}/pds-<lock hash>/`` (outside the repository) and prints that
directory. `running_pds()` starts ``node start.mjs`` there (an in-memory PLC and a PDS on SQLite,
no app view), waits for the JSON line it prints (url, handle, password, email, did), yields it as a
`PdsInfo` and terminates the process afterwards. The PDS keeps its SQLite files and blobs in a
temporary directory that is removed on exit.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import node

missing_tools = node.missing_tools  # what tests and the bench ask before starting it

PDS_DIR = Path(__file__).resolve().parents[3] / "tests" / "pds"
INSTALL_SCRIPT = PDS_DIR / "install.sh"


class PdsUnavailable(RuntimeError):
    """node/npm are missing, or the install failed."""


@dataclass(frozen=True)
class PdsInfo:
    url: str  # e.g. http://localhost:43121
    handle: str
    password: str
    email: str
    did: str
    startup_seconds: float  # from spawning node to the JSON line


def require_node() -> None:
    """Skip the calling test, with the reason, when Node is absent; under CI=true, fail it."""
    node.require_node("the Bluesky reference PDS")


def install(*, timeout: float = 1800.0) -> Path:
    """Install (once) and return the directory holding node_modules and start.mjs."""
    return node.npm_install(INSTALL_SCRIPT, timeout=timeout, error=PdsUnavailable)


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    # Keep draining stdout so the child never blocks on a full pipe.
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextmanager
def running_pds(
    install_dir: Path | None = None,
    *,
    handle: str = "author.test",
    password: str = "author-pass",
    email: str | None = None,
    timeout: float = 60.0,
) -> Iterator[PdsInfo]:
    """Start the reference PDS with one account; yield its `PdsInfo`; stop it on exit."""
    executable = shutil.which("node")
    if executable is None:
        raise PdsUnavailable("node not found on PATH")
    directory = install_dir if install_dir is not None else install()
    work = Path(tempfile.mkdtemp(prefix="crier-pds-"))
    env = {
        **os.environ,
        "NODE_PATH": str(directory / "node_modules"),
        "TMPDIR": str(work),  # dev-env puts the PDS's SQLite files and blobs under os.tmpdir()
        "LOG_ENABLED": "false",
        "NODE_ENV": "test",
    }
    args = [executable, str(directory / "start.mjs"), "--handle", handle, "--password", password]
    if email:
        args += ["--email", email]
    stderr_path = work / "stderr.log"
    started = time.monotonic()
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            args,
            cwd=directory,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
    lines: queue.Queue[str | None] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    try:
        info = _wait_for_info(proc, lines, started, timeout, stderr_path)
        yield info
    finally:
        _stop(proc)
        shutil.rmtree(work, ignore_errors=True)


def _wait_for_info(
    proc: subprocess.Popen[str],
    lines: queue.Queue[str | None],
    started: float,
    timeout: float,
    stderr_path: Path,
) -> PdsInfo:
    deadline = started + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PdsUnavailable(f"PDS did not start within {timeout} s:\n{_tail(stderr_path)}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            proc.wait(timeout=5)
            raise PdsUnavailable(
                f"PDS exited ({proc.returncode}) before it was ready:\n{_tail(stderr_path)}"
            )
        try:
            data = json.loads(line)
        except ValueError:
            continue  # some other output
        if isinstance(data, dict) and "url" in data and "did" in data:
            return PdsInfo(
                url=data["url"],
                handle=data["handle"],
                password=data["password"],
                email=data["email"],
                did=data["did"],
                startup_seconds=time.monotonic() - started,
            )


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # start.mjs shuts down when stdin closes
            proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, OSError):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    elif proc.stdin is not None:
        proc.stdin.close()


def _tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""
