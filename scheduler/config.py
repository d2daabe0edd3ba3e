"""The author's files: the brand file and post files, read with errors she can act on.

(The environment and `.env` are read by `scheduler.settings`, once.)"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

from content.brand import Brand, parse_brand
from content.errors import BrandError, PostError
from content.post import Post, parse_post

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS = PROJECT_ROOT / "assets"


def load_brand(path: Path) -> Brand:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BrandError(
            [("(file)", f"{path} not found; copy brand.toml from the Crier folder and edit it, "
              "or set CRIER_BRAND to its path")],
            str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BrandError([("(file)", f"cannot read {path}: {exc}")], str(path)) from None
    problems: list[tuple[str, str]] = []
    try:
        brand = parse_brand(raw, str(path))
    except BrandError as exc:  # the files it names are checked too: every problem at once
        problems = list(exc.problems)
        brand = None
    files = _brand_files(raw, path, problems)
    if problems:
        raise BrandError(problems, str(path))
    assert brand is not None
    return replace(brand, logo=files.get("logo", brand.logo),
                   background_image=files.get("background_image", brand.background_image))


# The brand's files, by brand key and Brand field. Written relative to the brand file (the
# author's folder), or found in Crier's assets/ for the ones Crier ships.
_BRAND_FILES = (("logo", "path", "logo"), ("images", "background", "background_image"))


def _brand_files(raw: str, path: Path, problems: list[tuple[str, str]]) -> dict[str, str]:
    """Each file the brand names, resolved to where it is; a missing one is a problem,
    reported at the author's own path."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError:
        return {}  # parse_brand has said so
    found: dict[str, str] = {}
    for section, key, field in _BRAND_FILES:
        name = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        written = Path(name).expanduser()
        mine = written if written.is_absolute() else path.parent / written
        for candidate in (mine, ASSETS / written):
            if candidate.is_file():
                found[field] = str(candidate.resolve())
                break
        else:
            problems.append((f"{section}.{key}", f"{mine} not found; put the file there or fix "
                                                 "the path (relative to the brand file)"))
    return found


def load_post(path: Path) -> Post:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PostError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise PostError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise PostError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_post(raw, str(path))
