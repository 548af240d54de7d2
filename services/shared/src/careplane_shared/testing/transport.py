"""httpx transports for pieces wired to each other in-process: one that lets requests through
one at a time, one that keeps what went through."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import httpx


class SerialTransport(httpx.AsyncBaseTransport):
    """Hands requests to the piece behind it one at a time.

    In the tests an in-process service runs every request on the test's one connection, as a
    savepoint of its rolled-back transaction; two requests at once (the gateway resolves
    fields concurrently, a service calls contracts while the test does) would interleave their
    savepoints on that connection. A deployment gives each request its own connection, so
    only the tests need this. Every caller of one service shares one ``SerialTransport``."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lock = asyncio.Lock()

    @classmethod
    def to(cls, app: Any) -> SerialTransport:
        """To an ASGI app in the same process."""
        return cls(httpx.ASGITransport(app=app))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # An ASGI transport returns once the app has answered in full: its work is done, and
        # the body is left for the caller to read (or stream, as the gateway's proxy does).
        async with self.lock:
            return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Call:
    """A request that went through a ``RecordingTransport``, and the status it got (None
    while it is under way, or when the piece behind never answered)."""

    request: httpx.Request
    status: int | None = None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def json(self) -> Any:
        """The JSON body, or None (no body, or not JSON)."""
        is_json = self.request.headers.get("content-type") == "application/json"
        return json.loads(self.request.content) if self.request.content and is_json else None


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes every request on to the transport behind it and keeps it, in the order they
    came, with its answer's status: how many calls one piece makes to another, and with what.
    Requests to the ``ignore`` paths pass unrecorded (e.g. a piece's fetch of the keys that
    verify tokens, which is no call of the feature under test)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, ignore: Collection[str] = ()) -> None:
        self.inner = inner
        self.ignore = frozenset(ignore)
        self.calls: list[Call] = []

    @classmethod
    def to(cls, app: Any, *, ignore: Collection[str] = ()) -> RecordingTransport:
        """To an ASGI app in the same process."""
        return cls(httpx.ASGITransport(app=app), ignore=ignore)

    @property
    def requests(self) -> list[httpx.Request]:
        return [call.request for call in self.calls]

    @property
    def paths(self) -> list[str]:
        return [call.path for call in self.calls]

    def api_calls(self) -> list[Call]:
        """The calls to the API (``/v1/...``), without token fetches and the like."""
        return [call for call in self.calls if call.path.startswith("/v1/")]

    def clear(self) -> None:
        self.calls.clear()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in self.ignore:
            return await self.inner.handle_async_request(request)
        await request.aread()
        call = Call(request)
        self.calls.append(call)
        response = await self.inner.handle_async_request(request)
        call.status = response.status_code
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
