"""What a request must pass before its body is read: the caller's token, then a size limit.

FastAPI reads and parses a body before any dependency runs, so without this an
anonymous caller could make a service parse megabytes of JSON (and learn from a 422
that a route exists) before being told 401. This pure ASGI middleware finds the route
itself, verifies the bearer token of routes that need one (the verified principal is
kept on the request for ``current_principal``), and bounds the body:

- routes whose body FastAPI parses (JSON, forms): ``max_body_bytes``;
- routes that stream the raw body themselves (attachment uploads): ``max_stream_bytes``,
  and the route applies its own, tighter limit while streaming.

A body over the limit is refused with 413 ``PAYLOAD_TOO_LARGE``: at once when its
Content-Length says so, or as soon as the streamed bytes pass the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careplane_shared.auth import authenticate, current_principal
from careplane_shared.errors import CareplaneError, error_response

_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RouteGuard:
    needs_token: bool
    streams_body: bool


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _dependants(child)


def guard_of(route: APIRoute | RouteContext) -> RouteGuard:
    """What a route needs, read off its dependencies (with those of the routers that
    include it)."""
    dependant: Dependant = route.dependant
    calls = {d.call for d in _dependants(dependant)}
    return RouteGuard(
        needs_token=current_principal in calls,
        streams_body=not dependant.body_params,
    )


class PayloadTooLarge(CareplaneError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    message = "The request body is too large."


@dataclass(frozen=True, slots=True)
class _GuardedRoute:
    """A route with what can be told about it without matching its path pattern: the
    literal start of its path, and its methods."""

    prefix: str
    methods: frozenset[str] | None
    route: RouteContext
    guard: RouteGuard

    @classmethod
    def of(cls, route: RouteContext) -> _GuardedRoute:
        path_format = route.path_format or ""
        methods = route.methods
        return cls(
            prefix=path_format.split("{", 1)[0],
            methods=frozenset(methods) if methods else None,
            route=route,
            guard=guard_of(route),
        )

    def could_match(self, path: str, method: str) -> bool:
        return path.startswith(self.prefix) and (self.methods is None or method in self.methods)


class RequestGuardMiddleware:
    def __init__(
        self, app: ASGIApp, *, routes_of: FastAPI, max_body_bytes: int, max_stream_bytes: int
    ) -> None:
        self.app = app
        self.routes_of = routes_of
        self.max_body_bytes = max_body_bytes
        self.max_stream_bytes = max_stream_bytes
        self._routes: list[_GuardedRoute] | None = None

    def _guard(self, scope: Scope) -> RouteGuard | None:
        """The first route that fully matches, as the router will find it. Only the
        routes whose literal path start and methods fit are matched against their
        pattern: matching each of a service's routes in turn cost up to 130 us a request."""
        if self._routes is None:
            # Routes are complete once the app serves; included routers are flattened once.
            self._routes = [
                _GuardedRoute.of(route)
                for route in iter_route_contexts(self.routes_of.routes)
                if isinstance(route.original_route, APIRoute)
            ]
        path, method = get_route_path(scope), scope["method"]
        for candidate in self._routes:
            if candidate.could_match(path, method):
                match, _ = candidate.route.matches(scope)
                if match is Match.FULL:
                    return candidate.guard
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS:
            await self.app(scope, receive, send)
            return
        guard = self._guard(scope)
        if guard is None:
            await self.app(scope, receive, send)
            return
        limit = self.max_stream_bytes if guard.streams_body else self.max_body_bytes
        try:
            if guard.needs_token:
                await authenticate(Request(scope))
            ensure_declared_length(scope, limit)
        except CareplaneError as exc:
            await refuse(exc, scope, receive, send)
            return
        await run_bounded(self.app, scope, receive, send, limit)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(details={"max_bytes": limit})


def ensure_declared_length(scope: Scope, limit: int) -> None:
    """413 at once when the request's Content-Length says it is over ``limit``."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                return  # the server rejects a malformed length itself
            if declared > limit:
                raise too_large(limit)
            return


async def refuse(exc: CareplaneError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answers ``exc`` in the error shape, straight from ASGI."""
    response = error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
    await response(scope, receive, send)


async def run_bounded(app: ASGIApp, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """Runs ``app`` with at most ``limit`` body bytes. Past it the caller gets its 413 here
    (if no answer has begun), the app is told the client went away, and whatever it still
    says or raises about that is dropped."""
    received = 0
    started = False
    cut_off = False

    async def bounded_receive() -> Message:
        nonlocal received, cut_off
        if cut_off:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                cut_off = True
                if not started:
                    await refuse(too_large(limit), scope, receive, send)
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if cut_off:
            return
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, bounded_receive, guarded_send)
    except Exception:
        # The app saw the connection end mid-body; the caller already has its 413.
        if not cut_off:
            raise
