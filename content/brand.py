"""The author's brand: name, handles, disclaimer, call to action, colours, fonts and logo.

Read from a small TOML file the author edits (`brand.toml`); every problem is reported with the
key that is wrong, all at once, so one edit fixes them all.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from content.errors import BrandError
from content.networks import NETWORK_NAMES, NETWORKS, Options
from content.overrides import SHAPES
from content.text import clean_text

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# A BCP 47 tag as people write one ("en", "pt-BR", "zh-Hant"): an ISO 639 code first.
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_SECTIONS = {
    "author": {"name", "timezone", "title", "language"},
    "handles": set(NETWORK_NAMES),
    "disclaimer": {"full", "short"},
    "call_to_action": {"default", "position", *NETWORK_NAMES},
    "hashtags": {"default"},
    "colours": {"background", "background_end", "text", "accent"},
    "fonts": {"quote", "text"},
    "logo": {"path"},
    "schedule": {"max_lateness_minutes", "platforms", "max_parts"},
    "images": {"sizes", "background"},
    "import": {"also_drop"},  # lines `crier import` recognises as the brand's own, besides these
    # Issue 15: each network's shape (a name, or {shape, max_parts}) and a teaser's link words;
    # how evergreen repeats are spread out.
    "shapes": {"read_more", *NETWORK_NAMES},
    "repeat": {"max_per_day", "min_spacing_minutes"},
    "notify": {"digest_at", "warn_days"},  # the daily digest's time, the token warning's lead
    # A network's own section, named after it, is declared and read by that network's module.
    **{name: set(rules.brand_section.keys)
       for name, rules in NETWORKS.items() if rules.brand_section},
}


@dataclass(frozen=True)
class Colours:
    background: str = "#1F3A5F"
    background_end: str | None = None  # set: a vertical gradient to this colour
    text: str = "#FFFFFF"
    accent: str = "#F2B880"


@dataclass(frozen=True)
class Brand:
    author: str
    timezone: str
    disclaimer: str
    disclaimer_short: str
    call_to_action: str
    title: str | None = None
    call_to_action_per_platform: Mapping[str, str] = field(default_factory=dict)
    closing_order: Literal["disclaimer_first", "call_to_action_first"] = "disclaimer_first"
    handles: Mapping[str, str] = field(default_factory=dict)
    hashtags: tuple[str, ...] = ()
    colours: Colours = Colours()
    quote_font: str | None = None  # file name under assets/fonts, or a path
    text_font: str | None = None
    logo: str | None = None
    background_image: str | None = None
    image_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    max_lateness_minutes: int = 120
    max_parts: int = 25  # a thread longer than this is refused: nobody reads part 60 of 119
    platforms: tuple[str, ...] = NETWORK_NAMES
    # Per network, what the author set in its own section, as its module read it.
    network_options: Mapping[str, Options] = field(default_factory=dict)
    # The language the author writes in (BCP 47), told to the networks that ask; None: they
    # guess.
    language: str | None = None

    # Issue 15: per network, its shape and a teaser's parts, as the brand sets them; the words
    # before a teaser's link; at most this many repeats a day per network, this far apart.
    shapes: Mapping[str, str] = field(default_factory=dict)
    shape_parts: Mapping[str, int] = field(default_factory=dict)
    read_more: str = "Read the whole piece:"
    repeat_per_day: int = 1
    repeat_spacing_minutes: int = 240

    def options_for(self, platform: str) -> Options:
        return self.network_options.get(platform, {})
    # Paragraphs `crier import` leaves out of an imported post, besides the disclaimer and the
    # calls to action: Crier appends its own closing, so the page's copy must not go out twice.
    import_also_drop: tuple[str, ...] = ()
    # [notify]: the daily digest's wall time ("07:30", in `timezone`; None: no digest) and how
    # many days ahead of a token's expiry the author is warned.
    digest_at: str | None = None
    warn_days: int = 7

    def call_to_action_for(self, platform: str) -> str:
        return self.call_to_action_per_platform.get(platform, self.call_to_action)

    def closing(self, platform: str, short: bool = False) -> tuple[str, str]:
        """(disclaimer, call to action) in the order the brand wants them, as two blocks."""
        disclaimer = self.disclaimer_short if short else self.disclaimer
        cta = self.call_to_action_for(platform)
        if self.closing_order == "call_to_action_first":
            return cta, disclaimer
        return disclaimer, cta


def parse_brand(raw: str, source: str = "brand.toml") -> Brand:
    """Parse and validate a brand file's text; raises BrandError listing every problem."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise BrandError([("(file)", f"not valid TOML: {exc}")], source) from None
    problems: list[tuple[str, str]] = []

    def need(section: str, key: str) -> str:
        value = data.get(section, {}).get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append((f"{section}.{key}", "required text is missing"))
            return ""
        return clean_text(f"{section}.{key}", value, problems)

    for section, value in data.items():
        if section not in _SECTIONS:
            problems.append((section, f"unknown section; known: {', '.join(sorted(_SECTIONS))}"))
        elif not isinstance(value, dict):
            problems.append((section, "must be a [section] table"))
        else:
            for key in sorted(set(value) - _SECTIONS[section]):
                problems.append((f"{section}.{key}", "unknown key"))

    author = need("author", "name")
    timezone = data.get("author", {}).get("timezone", "UTC")
    if not _zone_ok(timezone):
        problems.append(
            ("author.timezone", f"unknown time zone {timezone!r}; use an IANA name such as "
             "America/New_York")
        )
    language = data.get("author", {}).get("language")
    if language is not None and not (isinstance(language, str) and _LANGUAGE.match(language)):
        problems.append(("author.language", "must be a language code such as \"en\" or "
                                            "\"pt-BR\""))
        language = None
    disclaimer = need("disclaimer", "full")
    short = data.get("disclaimer", {}).get("short", disclaimer)
    short = clean_text("disclaimer.short", short, problems) if isinstance(short, str) else ""
    if disclaimer and short and len(short) > len(disclaimer):
        problems.append(("disclaimer.short", "is longer than disclaimer.full"))
    cta_section = data.get("call_to_action", {})
    cta = need("call_to_action", "default")
    per_platform = {
        name: clean_text(f"call_to_action.{name}", str(cta_section[name]), problems)
        for name in NETWORK_NAMES
        if name in cta_section
    }
    position = cta_section.get("position", "after_disclaimer")
    if position not in ("after_disclaimer", "before_disclaimer"):
        problems.append(
            ("call_to_action.position", "must be \"after_disclaimer\" or \"before_disclaimer\"")
        )
    colours = _colours(data.get("colours", {}), problems)
    sizes = _sizes(data.get("images", {}).get("sizes", {}), problems)
    lateness = data.get("schedule", {}).get("max_lateness_minutes", 120)
    if not isinstance(lateness, int) or isinstance(lateness, bool) or lateness < 0:
        problems.append(("schedule.max_lateness_minutes", "must be a whole number >= 0"))
        lateness = 120
    platforms = _platforms(data.get("schedule", {}).get("platforms", list(NETWORK_NAMES)),
                           problems)
    max_parts = data.get("schedule", {}).get("max_parts", 25)
    if not isinstance(max_parts, int) or isinstance(max_parts, bool) or max_parts < 1:
        problems.append(("schedule.max_parts", "must be a whole number >= 1"))
        max_parts = 25
    hashtags = data.get("hashtags", {}).get("default", [])
    if not isinstance(hashtags, list) or not all(isinstance(t, str) for t in hashtags):
        problems.append(("hashtags.default", "must be a list of words"))
        hashtags = []
    network_options = _network_options(data, problems)
    handles = data.get("handles", {})
    if not all(isinstance(v, str) for v in handles.values()):
        problems.append(("handles", "every handle must be text"))
    also_drop = _also_drop(data.get("import", {}).get("also_drop", []), problems)
    shapes, shape_parts, read_more = _shapes(data.get("shapes", {}), problems)
    repeat = data.get("repeat", {})
    per_day = _whole(repeat, "max_per_day", 1, 1, "repeat", problems)
    spacing = _whole(repeat, "min_spacing_minutes", 240, 0, "repeat", problems)
    digest_at, warn_days = _notify(data.get("notify", {}), problems)
    if problems:
        raise BrandError(problems, source)
    return Brand(
        author=author,
        timezone=timezone,
        title=data.get("author", {}).get("title"),
        disclaimer=disclaimer,
        disclaimer_short=short or disclaimer,
        call_to_action=cta,
        call_to_action_per_platform=per_platform,
        closing_order=(
            "call_to_action_first" if position == "before_disclaimer" else "disclaimer_first"
        ),
        handles=dict(handles),
        hashtags=tuple(t.lstrip("#") for t in hashtags),
        colours=colours,
        quote_font=data.get("fonts", {}).get("quote"),
        text_font=data.get("fonts", {}).get("text"),
        logo=data.get("logo", {}).get("path"),
        background_image=data.get("images", {}).get("background"),
        image_sizes=sizes,
        max_lateness_minutes=lateness,
        max_parts=max_parts,
        platforms=platforms,
        network_options=network_options,
        import_also_drop=also_drop,
        language=language,
        shapes=shapes,
        shape_parts=shape_parts,
        read_more=read_more,
        repeat_per_day=per_day,
        repeat_spacing_minutes=spacing,
        digest_at=digest_at,
        warn_days=warn_days,
    )


