"""A real S3-compatible server for tests: moto's server mode on 127.0.0.1, and settings that
point the bucket host at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from scheduler.settings import Settings

# Any key works on moto until its authentication is switched on (tests/media/test_s3.py).
KEY_ID = "AKIACRIERTESTKEY0001"
SECRET = "crier-test-secret-key-aB3dE5fG7hJ9"


@dataclass(frozen=True)
class BucketServer:
    url: str

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)

    def settings(self, bucket: str, **more: str) -> Settings:
        return Settings.from_env({"CRIER_MEDIA_S3_BUCKET": bucket,
                                  "CRIER_MEDIA_S3_ENDPOINT_URL": self.url,
                                  "CRIER_MEDIA_S3_REGION": "us-east-1",
                                  "AWS_ACCESS_KEY_ID": KEY_ID,
                                  "AWS_SECRET_ACCESS_KEY": SECRET, **more})


@contextmanager
def running_bucket_server() -> Iterator[BucketServer]:
    """moto's S3 in this process, on a free port of 127.0.0.1, until the block ends."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield BucketServer(f"http://{host}:{port}")
    finally:
        server.stop()
