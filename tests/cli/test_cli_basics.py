"""The command line itself: -v after the command, a reader that goes away, exit codes."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support import REPO, Result


def test_verbose_works_after_the_command_as_well_as_before(
    crier: Callable[..., Result], cli_env: Path,
) -> None:
    import logging

    for argv in (("-v", "queue", "list"), ("queue", "list", "-v"), ("slots", "show", "-v")):
        logging.getLogger().handlers.clear()  # main() sets logging up once per process
        result = crier(*argv)
        assert result.code == 0, (argv, result.err)
        assert logging.getLogger().getEffectiveLevel() == logging.INFO, argv
    logging.getLogger().handlers.clear()
    assert crier("queue", "list").code == 0
    assert logging.getLogger().getEffectiveLevel() == logging.WARNING


def test_a_closed_pipe_ends_quietly_without_a_traceback(cli_env: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    read_end, write_end = os.pipe()
    # The smallest pipe Linux allows (one page): the JSON is far larger, so the child is
    # certainly still writing when the reader goes away.
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    child = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "preview", str(REPO / "examples" / "glutamate.md"),
         "--json"], stdout=write_end, stderr=subprocess.PIPE, env=env, cwd=cli_env)
    os.close(write_end)
    assert child.stderr is not None
    child.stdout = os.fdopen(read_end, "rb")
    assert child.stdout.read(100).startswith(b"[")
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err
