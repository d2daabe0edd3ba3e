"""Fixtures of the media host tests: a real S3-compatible server (moto's server mode) on
127.0.0.1, once per session, and a fresh bucket on it for each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from s3_server import BucketServer


@pytest.fixture(scope="session")
def bucket_server() -> Iterator[BucketServer]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield BucketServer(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def bucket(bucket_server: BucketServer) -> str:
    name = f"crier-{uuid.uuid4().hex[:12]}"
    bucket_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """boto3's own chain finds nothing on this machine: no variables, files or instance role."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
