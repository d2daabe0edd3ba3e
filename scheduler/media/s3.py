"""An S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO): each image stored once,
named by its hash, and handed out as a presigned GET address.

The bucket stays private: the network gets an address signed for `CRIER_MEDIA_URL_TTL_S`
seconds, minted at each `public_url` call, that is just before the network is asked to fetch it
(PLATFORMS.md, "Public media": keep it valid well past the publish call).

Credentials: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`, or
`AWS_PROFILE`) from `.env` or the environment are handed to boto3; without them boto3's own
chain applies (`~/.aws/credentials`, an instance role). boto3 is imported when a host is built,
never on import: reading the registry stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scheduler.media import SECRET_VARIABLES, MediaError, content_type, file_name
from scheduler.outgoing import OutgoingImage
from scheduler.settings import Settings, SettingsError

# Read from the settings (so `.env` works as well as the environment) and given to boto3.
KEY_ID, PROFILE = "AWS_ACCESS_KEY_ID", "AWS_PROFILE"
SECRET_KEY, SESSION_TOKEN = SECRET_VARIABLES  # the redactor knows these two
# The error codes S3-compatible services answer for a key that may not do what was asked.
_REFUSED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
            "InvalidToken", "ExpiredToken", "403", "Forbidden", "Unauthorized", "401"}
_MISSING = {"404", "NoSuchKey", "NotFound"}
BOTO_LOGGERS = ("botocore.endpoint", "botocore.auth", "botocore.parsers", "botocore.hooks",
                "botocore.httpsession", "botocore.retryhandler", "botocore.credentials",
                "botocore.client", "botocore.utils", "botocore.regions", "urllib3.connectionpool")


@dataclass
class BucketHost:
    bucket: str
    ttl_s: int
    client: Any  # a boto3 S3 client
    endpoint: str | None = None

    @property
    def name(self) -> str:
        return f"bucket {self.bucket}" + (f" at {self.endpoint}" if self.endpoint else "")

    @classmethod
    def from_settings(cls, settings: Settings) -> BucketHost:
        bucket = settings.media_s3_bucket
        if not bucket:
            raise SettingsError("CRIER_MEDIA_S3_BUCKET", "is not set")
        endpoint = settings.media_s3_endpoint_url
        if endpoint is not None:
            url = urlsplit(endpoint)
            if url.scheme not in ("http", "https") or not url.netloc:
                raise SettingsError("CRIER_MEDIA_S3_ENDPOINT_URL",
                                    "must be an http(s) address, such as "
                                    "https://ACCOUNT.r2.cloudflarestorage.com")
        key_id, secret = settings.value(KEY_ID), settings.value(SECRET_KEY)
        if bool(key_id) != bool(secret):
            missing, given = (SECRET_KEY, KEY_ID) if key_id else (KEY_ID, SECRET_KEY)
            raise SettingsError(missing, f"is not set ({given} is); set both, or neither to "
                                         "use ~/.aws/credentials")
        return cls(bucket, settings.media_url_ttl_s,
                   _client(settings, endpoint, key_id, secret), endpoint)

    def public_url(self, image: OutgoingImage) -> str:
        # Asked each time, not remembered: a bucket's lifecycle rule may have removed it since.
        key = file_name(image)
        if not self._exists(key):
            self._put(key, image)
        try:
            url: str = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=self.ttl_s)
        except Exception as exc:  # botocore's errors: no credentials to sign with, mostly
            raise self._explained(exc, "sign an address for") from None
        return url

    # ---- steps -----------------------------------------------------------------------------

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _code(exc) in _MISSING:
                return False
            if _code(exc) in _REFUSED:
                # A key without s3:ListBucket reads a missing object as 403 on AWS: the upload
                # is the real test of what the key may do.
                return False
            raise self._explained(exc, "look for an image in") from None
        return True

    def _put(self, key: str, image: OutgoingImage) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=image.data,
                                   ContentType=content_type(image))
        except Exception as exc:
            raise self._explained(exc, "upload an image to") from None

    def _explained(self, exc: Exception, doing: str) -> MediaError:
        """What went wrong in the author's terms. Only the error's code and our own words: a
        service's message may quote a request, and a request carries the key id."""
        what = f"cannot {doing} the bucket {self.bucket} (CRIER_MEDIA_S3_BUCKET)"
        kind = type(exc).__name__
        code = _code(exc)
        if kind in ("NoCredentialsError", "PartialCredentialsError"):
            return MediaError(f"{what}: no credentials found; set {KEY_ID} and {SECRET_KEY} "
                              "in .env or the environment (or a profile in ~/.aws/credentials)")
        if code == "NoSuchBucket":
            return MediaError(f"{what}: there is no such bucket at "
                              f"{self.endpoint or 'AWS S3'}; create it, or fix "
                              "CRIER_MEDIA_S3_BUCKET (and CRIER_MEDIA_S3_ENDPOINT_URL)")
        if code in _REFUSED:
            return MediaError(f"{what}: the service refused the credentials ({code}); check "
                              f"{KEY_ID} and {SECRET_KEY}, and that the key may put and get "
                              "objects in this bucket")
        if kind in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                    "ConnectionClosedError"):
            return MediaError(f"{what}: the service at {self.endpoint or 'AWS S3'} did not "
                              "answer; check CRIER_MEDIA_S3_ENDPOINT_URL and the network",
                              transient=True)
        # Anything else (a 5xx the retries did not get past, throttling): worth another try.
        return MediaError(f"{what}: {kind}" + (f" ({code})" if code else ""), transient=True)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str((response.get("Error") or {}).get("Code") or "")


def _client(settings: Settings, endpoint: str | None, key_id: str | None,
            secret: str | None) -> Any:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ProfileNotFound

    from scheduler.publishers.http import guard_library_logs

    # At DEBUG botocore logs each request's headers and canonical form: a session token rides
    # in a header, so its records pass through the filter that takes our secrets out.
    guard_library_logs(BOTO_LOGGERS, [secret, settings.value(SESSION_TOKEN)])

    try:
        session = boto3.session.Session(
            aws_access_key_id=key_id, aws_secret_access_key=secret,
            aws_session_token=settings.value(SESSION_TOKEN) if key_id else None,
            profile_name=settings.value(PROFILE), region_name=settings.media_s3_region)
    except ProfileNotFound:
        raise SettingsError(PROFILE, "names no profile of ~/.aws/config or ~/.aws/credentials"
                            ) from None
    # SigV4 is what R2 and B2 accept, and it puts the lifetime in the address (X-Amz-Expires).
    # Path-style addresses: a custom endpoint (R2, B2, MinIO, 127.0.0.1) may have no
    # per-bucket host names.
    config = Config(signature_version="s3v4",
                    s3={"addressing_style": "path" if endpoint else "auto"},
                    connect_timeout=settings.http_timeout, read_timeout=settings.http_timeout,
                    retries={"max_attempts": 3, "mode": "standard"})
    return session.client("s3", endpoint_url=endpoint, config=config)


__all__ = ["BucketHost"]
