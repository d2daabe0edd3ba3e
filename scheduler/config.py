"""The author's files: the brand file and post files, read with errors she can act on.

(The environment and `.env` are read by `scheduler.settings`, once.)"""

from __future__ import annotations

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
    return parse_brand(raw, str(path))


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