def _shapes(section: Any, problems: list[tuple[str, str]]
            ) -> tuple[dict[str, str], dict[str, int], str]:
    """[shapes]: `name = "teaser"` or `name = {shape = "teaser", max_parts = 2}` per network."""
    shapes: dict[str, str] = {}
    parts: dict[str, int] = {}
    if not isinstance(section, dict):
        return shapes, parts, Brand.read_more
    read_more = section.get("read_more", Brand.read_more)
    if not isinstance(read_more, str) or not read_more.strip():
        problems.append(("shapes.read_more", "must be the words before the link, e.g. "
                         "\"Read the whole piece:\""))
        read_more = Brand.read_more
    for name in NETWORK_NAMES:
        value = section.get(name)
        if value is None:
            continue
        table = value if isinstance(value, dict) else {"shape": value}
        shape, count = table.get("shape", "whole"), table.get("max_parts")
        if set(table) - {"shape", "max_parts"} or shape not in SHAPES:
            problems.append((f"shapes.{name}", f"must be one of {', '.join(SHAPES)}, or "
                             "{shape = \"teaser\", max_parts = 2}"))
            continue
        shapes[name] = shape
        if count is not None:
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                problems.append((f"shapes.{name}.max_parts", "must be a whole number >= 1"))
            else:
                parts[name] = count
    return shapes, parts, clean_text("shapes.read_more", read_more, problems)


