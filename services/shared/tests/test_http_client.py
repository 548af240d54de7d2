"""The inter-service HTTP client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from careplane_shared.context import authorization_var, request_id_var
from careplane_shared.http import ForwardCallerAuth, create_http_client
from careplane_shared.settings import BaseServiceSettings
from careplane_shared.testing import serve_on_loopback


def _target_app() -> FastAPI:
    app = FastAPI()
    app.state.calls = {}

    @app.api_route("/flaky/{name}", methods=["GET", "POST", "PUT"])
    async def flaky(name: str) -> JSONResponse:
        calls = app.state.calls
        calls[name] = calls.get(name, 0) + 1
        if calls[name] < 3:
            return JSONResponse({"try": calls[name]}, status_code=503)
        return JSONResponse({"try": calls[name]})

    @app.get("/echo")
    async def echo(request: Request) -> dict[str, str | None]:
        return {
            "request_id": request.headers.get("x-request-id"),
            "authorization": request.headers.get("authorization"),
        }

    return app


@pytest.fixture
async def target() -> AsyncIterator[tuple[str, FastAPI]]:
    app = _target_app()
    async with serve_on_loopback(app) as base_url:
        yield base_url, app


@pytest.fixture
def settings() -> BaseServiceSettings:
    return BaseServiceSettings(env="test", http_retries=2, http_timeout_seconds=2)


async def test_idempotent_requests_are_retried_and_posts_are_not(target, settings):
    base_url, app = target
    async with create_http_client(settings, base_url=base_url) as client:
        assert (await client.get("/flaky/get")).json() == {"try": 3}
        assert (await client.put("/flaky/put")).status_code == 200
        response = await client.post("/flaky/post")
        assert response.status_code == 503
        assert app.state.calls["post"] == 1
        # A POST that carries an Idempotency-Key is safe to repeat.
        keyed = await client.post("/flaky/keyed", headers={"Idempotency-Key": "k"})
        assert keyed.json() == {"try": 3}


async def test_retries_are_bounded(target):
    base_url, app = target
    settings = BaseServiceSettings(env="test", http_retries=1)
    async with create_http_client(settings, base_url=base_url) as client:
        assert (await client.get("/flaky/bounded")).status_code == 503
    assert app.state.calls["bounded"] == 2


async def test_request_id_and_caller_authorization_are_forwarded(target, settings):
    base_url, _ = target
    rid = request_id_var.set("req-42")
    auth = authorization_var.set("Bearer caller-token")
    try:
        async with create_http_client(
            settings, base_url=base_url, auth=ForwardCallerAuth()
        ) as client:
            assert (await client.get("/echo")).json() == {
                "request_id": "req-42",
                "authorization": "Bearer caller-token",
            }
    finally:
        request_id_var.reset(rid)
        authorization_var.reset(auth)


async def test_an_unreachable_service_fails_fast(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with create_http_client(settings, base_url=f"http://127.0.0.1:{port}") as client:
        # aiohttp reports a refused connection as a connect timeout; either is a transport error.
        with pytest.raises(httpx.TransportError):
            await client.get("/anything")
