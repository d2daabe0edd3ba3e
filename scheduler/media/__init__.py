"""Public media: where a network that cannot take an upload fetches an image.

Some networks create a post from an image *address* that they fetch at container creation
(PLATFORMS.md, "Public media"). A media host puts the rendered bytes somewhere public and
answers that address. Two hosts: a folder the author's own web server publishes (`folder.py`)
and an S3-compatible bucket (`s3.py`). Both name an image by its content hash, so publishing it
twice stores it once.
"""

from __future__ import annotations

import mimetypes
from typing import Protocol

from content.errors import CrierError
from scheduler.outgoing import OutgoingImage
from scheduler.settings import Settings, SettingsError

# What the author sets to have one (named in every refusal; .env.example explains them).
FOLDER_VARIABLES = ("CRIER_MEDIA_DIR", "CRIER_MEDIA_BASE_URL")
S3_VARIABLES = ("CRIER_MEDIA_S3_BUCKET",)
# The bucket's optional settings: set without a bucket they mean a host half set up.
S3_OPTIONAL = ("CRIER_MEDIA_S3_ENDPOINT_URL", "CRIER_MEDIA_S3_REGION")
# The bucket's credentials that are secrets (s3.py reads them): never shown, always redacted.
SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class MediaError(CrierError):
    """The host cannot take or serve an image; says what to fix, never a secret. `transient`:
    the host did not answer (worth trying again later, as nothing was published); otherwise
    a setting or a permission is wrong, and trying again changes nothing."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class MediaHost(Protocol):
    @property
    def name(self) -> str:
        """What `accounts check` calls it ("folder /var/www/...", "bucket photos")."""
        ...

    def public_url(self, image: OutgoingImage) -> str:
        """Put `image` on the host (once: it is named by its hash) and return the address the
        network fetches, valid from now for at least the host's lifetime for addresses."""
        ...


def file_name(image: OutgoingImage) -> str:
    """`<sha256>.<ext>`: the same bytes always get the same name."""
    ext = {"jpeg": "jpg"}.get(image.format.lower(), image.format.lower())
    return f"{image.sha256}.{ext}"


def content_type(image: OutgoingImage) -> str:
    """What a web server or a bucket says the file is, from its name's extension."""
    return mimetypes.guess_type(file_name(image))[0] or "application/octet-stream"


def missing_host_message(network: str) -> str:
    return (f"{network} fetches images from a public address, and no media host is set: set "
            f"{' and '.join(FOLDER_VARIABLES)} (a folder your web server publishes) or "
            f"{S3_VARIABLES[0]} (an S3-compatible bucket)")


def media_host(settings: Settings) -> MediaHost | None:
    """The configured host, or None. A half-set host is a SettingsError naming what is missing,
    and so is setting both: which address the networks fetch must never be a guess."""
    folder = settings.media_dir is not None or bool(settings.media_base_url)
    bucket = bool(settings.media_s3_bucket)
    if folder and bucket:
        raise SettingsError(S3_VARIABLES[0], f"is set and so is {' or '.join(FOLDER_VARIABLES)}: "
                                             "set one media host, the bucket or the folder")
    if bucket:
        from scheduler.media.s3 import BucketHost

        return BucketHost.from_settings(settings)
    if folder:
        from scheduler.media.folder import FolderHost

        return FolderHost.from_settings(settings)
    stray = [name for name, value in zip(
        S3_OPTIONAL, (settings.media_s3_endpoint_url, settings.media_s3_region), strict=True)
        if value]
    if stray:
        raise SettingsError(S3_VARIABLES[0], f"is not set ({' and '.join(stray)} "
                                             f"{'is' if len(stray) == 1 else 'are'})")
    return None
