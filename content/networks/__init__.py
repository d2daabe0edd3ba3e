"""Every network Crier formats for: the one table of them, and how a name is looked up.

A network is one module here declaring its `RULES` (see `base.NetworkRules`); adding one is a
module and a line in `NETWORKS`. The order of the table is the order networks are shown in.
"""

from __future__ import annotations

from content.errors import UnknownPlatform
from content.networks import bluesky, facebook, instagram, linkedin, mastodon, threads, x
from content.networks.base import (
    BrandSection,
    Facet,
    ImageRules,
    NetworkRules,
    Options,
    Problems,
    Reservation,
    ServerLimits,
)

NETWORKS: dict[str, NetworkRules] = {
    module.RULES.name: module.RULES
    for module in (x, bluesky, mastodon, threads, linkedin, facebook, instagram)
}
NETWORK_NAMES = tuple(NETWORKS)
# Names people also write (the old name, the usual short forms).
ALIASES = {"twitter": "x", "bsky": "bluesky", "fb": "facebook", "ig": "instagram"}


def check_platform(name: str) -> str:
    """The canonical network name, or UnknownPlatform listing the known ones."""
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in NETWORKS:
        raise UnknownPlatform(
            f"unknown network {name!r}; Crier knows: {', '.join(NETWORK_NAMES)}"
        )
    return key


def rules_for(name: str) -> NetworkRules:
    return NETWORKS[check_platform(name)]


__all__ = [
    "ALIASES", "NETWORKS", "NETWORK_NAMES", "BrandSection", "Facet", "ImageRules", "NetworkRules",
    "Options", "Problems", "Reservation", "ServerLimits", "check_platform", "rules_for",
]
