"""Server-side request forgery guard for every URL we post to (webhooks and chat tools).

Two checks: the URL itself (scheme, credentials, a literal IP host) when it is registered
and before each attempt, and every address a host name resolves to at connection time
(:class:`GuardedResolver` sits inside the HTTP client's connector, so a name that resolves
to a public address at registration and to 127.0.0.1 later is still refused: the address
checked is the address connected to). Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from careplane_shared.errors import ValidationFailed

ALLOWED_SCHEMES = frozenset({"http", "https"})
UNSAFE_MARK = "resolves only to addresses we may not post to"


class UnsafeTarget(ValueError):
    """The URL may not be posted to; ``code`` says why."""

    def __init__(self, message: str, code: str = "UNSAFE_TARGET") -> None:
        super().__init__(message)
        self.code = code


def registered_url(url: str, *, allow_private: bool) -> str:
    """``check_url`` for a URL given in a request: a refusal is a 422 with the reason."""
    try:
        return check_url(url, allow_private=allow_private)
    except UnsafeTarget as exc:
        raise ValidationFailed(
            str(exc), code=exc.code, details=[{"loc": ["body", "url"], "msg": str(exc)}]
        ) from exc


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public_address(address.ipv4_mapped)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE)
    )


_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT


def check_url(url: str, *, allow_private: bool) -> str:
    """Returns the URL if it may be posted to; raises :class:`UnsafeTarget` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("The URL is not valid.", "INVALID_URL") from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UnsafeTarget("Only http and https URLs are accepted.", "UNSUPPORTED_SCHEME")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("The URL has no host.", "INVALID_URL")
    if parts.username or parts.password:
        raise UnsafeTarget("Credentials in the URL are not accepted.", "INVALID_URL")
    if port == 0:
        raise UnsafeTarget("The URL's port is not valid.", "INVALID_URL")
    if allow_private:
        return url
    if host.lower() in {"localhost", "localhost.localdomain"} or host.lower().endswith(
        ".localhost"
    ):
        raise UnsafeTarget("Loopback targets are not accepted.", "PRIVATE_TARGET")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url  # a name: its addresses are checked when connecting
    if not is_public_address(address):
        raise UnsafeTarget(
            "Private, loopback, link-local and multicast addresses are not accepted.",
            "PRIVATE_TARGET",
        )
    return url


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then drops every non-public address."""

    def __init__(self, *, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        if self.allow_private:
            return results
        safe = [r for r in results if is_public_address(ipaddress.ip_address(r["host"]))]
        if not safe:
            raise OSError(f"{host} {UNSAFE_MARK}")
        return safe

    async def close(self) -> None:
        await self.inner.close()
