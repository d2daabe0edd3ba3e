"""`crier web` as the author runs it: a real process that prints its address, serves the desk
and runs the daemon, and stops both cleanly on Ctrl-C; and the server object the tests use."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from desk_support import START, desk_service
from support import REPO, Clock

from scheduler.service import When
from scheduler.settings import sqlite_url
from scheduler.web.server import DeskServer


def test_crier_web_prints_its_address_serves_publishes_and_stops_on_ctrl_c(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRIER_", "X_", "MASTODON_",
                                                                     "BLUESKY_"))}
    env.update({"CRIER_BRAND": str(REPO / "brand.toml"), "CRIER_POLL_SECONDS": "0.05",
                "CRIER_DATABASE_URL": sqlite_url(tmp_path / "crier.db"),
                "CRIER_OUTBOX_DIR": str(tmp_path / "outbox"), "PYTHONUNBUFFERED": "1"})
    post = tmp_path / "now.md"
    post.write_text("---\nplatforms: [mastodon]\n---\nOut at once.\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "web", "--port", "0"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        found = re.match(r"Crier desk on (http://127\.0\.0\.1:\d+) \(the daemon", line)
        assert found, line + (proc.stderr.read() if proc.stderr and proc.poll() else "")
        url = found.group(1)
        assert httpx.get(f"{url}/calendar").status_code == 200
        queued = subprocess.run([sys.executable, "-m", "scheduler.cli", "queue", "add",
                                 str(post), "--now"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert queued.returncode == 0, queued.stderr
        # The daemon in the web process publishes it: the outbox log gets its one part. The
        # queue page is asked until it says so (each request is a condition, not a sleep).
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(600):
                if "published (1)" in client.get("/queue").text:
                    break
            else:
                raise AssertionError("the daemon in `crier web` did not publish")
    finally:
        proc.send_signal(signal.SIGTERM)  # as a service manager stops it
        code = proc.wait(timeout=30)
    errors = proc.stderr.read() if proc.stderr else ""
    assert code == 0 and "Traceback" not in errors, errors
    assert (tmp_path / "outbox" / "mastodon" / "sent.jsonl").read_text().count("\n") == 1


def test_the_server_stops_its_daemon_thread(tmp_path: Path) -> None:
    service = desk_service(tmp_path, Clock(START))
    server = DeskServer(service, port=0).start()
    try:
        assert httpx.get(f"{server.url}/queue").status_code == 200
        row = service.queue([REPO / "examples" / "glutamate.md"], When("at", "2026-12-05 09:00"),
                            platforms=["x"]).rows[0]
        assert httpx.get(f"{server.url}/deliveries/{row.id}").status_code == 200
        threads = list(server._threads)  # noqa: SLF001 - what stop() must end
        assert any(t.name == "crier-daemon" and t.is_alive() for t in threads)
    finally:
        server.stop()
        service.close()
    assert not any(t.is_alive() for t in threads)
