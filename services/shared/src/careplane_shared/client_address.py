"""The caller's network address, through the proxies we trust and no others.

A request's peer is whoever opened the connection. Behind a load balancer (or, for the
services, behind the gateway) that is the proxy, and the caller's own address is in
``X-Forwarded-For``, which every proxy extends with the address it saw. Anyone can send that
header, though, so it is believed only as far as trusted proxies wrote it: starting from the
peer and reading the header from its right end, each address is the one a trusted hop saw,
until the first address that is not itself a trusted proxy. That one is the caller. A peer
that is not a trusted proxy is the caller itself, whatever the header says.

Trusted proxies are given as networks (CIDR, ``10.0.0.0/8``, or one address); none by default.

Limits per caller key on ``limit_key``: one IPv4 address, but a whole IPv6 /64, since a
single host is usually given a /64 and can pick any address in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from starlette.requests import HTTPConnection

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# The IPv6 prefix one subscriber (one host, one home) is given and can pick addresses from.
IPV6_LIMIT_PREFIX = 64

# Never read more of the header than this many hops: the chain a deployment builds is short.
MAX_HOPS = 32


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``["10.0.0.0/8", "192.0.2.7", "::1"]`` as networks; a ``ValueError`` names a bad one."""
    networks: list[IPNetwork] = []
    for value in values:
        text = value.strip()
        try:
            networks.append(ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


def parse_address(text: str) -> IPAddress | None:
    """An address as proxies write it: ``192.0.2.1``, ``192.0.2.1:4711``, ``2001:db8::1``,
    ``[2001:db8::1]:4711``, quoted or not. ``None`` for anything else (``unknown``, a name)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def forwarded_chain(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> list[str]:
    """The hops from the caller to us, as far as they can be believed: ``[caller, proxy, ...,
    peer]``. Only the peer when it is not a trusted proxy; empty when there is no peer.
    ``forwarded_for`` holds the values of every ``X-Forwarded-For`` header, in order."""
    if not peer:
        return []
    peer_address = parse_address(peer)
    if peer_address is None or not is_trusted(peer_address, trusted):
        return [str(peer_address) if peer_address is not None else peer]
    chain = [str(peer_address)]
    entries = [entry for value in forwarded_for for entry in value.split(",")]
    for entry in reversed(entries[-MAX_HOPS:]):
        address = parse_address(entry)
        if address is None:
            # A trusted hop would not write this: the last address we believe is the caller.
            break
        chain.insert(0, str(address))
        if not is_trusted(address, trusted):
            break
    return chain


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> str | None:
    """The caller's address (see the module's description); ``None`` without a peer."""
    chain = forwarded_chain(peer, forwarded_for, trusted)
    return chain[0] if chain else None


def connection_chain(connection: HTTPConnection, trusted: Sequence[IPNetwork]) -> list[str]:
    """``forwarded_chain`` of a Starlette request or websocket."""
    peer = connection.client.host if connection.client is not None else None
    return forwarded_chain(peer, connection.headers.getlist("x-forwarded-for"), trusted)


def connection_address(connection: HTTPConnection, trusted: Sequence[IPNetwork]) -> str | None:
    """``client_address`` of a Starlette request or websocket."""
    chain = connection_chain(connection, trusted)
    return chain[0] if chain else None


def limit_key(address: str) -> str:
    """What a per-address limit counts against: an IPv4 address as it is (``192.0.2.7``),
    an IPv6 address as its /64 (``2001:db8:1:2::/64``; an IPv4-mapped one as its IPv4
    address). Anything that is not an address (``unknown``) is returned unchanged."""
    parsed = parse_address(address)
    if parsed is None:
        return address
    if isinstance(parsed, IPv6Address):
        return str(IPv6Network((parsed, IPV6_LIMIT_PREFIX), strict=False))
    return str(parsed)
