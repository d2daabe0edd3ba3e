"""A folder the author's own web server publishes: copy the image in, hand out its address."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scheduler.media import MediaError, file_name
from scheduler.outgoing import OutgoingImage
from scheduler.settings import Settings, SettingsError


@dataclass(frozen=True)
class FolderHost:
    folder: Path
    base_url: str  # without the trailing slash

    @property
    def name(self) -> str:
        return f"folder {self.folder} published at {self.base_url}"

    @classmethod
    def from_settings(cls, settings: Settings) -> FolderHost:
        if settings.media_dir is None:
            raise SettingsError("CRIER_MEDIA_DIR", "is not set (CRIER_MEDIA_BASE_URL is)")
        if not settings.media_base_url:
            raise SettingsError("CRIER_MEDIA_BASE_URL", "is not set (CRIER_MEDIA_DIR is)")
        url = urlsplit(settings.media_base_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise SettingsError("CRIER_MEDIA_BASE_URL",
                                "must be an http(s) address, such as https://example.com/media")
        return cls(settings.media_dir, settings.media_base_url.rstrip("/"))

    def public_url(self, image: OutgoingImage) -> str:
        name = file_name(image)
        target = self.folder / name
        if not target.exists():
            self._write(target, image.data)
        return f"{self.base_url}/{name}"

    def _write(self, target: Path, data: bytes) -> None:
        # Written beside and renamed: the web server never serves half an image.
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".crier-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o644)  # the web server must read it
            os.replace(tmp, target)
        except OSError as exc:
            raise MediaError(f"cannot write the image into CRIER_MEDIA_DIR ({self.folder}): "
                             f"{exc.strerror}; check that the folder exists and is writable"
                             ) from exc
