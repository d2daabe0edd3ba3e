"""The brand keys that choose where a post's link goes, for a network whose captions do not
make links clickable: `link = "post" | "comment" | ...` and, where "bio" is offered,
`link_in_bio = "Link in bio"`. A network's rules module offers the choices it supports (a
first comment needs the network's self-comments) and reads them with `read_link_options`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from content.networks.base import LinkPlacement, Options, Problems
from content.text import clean_text

LINK_KEYS = frozenset({"link", "link_in_bio"})
DEFAULT_LINK_IN_BIO = "Link in bio"
# The brand's word for each placement, and LinkPlacement's.
_WHERE = {"post": "post", "comment": "comment", "bio": "replace"}


def read_link_options(section: Mapping[str, Any], problems: Problems,
                      choices: tuple[str, ...]) -> Options:
    """The link keys of a network's section; `choices` are what the network supports."""
    options: dict[str, Any] = {}
    link = section.get("link", "post")
    if link in choices:
        options["link"] = link
    else:
        problems.append(("link", f"must be one of {', '.join(choices)}"))
    bio = section.get("link_in_bio")
    if bio is not None:
        if "bio" not in choices:
            problems.append(("link_in_bio", "this network has no link-in-bio choice"))
        elif not isinstance(bio, str) or not bio.strip():
            problems.append(("link_in_bio", "must be a text such as \"Link in bio\""))
        else:
            options["link_in_bio"] = clean_text("link_in_bio", bio.strip(), problems)
    return options


def placement(options: Options) -> LinkPlacement:
    """Where the link goes under the options `read_link_options` returned."""
    where = _WHERE.get(str(options.get("link", "post")), "post")
    if where == "replace":
        return LinkPlacement("replace", str(options.get("link_in_bio") or DEFAULT_LINK_IN_BIO))
    return LinkPlacement(where)
