"""`crier count` as a program reads it: one output line per input line, always."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support import REPO


def _count(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "scheduler.cli", "count", *args],
                          input=stdin, capture_output=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)


def test_every_input_line_gets_exactly_one_output_line_in_order() -> None:
    lines = [b'"hello"', b"", b"   ", b"not json", b"42", b'"caf\xc3\xa9 \xf0\x9f\x91\x8d"',
             b'"last"']
    done = _count(b"\n".join(lines) + b"\n", "--platform", "x")
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert [("error" in o) for o in out] == [False, True, True, True, True, False, False]
    assert out[1]["error"] == "line 2: empty; expected a JSON string"
    assert out[5]["length"] == 7 and out[6]["length"] == 4
    assert done.returncode == 1  # some lines could not be read


def test_a_raw_invalid_byte_is_said_to_be_not_utf8() -> None:
    done = _count(b'"ab\xffcd"\n"ok"\n', "--platform", "bluesky")
    first, second = (json.loads(line) for line in done.stdout.decode().splitlines())
    assert "not UTF-8 (byte 0xFF at position 3)" in first["error"]
    assert "surrogate" not in first["error"]
    assert second["valid"] is True


def test_a_limit_below_one_is_refused() -> None:
    for bad in ("-5", "0", "many"):
        done = _count(b'"hi"\n', "--platform", "mastodon", "--limit", bad)
        assert done.returncode == 2 and b"--limit" in done.stderr, bad
        assert done.stdout == b""
    assert json.loads(_count(b'"hi"\n', "--platform", "mastodon", "--limit", "5")
                      .stdout)["limit"] == 5
