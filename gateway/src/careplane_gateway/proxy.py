"""The services' REST APIs under the gateway's origin.

``/api/{service}/{path}`` goes to ``{service}/{path}`` with the caller's headers (the token
among them), the query string and the request id; ``POST /auth/token`` goes to contracts.
Each service verifies the token and answers for itself; the gateway has checked it already
(``careplane_gateway.guard``: with the rate limits and the body limits) and keeps the services' own
paths (``/docs``, ``/openapi.json``, ``/metrics``, ``/healthz``, ``/readyz``) to itself unless
``expose_service_docs`` is set.

Small bodies (a declared length up to ``BUFFERED_BYTES``: nearly every JSON request and
answer) are passed on whole, in one piece; larger ones, and those of unknown length
(uploads, downloads), are streamed as they arrive. Relaying a small answer as a stream cost
more than the rest of the hop: a task group per answer and a message per chunk.

``X-Forwarded-For`` tells the service who called: the hops the gateway believes (through its
trusted proxies) and the peer it saw, never more of what a caller wrote itself; the services
treat the gateway as a trusted proxy and so key their own limits (sign-in) on that address.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from urllib.parse import quote, unquote

import httpx
import structlog
from fastapi import APIRouter, Request, Response
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from careplane_gateway.config import GatewaySettings
from careplane_gateway.services import ServiceClients, ServiceHop, ServiceName
from careplane_gateway.upstream import UPSTREAM_ERRORS, transport_failure
from careplane_shared.client_address import connection_chain
from careplane_shared.errors import CareplaneError, NotFound

log = structlog.get_logger(__name__)

router = APIRouter()

# RFC 9110 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set again on this hop: the request id by the client's event hook (the id this request got
# at the gateway), host by httpx, the forwarding headers by ``_request_headers``; on the way
# back, request id, date and server by our own stack.
_REQUEST_OWN = frozenset(
    {"host", "x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}
)
_RESPONSE_OWN = frozenset({"x-request-id", "date", "server"})
# The same as raw header names (bytes, lowercase: ASGI spells them so, httpx's are lowered).
_REQUEST_DROP = frozenset(name.encode() for name in HOP_BY_HOP | _REQUEST_OWN)
_RESPONSE_DROP = frozenset(name.encode() for name in HOP_BY_HOP | _RESPONSE_OWN)
# Bodies up to this declared length are read whole and sent on in one piece.
BUFFERED_BYTES = 256 * 1024
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# What each service serves for its operators, not its callers (first path segment).
INTERNAL_PATHS = frozenset({"metrics", "docs", "redoc", "openapi.json", "healthz", "readyz"})


def _dropped(fixed: frozenset[bytes], connection: list[bytes]) -> frozenset[bytes]:
    """``fixed`` with the headers the Connection header names (hop-by-hop as well)."""
    if not connection:
        return fixed
    named = {token.strip().lower() for value in connection for token in value.split(b",")}
    return fixed | named


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    raw: list[tuple[bytes, bytes]] = request.scope["headers"]
    drop = _dropped(_REQUEST_DROP, [value for name, value in raw if name == b"connection"])
    headers = [(name, value) for name, value in raw if name not in drop]
    chain = connection_chain(request, _settings(request).trusted_proxy_networks)
    if chain:
        headers.append((b"x-forwarded-for", ", ".join(chain).encode("latin-1")))
    # What a trusted proxy in front of us said of the original request stands; a caller's
    # own claims do not.
    behind_proxy = len(chain) > 1
    proto = request.headers.get("x-forwarded-proto") if behind_proxy else None
    # The scheme as the server saw it (request.url would build the whole URL to tell it).
    scheme: str = request.scope.get("scheme", "http")
    headers.append((b"x-forwarded-proto", (proto or scheme).encode("latin-1")))
    host = request.headers.get("x-forwarded-host") if behind_proxy else None
    host = host or request.headers.get("host")
    if host:
        headers.append((b"x-forwarded-host", host.encode("latin-1")))
    return headers


def _declared_length(headers: Mapping[str, str]) -> int | None:
    """The body's Content-Length; None for a body of unknown length (chunked)."""
    if "transfer-encoding" in headers:
        return None
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return None  # the server refuses a malformed length itself


async def _request_body(request: Request) -> bytes | AsyncIterator[bytes] | None:
    """The body to send on: whole when it is small, as a stream otherwise. The guard has
    bounded it already (``careplane_gateway.guard``)."""
    length = _declared_length(request.headers)
    if length == 0:
        return None
    if length is not None and length <= BUFFERED_BYTES:
        return await request.body()
    return request.stream()


def _upstream_path(request: Request, prefix: str, path: str) -> str:
    """The path as the caller encoded it (``%2F`` stays ``%2F``), after ``prefix``."""
    raw_path: bytes = request.scope.get("raw_path") or b""
    raw = raw_path.split(b"?", 1)[0].decode("latin-1")
    index = raw.find(prefix)
    if index >= 0:
        rest = raw[index + len(prefix) :]
        if unquote(rest) == path:
            return "/" + rest
    return "/" + quote(path)


