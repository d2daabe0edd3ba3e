"""The folder host: each image copied in once, named by its hash, written whole (never half an
image on the web server), readable by the web server; half-set settings refused by name."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from scheduler.media import MediaError, file_name, media_host
from scheduler.media.folder import FolderHost
from scheduler.outgoing import OutgoingImage
from scheduler.settings import Settings, SettingsError


def image(colour: str = "teal", fmt: str = "JPEG") -> OutgoingImage:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, fmt)
    return OutgoingImage(out.getvalue(), fmt, 40, 30, "a small square")


def folder_host(folder: Path, base: str = "https://example.com/crier-media/") -> FolderHost:
    chosen = media_host(Settings.from_env({"CRIER_MEDIA_DIR": str(folder),
                                           "CRIER_MEDIA_BASE_URL": base}))
    assert isinstance(chosen, FolderHost)
    return chosen


def test_the_image_is_copied_in_under_its_hash_and_its_address_returned(tmp_path: Path
                                                                          ) -> None:
    jpeg, png = image(), image("orange", "PNG")
    host = folder_host(tmp_path / "media")
    url = host.public_url(jpeg)
    assert url == f"https://example.com/crier-media/{jpeg.sha256}.jpg"
    assert (tmp_path / "media" / f"{jpeg.sha256}.jpg").read_bytes() == jpeg.data
    assert host.public_url(png).endswith(f"/{png.sha256}.png")
    assert file_name(png) == f"{png.sha256}.png"
    mode = (tmp_path / "media" / f"{jpeg.sha256}.jpg").stat().st_mode
    assert mode & stat.S_IROTH  # the web server, another user, must read it


def test_the_same_image_is_written_once_and_nothing_half_written_stays(tmp_path: Path) -> None:
    jpeg = image()
    host = folder_host(tmp_path)
    host.public_url(jpeg)
    target = tmp_path / f"{jpeg.sha256}.jpg"
    written = target.stat().st_mtime_ns
    os.utime(target, ns=(written - 10**9, written - 10**9))  # so a rewrite would show
    folder_host(tmp_path).public_url(jpeg)
    assert target.stat().st_mtime_ns == written - 10**9
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary left


def test_an_image_is_renamed_into_place_never_written_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every rename is recorded: the final name must appear only by a rename from another.
    jpeg = image()
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        renames.append((Path(src).name, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    folder_host(tmp_path).public_url(jpeg)
    assert len(renames) == 1
    temporary, final = renames[0]
    assert final == f"{jpeg.sha256}.jpg" and temporary != final
    assert temporary.startswith(".")  # a hidden name the web server does not list


def test_a_folder_that_cannot_be_written_says_which_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(MediaError) as err:
        folder_host(blocker / "media").public_url(image())
    assert "CRIER_MEDIA_DIR" in str(err.value)


@pytest.mark.parametrize(("env", "variable"), [
    ({"CRIER_MEDIA_DIR": "/srv/media"}, "CRIER_MEDIA_BASE_URL"),
    ({"CRIER_MEDIA_BASE_URL": "https://example.com/m"}, "CRIER_MEDIA_DIR"),
    ({"CRIER_MEDIA_DIR": "/srv/media", "CRIER_MEDIA_BASE_URL": "example.com/m"},
     "CRIER_MEDIA_BASE_URL"),
    ({"CRIER_MEDIA_DIR": "/srv/media", "CRIER_MEDIA_BASE_URL": "ftp://example.com/m"},
     "CRIER_MEDIA_BASE_URL"),
])
def test_half_set_settings_are_refused_by_name(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as err:
        media_host(Settings.from_env(env))
    assert err.value.variable == variable
    assert variable in str(err.value)
