"""Fixtures of the media host tests: a real S3-compatible server (moto's server mode) on
127.0.0.1, once per session, and a fresh bucket on it for each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from s3_server import BucketServer, running_bucket_server


@pytest.fixture(scope="session")
def bucket_server() -> Iterator[BucketServer]:
    with running_bucket_server() as server:
        yield server


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
