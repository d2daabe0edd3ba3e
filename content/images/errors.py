"""The error the image renderer raises: what is wrong with an image and how to fix it."""

from __future__ import annotations

from content.errors import CrierError


class ImageError(CrierError):
    """An image cannot be made: a missing or broken photo, a quote too long, a missing font."""
