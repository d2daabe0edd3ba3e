"""The desk's preview request against the formatter and renderer called directly.

`python -m bench web`. The sample post on all seven networks, through a real uvicorn server on
127.0.0.1 (form parsing, CSRF, the service, templates, the preview image cache, HTTP), text
only and with images, against the same parse + compose (+ render) called in this process:
the web overhead ratio (goal <= 1.3x). Also: time from starting the app to its first page.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from content.compose import compose_all
from content.networks import NETWORK_NAMES
from content.post import parse_post
from scheduler.config import PROJECT_ROOT, load_brand
from scheduler.images import render_delivery_images
from scheduler.service import Service
from scheduler.service.drafts import draft_to_text
from scheduler.settings import Settings, sqlite_url
from scheduler.web.server import DeskServer

SAMPLE = PROJECT_ROOT / "examples" / "glutamate.md"
RUNS = 25


Figures = tuple[float, float]


def timed(runs: int, web: Callable[[], object], direct: Callable[[], object]
          ) -> tuple[Figures, Figures]:
    """Median and p95 of `runs` calls of each, in seconds, after a warm-up call. The two are
    interleaved, so a busy machine slows both alike instead of whichever ran second."""
    web()
    direct()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, out in ((web, times[0]), (direct, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return _figures(times[0]), _figures(times[1])


def _figures(times: list[float]) -> Figures:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> int:
    os.chdir(PROJECT_ROOT)  # the desk opens post files under its working folder
    brand = load_brand(PROJECT_ROOT / "brand.toml")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({
            "CRIER_BRAND": str(PROJECT_ROOT / "brand.toml"), "CRIER_DATA_DIR": f"{tmp}/data",
            "CRIER_DATABASE_URL": sqlite_url(Path(tmp) / "crier.db")})
        service = Service(settings)
        draft = service.read_draft(SAMPLE)
        started = time.perf_counter()
        server = DeskServer(service, port=0, with_daemon=False).start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                first = client.get("/calendar")
                first_page = time.perf_counter() - started
                assert first.status_code == 200, first.status_code
                csrf = re.search(r'data-csrf="([^"]+)"', first.text)
                assert csrf
                form = {"csrf": csrf.group(1), "file": "examples/glutamate.md",
                        "title": draft.title, "body": draft.body, "link": draft.link,
                        "hashtags": draft.hashtags, "quote": draft.quote,
                        "photo_path": [i.path for i in draft.images],
                        "photo_alt": [i.alt or "" for i in draft.images],
                        "platforms": list(NETWORK_NAMES)}

                def request(images: bool) -> None:
                    response = client.post("/compose/preview",
                                           data={**form, "images": "1" if images else "0"})
                    assert response.status_code == 200 and 'data-ok="yes"' in response.text

                def direct(images: bool) -> None:
                    post = parse_post(draft_to_text(draft), "draft")
                    for delivery in compose_all(post, brand, NETWORK_NAMES).values():
                        if images:
                            render_delivery_images(delivery, SAMPLE, brand)

                figures = {images: timed(RUNS, lambda i=images: request(i),  # type: ignore[misc]
                                         lambda i=images: direct(i))  # type: ignore[misc]
                           for images in (False, True)}
        finally:
            server.stop()
            service.close()
    worst = 0.0
    for images, ((web_med, web_p95), (dir_med, dir_p95)) in figures.items():
        ratio = web_med / dir_med
        worst = max(worst, ratio)
        print(f"preview, sample post, 7 networks, {'with images' if images else 'text only'}: "
              f"web median {web_med * 1000:.1f} ms (p95 {web_p95 * 1000:.1f}), direct median "
              f"{dir_med * 1000:.1f} ms (p95 {dir_p95 * 1000:.1f}), web overhead "
              f"{ratio:.2f}x (goal <= 1.3x)")
    print(f"time from starting the app to its first page: {first_page * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
