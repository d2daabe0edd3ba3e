"""Every `crier` command the README shows is one the CLI accepts, as written."""

from __future__ import annotations

import re
import shlex

import pytest
from support import REPO

from scheduler.cli import build_parser


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if re.match(r"(\.venv/bin/)?crier ", line)]


COMMANDS = _readme_commands()


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("line", COMMANDS)
def test_each_readme_command_parses(line: str) -> None:
    words = shlex.split(line)
    assert "|" not in words[1:], f"reads as a shell pipe: {line}"
    parser = build_parser()
    # a pipe into crier (`echo ... | crier count`) keeps only the crier part
    parser.parse_args(words[1:])
