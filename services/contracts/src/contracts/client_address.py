"""The caller's address: the direct peer, or what ``X-Forwarded-For`` says when (and only
when) the peer is a configured trusted proxy (e.g. the gateway).

The header is read from the right: each hop appends the address it received from, so the
rightmost entries were written by our own proxies and the first one that is not a trusted
proxy is the caller. Entries further left are the client's own claims and never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cache

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in n for n in networks)


def client_address(request: Request, trusted_proxies: Iterable[str]) -> str:
    """The caller's address as text ("unknown" when the server was given none)."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(tuple(trusted_proxies))
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            parsed = _parse(hop)
            return str(parsed) if parsed is not None else peer
    # Every hop was one of ours (or there was no header): the earliest one we know of.
    return str(_parse(hops[0])) if hops and _parse(hops[0]) else peer