def is_internal_path(path: str) -> bool:
    """Whether ``path`` (decoded) leads to one of ``INTERNAL_PATHS``, however it is spelled:
    empty and dot segments are resolved as a server would."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return bool(segments) and segments[0].lower() in INTERNAL_PATHS


def _response_headers(upstream: httpx.Response) -> list[tuple[bytes, bytes]]:
    raw = upstream.headers.raw
    drop = _dropped(_RESPONSE_DROP, [value for name, value in raw if name.lower() == b"connection"])
    return [(name, value) for name, value in raw if name.lower() not in drop]


class RelayedResponse(Response):
    """A service's whole answer, as it came: status, headers and body bytes unchanged."""

    def __init__(
        self, status_code: int, body: bytes, raw_headers: list[tuple[bytes, bytes]]
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = raw_headers


class ProxiedResponse(StreamingResponse):
    """A service's answer relayed as it arrives. The upstream response is closed however the
    relay ends, a caller that went away included (then Starlette runs no background task)."""

    def __init__(self, upstream: httpx.Response, service: str) -> None:
        super().__init__(_relay(upstream, service), status_code=upstream.status_code)
        self.raw_headers = _response_headers(upstream)
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.upstream.aclose()


async def _relay(upstream: httpx.Response, service: str) -> AsyncIterator[bytes]:
    try:
        # Raw: a compressed answer stays compressed, its content-length stays true.
        async for chunk in upstream.aiter_raw():
            yield chunk
    except UPSTREAM_ERRORS as exc:
        # The status line is already out: all that is left is to cut the answer short.
        log.warning("proxy_stream_broken", service=service, error=repr(exc))
        raise


def _unreachable(service: ServiceName, exc: Exception) -> CareplaneError:
    failure = transport_failure(service.value, exc)
    log.warning("proxy_failed", service=service.value, code=failure.code, error=repr(exc))
    return CareplaneError(
        failure.message,
        code=failure.code,
        status_code=failure.status_code,
        details={"service": service.value},
    )


def _buffered(upstream: httpx.Response) -> bool:
    """Whether the answer is read whole: small, and not encoded (so its decoded bytes are
    the bytes that came, and its Content-Length stays true)."""
    length = _declared_length(upstream.headers)
    encoding = upstream.headers.get("content-encoding", "identity")
    return length is not None and length <= BUFFERED_BYTES and encoding == "identity"


async def forward(request: Request, service: ServiceName, hop: ServiceHop, path: str) -> Response:
    query = request.scope["query_string"]
    upstream_request = hop.request(
        request.method,
        f"{path}?{query.decode('latin-1')}" if query else path,
        headers=_request_headers(request),
        content=await _request_body(request),
    )
    try:
        upstream = await hop.send(upstream_request)
    except UPSTREAM_ERRORS as exc:
        raise _unreachable(service, exc) from exc
    if not _buffered(upstream):
        return ProxiedResponse(upstream, service.value)
    try:
        body = await upstream.aread()
    except UPSTREAM_ERRORS as exc:
        raise _unreachable(service, exc) from exc
    finally:
        await upstream.aclose()
    return RelayedResponse(upstream.status_code, body, _response_headers(upstream))


def _clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.service_clients
    return clients


_TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {
                            "type": "string",
                            "enum": ["password", "client_credentials"],
                        },
                        "username": {"type": "string"},
                        "password": {"type": "string", "format": "password"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string", "format": "password"},
                        "scope": {"type": "string"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/auth/token",
    tags=["auth"],
    summary="Get an access token (OAuth2 password or client_credentials grant).",
    openapi_extra=_TOKEN_FORM,
)
async def token(request: Request) -> Response:
    """Contracts' token endpoint under the gateway's origin: the form goes to contracts as
    sent, its answer (status and body) comes back unchanged."""
    hop = _clients(request).hop(ServiceName.CONTRACTS)
    return await forward(request, ServiceName.CONTRACTS, hop, "/auth/token")


async def service_api(request: Request) -> Response:
    """``/api/contracts/v1/me`` is contracts' ``/v1/me``; each service documents its own
    routes at its ``/openapi.json``. A plain Starlette route: nothing here for FastAPI to
    validate or document."""
    service: str = request.path_params["service"]
    path: str = request.path_params["path"]
    named = _clients(request).named(service)
    if named is None:
        known = ", ".join(name.value for name in ServiceName)
        raise NotFound(f"There is no service called {service!r} (there are {known}).")
    name, hop = named
    if not _settings(request).service_docs_exposed and is_internal_path(path):
        # Answered as for a path the service does not have.
        raise NotFound()
    return await forward(request, name, hop, _upstream_path(request, f"/api/{service}/", path))


router.add_route(
    "/api/{service}/{path:path}", service_api, methods=_METHODS, include_in_schema=False
)
