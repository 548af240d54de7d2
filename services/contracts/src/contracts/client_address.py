"""The caller's address for contracts' sign-in limits: the direct peer, or what
``X-Forwarded-For`` says when (and only as far as) trusted proxies wrote it (the shared
rule of ``careplane_shared.client_address``, with contracts' ``trusted_proxies``)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from starlette.requests import HTTPConnection

from careplane_shared.client_address import IPNetwork, connection_address, parse_networks


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_networks(proxies)


def client_address(connection: HTTPConnection, trusted_proxies: Iterable[str]) -> str:
    """The caller's address as text ("unknown" when the server was given none)."""
    return connection_address(connection, _networks(tuple(trusted_proxies))) or "unknown"
