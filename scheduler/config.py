"""Where settings come from: the environment and `.env` (secrets), the brand file, post files."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

from content.brand import Brand, parse_brand
from content.errors import BrandError, PostError
from content.post import Post, parse_post

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS = PROJECT_ROOT / "assets"


def load_environment() -> None:
    """Read `.env` from the working directory; variables already set win over the file."""
    load_dotenv(Path.cwd() / ".env", override=False)


def brand_path() -> Path:
    return Path(os.environ.get("CRIER_BRAND", "brand.toml"))


def load_brand(path: Path | None = None) -> Brand:
    path = path or brand_path()
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