def _whole(section: Any, key: str, default: int, least: int, name: str,
           problems: list[tuple[str, str]]) -> int:
    value = section.get(key, default) if isinstance(section, dict) else default
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        problems.append((f"{name}.{key}", f"must be a whole number >= {least}"))
        return default
    return value


def _network_options(data: dict[str, Any], problems: list[tuple[str, str]]
                     ) -> dict[str, Options]:
    """Each network's own section, read by its module; a section left out is not there."""
    options: dict[str, Options] = {}
    for name, rules in NETWORKS.items():
        section = data.get(name)
        if rules.brand_section is None or not isinstance(section, dict):
            continue
        found: list[tuple[str, str]] = []
        options[name] = rules.brand_section.parse(section, found)
        problems.extend((f"{name}.{key}", why) for key, why in found)
    return options
def _also_drop(value: Any, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(("import.also_drop", "must be a list of lines, e.g. [\"Taking new "
                         "patients in ...\"]"))
        return ()
    return tuple(clean_text("import.also_drop", v, problems) for v in value)


_WALL_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _notify(section: Any, problems: list[tuple[str, str]]) -> tuple[str | None, int]:
    if not isinstance(section, dict):
        return None, 7
    digest_at = section.get("digest_at")
    if digest_at is not None:
        match = _WALL_TIME.fullmatch(digest_at) if isinstance(digest_at, str) else None
        if match is None:
            problems.append(("notify.digest_at", "must be a time of day like \"07:30\""))
            digest_at = None
        else:
            digest_at = f"{int(match[1]):02d}:{match[2]}"
    warn_days = section.get("warn_days", 7)
    if not isinstance(warn_days, int) or isinstance(warn_days, bool) or not 1 <= warn_days <= 60:
        problems.append(("notify.warn_days", "must be a whole number of days, 1 to 60"))
        warn_days = 7
    return digest_at, warn_days


def _zone_ok(name: Any) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _colours(section: dict[str, Any], problems: list[tuple[str, str]]) -> Colours:
    values: dict[str, str] = {}
    for key, value in section.items():
        if not isinstance(value, str) or not _COLOUR.match(value):
            problems.append((f"colours.{key}", f"must be a colour like \"#1F3A5F\", got {value!r}"))
        else:
            values[key] = value
    return Colours(**values)


def _sizes(section: Any, problems: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    sizes: dict[str, tuple[int, int]] = {}
    if not isinstance(section, dict):
        example = NETWORK_NAMES[-1]  # any network's name makes the example
        problems.append(("images.sizes", f"must be a table like {example} = [1080, 1080]"))
        return sizes
    for name, value in section.items():
        ok = (
            isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and 200 <= v <= 4096 for v in value)
        )
        if name not in NETWORK_NAMES:
            problems.append((f"images.sizes.{name}", "unknown network"))
        elif not ok:
            problems.append((f"images.sizes.{name}", "must be [width, height], 200..4096 px"))
        else:
            sizes[name] = (value[0], value[1])
    return sizes


def _platforms(value: Any, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        problems.append(("schedule.platforms", "must be a non-empty list of networks"))
        return NETWORK_NAMES
    unknown = [v for v in value if v not in NETWORK_NAMES]
    if unknown:
        problems.append(
            ("schedule.platforms", f"unknown network(s) {unknown}; known: {list(NETWORK_NAMES)}")
        )
        return NETWORK_NAMES
    return tuple(value)
