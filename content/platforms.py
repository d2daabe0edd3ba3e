"""Each network's rules: how it counts, its limits, threads, hashtags and image constraints.

Facts come from ../shared/PLATFORMS.md; the ones marked unverified there are defaults a brand
file may override, not truths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from content.errors import UnknownPlatform

PLATFORM_NAMES = ("x", "bluesky", "mastodon", "threads", "linkedin", "facebook", "instagram")
_ALIASES = {"twitter": "x", "bsky": "bluesky", "fb": "facebook", "ig": "instagram"}


@dataclass(frozen=True)
class PlatformRules:
    """What one network accepts. `measure` returns the length as that network counts it."""

    name: str
    display: str
    limit: int
    unit: str
    thread: bool  # the network can carry a thread of replies
    max_hashtags: int
    max_images: int
    alt_limit: int
    image_size: tuple[int, int]
    image_bytes: int
    image_formats: tuple[str, ...]
    image_required: bool = False
    url_length: int = 23  # Mastodon: what every http(s) URL counts, per server

    def measure(self, text: str) -> int:
        return _MEASURES[self.name](self, text)

    def problem(self, text: str) -> str | None:
        """A reason other than length why the network would refuse `text`, or None."""
        check = _CHECKS.get(self.name)
        return check(text) if check else None

    def fits(self, text: str) -> bool:
        return self.measure(text) <= self.limit and self.problem(text) is None

    def with_limit(self, limit: int, url_length: int | None = None) -> PlatformRules:
        """The same network on a server with other limits (Mastodon's /api/v2/instance)."""
        return replace(self, limit=limit, url_length=url_length or self.url_length)


def _x(rules: PlatformRules, text: str) -> int:
    from content.counting.x import weighted_length

    return weighted_length(text)


def _graphemes(rules: PlatformRules, text: str) -> int:
    from content.counting.graphemes import count_graphemes

    return count_graphemes(text)


def _mastodon(rules: PlatformRules, text: str) -> int:
    from content.networks.mastodon import mastodon_length

    return mastodon_length(text, url_length=rules.url_length)


def _threads(rules: PlatformRules, text: str) -> int:
    from content.networks.threads import threads_length

    return threads_length(text)


def _code_points(rules: PlatformRules, text: str) -> int:
    return len(text)


def _utf16_units(rules: PlatformRules, text: str) -> int:
    # LinkedIn does not say what it counts; UTF-16 units can only over-estimate.
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _bluesky_bytes(text: str) -> str | None:
    from content.counting.bluesky import BLUESKY_BYTES

    size = len(text.encode("utf-8"))
    return f"{size} UTF-8 bytes, over Bluesky's {BLUESKY_BYTES}" if size > BLUESKY_BYTES else None


def _threads_links(text: str) -> str | None:
    from content.networks.threads import THREADS_MAX_LINKS, count_links

    links = count_links(text)
    if links > THREADS_MAX_LINKS:
        return f"{links} links, over Threads' {THREADS_MAX_LINKS}"
    return None


_INSTAGRAM_TAG = re.compile(r"(?:^|\s)#\w")


def _instagram_tags(text: str) -> str | None:
    tags = len(_INSTAGRAM_TAG.findall(text))
    cap = PLATFORMS["instagram"].max_hashtags
    return f"{tags} hashtags, over Instagram's {cap}" if tags > cap else None


_MEASURES: dict[str, Callable[[PlatformRules, str], int]] = {
    "x": _x,
    "bluesky": _graphemes,
    "mastodon": _mastodon,
    "threads": _threads,
    "linkedin": _utf16_units,  # measured on the escaped commentary: conservative
    "facebook": _code_points,
    "instagram": _code_points,
}
_CHECKS: dict[str, Callable[[str], str | None]] = {
    "bluesky": _bluesky_bytes,
    "threads": _threads_links,
    "instagram": _instagram_tags,
}

MB = 1_000_000
PLATFORMS: dict[str, PlatformRules] = {
    rules.name: rules
    for rules in (
        PlatformRules("x", "X", 280, "weighted characters", True, 2, 4, 1000,
                      (1600, 900), 5 * MB, ("PNG", "JPEG")),
        PlatformRules("bluesky", "Bluesky", 300, "graphemes", True, 3, 4, 2000,
                      (1600, 900), 1 * MB, ("PNG", "JPEG")),
        PlatformRules("mastodon", "Mastodon", 500, "characters", True, 4, 4, 1500,
                      (1600, 900), 16 * MB, ("PNG", "JPEG")),
        PlatformRules("threads", "Threads", 500, "characters", True, 1, 10, 1000,
                      (1080, 1350), 8 * MB, ("PNG", "JPEG")),
        PlatformRules("linkedin", "LinkedIn", 3000, "characters", False, 5, 9, 1000,
                      (1200, 627), 5 * MB, ("PNG", "JPEG")),
        PlatformRules("facebook", "Facebook", 63206, "characters", False, 3, 10, 1000,
                      (1200, 630), 4 * MB, ("PNG", "JPEG")),
        PlatformRules("instagram", "Instagram", 2200, "characters", False, 30, 10, 1000,
                      (1080, 1350), 8 * MB, ("JPEG",), image_required=True),
    )
}


def check_platform(name: str) -> str:
    """The canonical network name, or UnknownPlatform listing the known ones."""
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in PLATFORMS:
        raise UnknownPlatform(
            f"unknown network {name!r}; Crier knows: {', '.join(PLATFORM_NAMES)}"
        )
    return key


def rules_for(name: str) -> PlatformRules:
    return PLATFORMS[check_platform(name)]
