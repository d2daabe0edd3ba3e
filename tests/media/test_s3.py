"""The bucket host against a real S3-compatible server on 127.0.0.1 (moto's server mode): the
object's bytes and type, one object per image, a presigned address that a fetcher gets the image
from (also after travelling in a form body), and errors that say what to fix, never a key."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PIL import Image
from s3_server import KEY_ID, SECRET, BucketServer

from scheduler.media import MediaError, media_host
from scheduler.media.s3 import BucketHost
from scheduler.outgoing import OutgoingImage
from scheduler.settings import Settings, SettingsError


def image(colour: str = "teal", fmt: str = "JPEG") -> OutgoingImage:
    import io

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, fmt)
    return OutgoingImage(out.getvalue(), fmt, 64, 48, "a small square")


def host(settings: Settings) -> BucketHost:
    chosen = media_host(settings)
    assert isinstance(chosen, BucketHost)
    return chosen


def test_the_object_is_named_by_its_hash_with_its_bytes_and_type(
        bucket_server: BucketServer, bucket: str) -> None:
    jpeg, png = image(), image("orange", "PNG")
    bucket_host = host(bucket_server.settings(bucket))
    bucket_host.public_url(jpeg)
    bucket_host.public_url(png)

    client = bucket_server.client()
    stored = client.get_object(Bucket=bucket, Key=f"{hashlib.sha256(jpeg.data).hexdigest()}.jpg")
    assert stored["Body"].read() == jpeg.data
    assert stored["ContentType"] == "image/jpeg"
    other = client.get_object(Bucket=bucket, Key=f"{png.sha256}.png")
    assert other["ContentType"] == "image/png" and other["Body"].read() == png.data


def test_the_presigned_address_serves_the_image_for_the_ttl(
        bucket_server: BucketServer, bucket: str) -> None:
    jpeg = image()
    url = host(bucket_server.settings(bucket, CRIER_MEDIA_URL_TTL_S="900")).public_url(jpeg)

    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Signature" in query
    assert SECRET not in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == jpeg.data
    assert fetched.headers["Content-Type"] == "image/jpeg"
    # The bucket is private: the same object without the signature is refused.
    bare = url.split("?", 1)[0]
    assert requests.get(bare, timeout=10).content != jpeg.data


def test_each_call_mints_a_fresh_address_with_the_default_ttl(
        bucket_server: BucketServer, bucket: str) -> None:
    bucket_host = host(bucket_server.settings(bucket))
    url = bucket_host.public_url(image())
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["3600"]
    assert bucket_host.ttl_s == 3600


def test_the_same_image_is_stored_once(bucket_server: BucketServer, bucket: str) -> None:
    client = bucket_server.client()
    client.put_bucket_versioning(Bucket=bucket,
                                 VersioningConfiguration={"Status": "Enabled"})
    jpeg = image()
    # Two hosts, as two daemon runs would be: the second finds the object and uploads nothing.
    first = host(bucket_server.settings(bucket))
    first.public_url(jpeg)
    first.public_url(jpeg)
    host(bucket_server.settings(bucket)).public_url(jpeg)
    host(bucket_server.settings(bucket)).public_url(image("purple"))

    versions = client.list_object_versions(Bucket=bucket)["Versions"]
    assert sorted(v["Key"] for v in versions) == sorted(
        [f"{jpeg.sha256}.jpg", f"{image('purple').sha256}.jpg"])


class _Fetcher(http.server.BaseHTTPRequestHandler):
    """Takes `image_url` from a form-encoded body and fetches it, as Meta does at container
    creation; answers the sha256 of what it got."""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode("ascii"))
        got = requests.get(form["image_url"][0], timeout=10)
        body = (hashlib.sha256(got.content).hexdigest() if got.ok else f"{got.status_code}")
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fetcher() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fetcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_presigned_address_survives_a_form_body(bucket_server: BucketServer,
                                                  bucket: str) -> None:
    jpeg = image()
    url = host(bucket_server.settings(bucket)).public_url(jpeg)
    assert "&" in url  # it carries its own query: pasted into another query it would break
    with fetcher() as address:
        answer = requests.post(address, data={"image_url": url, "caption": "hello"},
                               timeout=10)
        # The control: the same address pasted raw into a query string loses its signature.
        pasted = requests.post(f"{address}?x=1", data=f"image_url={url}",
                               headers={"Content-Type": "application/x-www-form-urlencoded"},
                               timeout=10)
    assert answer.text == jpeg.sha256
    assert pasted.text != jpeg.sha256


def test_no_such_bucket_says_so(bucket_server: BucketServer) -> None:
    with pytest.raises(MediaError) as err:
        host(bucket_server.settings("crier-no-such-bucket")).public_url(image())
    message = str(err.value)
    assert "no such bucket" in message and "CRIER_MEDIA_S3_BUCKET" in message
    assert not err.value.transient  # a setting to fix: trying again changes nothing
    assert KEY_ID not in message and SECRET not in message


def test_no_credentials_names_the_variables(bucket_server: BucketServer, bucket: str,
                                            isolated_aws: None) -> None:
    settings = Settings.from_env({"CRIER_MEDIA_S3_BUCKET": bucket,
                                  "CRIER_MEDIA_S3_ENDPOINT_URL": bucket_server.url,
                                  "CRIER_MEDIA_S3_REGION": "us-east-1"})
    with pytest.raises(MediaError) as err:
        host(settings).public_url(image())
    assert "no credentials" in str(err.value)
    assert "AWS_ACCESS_KEY_ID" in str(err.value) and "AWS_SECRET_ACCESS_KEY" in str(err.value)


@contextmanager
def authentication_on(server: BucketServer) -> Iterator[None]:
    """moto checks keys and policies (against its own IAM) while this is open."""
    requests.post(f"{server.url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    try:
        yield
    finally:
        requests.post(f"{server.url}/moto-api/reset-auth", data=b"inf",
                      timeout=10).raise_for_status()


def test_access_denied_says_what_to_fix_never_the_key(bucket_server: BucketServer,
                                                      bucket: str) -> None:
    import boto3

    iam = boto3.client("iam", endpoint_url=bucket_server.url, region_name="us-east-1",
                       aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    user = f"reader-{bucket}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]  # a user with no policy at all
    settings = bucket_server.settings(bucket, AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                                      AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    with authentication_on(bucket_server), pytest.raises(MediaError) as err:
        host(settings).public_url(image())
    message = str(err.value)
    assert "refused the credentials" in message and "AccessDenied" in message
    assert "AWS_ACCESS_KEY_ID" in message
    assert key["AccessKeyId"] not in message and key["SecretAccessKey"] not in message
    # The control: the same host with moto's checks off stores the image.
    assert requests.get(host(settings).public_url(image()), timeout=10).ok


def test_an_unreachable_service_names_the_endpoint_variable() -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings.from_env({"CRIER_MEDIA_S3_BUCKET": "photos",
                                  "CRIER_MEDIA_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                                  "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
                                  "CRIER_MEDIA_S3_REGION": "us-east-1"})
    with pytest.raises(MediaError) as err:
        host(settings).public_url(image())
    assert "CRIER_MEDIA_S3_ENDPOINT_URL" in str(err.value)
    assert err.value.transient  # nothing was published: a later attempt may get through


@pytest.mark.parametrize(("env", "variable"), [
    ({"CRIER_MEDIA_S3_ENDPOINT_URL": "http://127.0.0.1:9"}, "CRIER_MEDIA_S3_BUCKET"),
    ({"CRIER_MEDIA_S3_REGION": "auto"}, "CRIER_MEDIA_S3_BUCKET"),
    ({"CRIER_MEDIA_S3_BUCKET": "photos", "CRIER_MEDIA_S3_ENDPOINT_URL": "r2.example.com"},
     "CRIER_MEDIA_S3_ENDPOINT_URL"),
    ({"CRIER_MEDIA_S3_BUCKET": "photos", "AWS_ACCESS_KEY_ID": KEY_ID}, "AWS_SECRET_ACCESS_KEY"),
    ({"CRIER_MEDIA_S3_BUCKET": "photos", "AWS_SECRET_ACCESS_KEY": SECRET}, "AWS_ACCESS_KEY_ID"),
    ({"CRIER_MEDIA_S3_BUCKET": "photos", "CRIER_MEDIA_DIR": "/srv/media",
      "CRIER_MEDIA_BASE_URL": "https://example.com/m"}, "CRIER_MEDIA_S3_BUCKET"),
])
def test_a_half_set_or_doubled_host_names_the_variable(env: dict[str, str], variable: str,
                                                        isolated_aws: None) -> None:
    with pytest.raises(SettingsError) as err:
        media_host(Settings.from_env(env))
    assert err.value.variable == variable
    assert SECRET not in str(err.value) and KEY_ID not in str(err.value)


def test_an_unknown_profile_is_a_settings_error(isolated_aws: None) -> None:
    with pytest.raises(SettingsError) as err:
        media_host(Settings.from_env({"CRIER_MEDIA_S3_BUCKET": "photos",
                                      "AWS_PROFILE": "nobody-has-this-profile"}))
    assert err.value.variable == "AWS_PROFILE"


def test_without_settings_there_is_no_host() -> None:
    assert media_host(Settings.from_env({})) is None


def test_reading_the_registry_and_the_media_settings_loads_no_boto3() -> None:
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, scheduler.publishers, scheduler.media as m; "
         "from scheduler.settings import Settings; m.media_host(Settings()); "
         "print('boto3' in sys.modules, 'botocore' in sys.modules)"],
        capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert loaded == ["False", "False"]
