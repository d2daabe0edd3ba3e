"""Public media: where a network that cannot take an upload fetches an image.

Some networks create a post from an image *address* that they fetch at container creation
(PLATFORMS.md, "Public media"). A media host puts the rendered bytes somewhere public and
answers that address. Two hosts: a folder the author's own web server publishes (`folder.py`)
and an S3-compatible bucket (`s3.py`). Both name an image by its content hash, so publishing it
twice stores it once.
"""

from __future__ import annotations

from typing import Protocol

from content.errors import CrierError
from scheduler.outgoing import OutgoingImage
from scheduler.settings import Settings

# What the author sets to have one (named in every refusal; .env.example explains them).
FOLDER_VARIABLES = ("CRIER_MEDIA_DIR", "CRIER_MEDIA_BASE_URL")
S3_VARIABLES = ("CRIER_MEDIA_S3_BUCKET",)


class MediaError(CrierError):
    """The host cannot take or serve an image; says what to fix, never a secret."""


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


def missing_host_message(network: str) -> str:
    return (f"{network} fetches images from a public address, and no media host is set: set "
            f"{' and '.join(FOLDER_VARIABLES)} (a folder your web server publishes) or "
            f"{S3_VARIABLES[0]} (an S3-compatible bucket)")


def media_host(settings: Settings) -> MediaHost | None:
    """The configured host, or None. A half-set folder host is an error naming what is missing."""
    if settings.media_dir or settings.media_base_url:
        from scheduler.media.folder import FolderHost

        return FolderHost.from_settings(settings)
    return None
