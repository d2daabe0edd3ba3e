"""The import tests' blog on 127.0.0.1 (see blogsite.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from blogsite import Blog, serve


@pytest.fixture
def blog() -> Iterator[Blog]:
    server, state = serve()
    yield state
    server.shutdown()
    server.server_close()
