"""Errors the author can act on: each says what is wrong and how to fix it."""

from __future__ import annotations


class CrierError(Exception):
    """Base of every error that is the author's to fix (bad post, bad brand, does not fit)."""


class PostError(CrierError):
    """The post file cannot be read as a post."""


class BrandError(CrierError):
    """The brand file is invalid; `problems` lists every wrong key with what is wrong."""

    def __init__(self, problems: list[tuple[str, str]], source: str = "brand.toml") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  {key}: {why}" for key, why in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{lines}")


class UnknownPlatform(CrierError):
    """A network name Crier does not know."""


class TooManyParts(CrierError):
    """A thread would be longer than the brand allows; says about how long, and the ways out."""

    def __init__(self, platform: str, parts: int, cap: int) -> None:
        self.platform = platform
        self.parts = parts
        super().__init__(
            f"{platform}: this post would be a thread of about {parts} parts, more than the "
            f"{cap} the brand allows (schedule.max_parts); shorten it, post a teaser that links "
            "to the whole piece, leave this network out (--platforms), or raise "
            "schedule.max_parts in the brand file")


class DoesNotFit(CrierError):
    """The post cannot be made to fit a network; says which, by how much, and what to shorten."""

    def __init__(self, platform: str, over_by: int, unit: str, what: str, fix: str) -> None:
        self.platform = platform
        self.over_by = over_by
        super().__init__(f"{platform}: {what} is {over_by} {unit} over the limit; {fix}")
