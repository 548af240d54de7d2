"""Every channel kind, and one instance of each for a worker: importing the plugin modules
registers their classes in :attr:`Channel.registry`."""

from __future__ import annotations

from notify.channels import chat, email, webhook  # noqa: F401  (registers the kinds)
from notify.channels.base import Channel, ChannelServices


def build_channels(services: ChannelServices) -> dict[str, Channel]:
    """One instance of every registered kind."""
    return {kind: cls(services) for kind, cls in Channel.registry.items()}
