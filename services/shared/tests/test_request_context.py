"""Every request gets a request id (its own if valid), a count and a duration in the
metrics, and an access line when the access log's level is on."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from prometheus_client import REGISTRY

from careplane_shared.context import request_id_var
from careplane_shared.logging import configure_logging
from careplane_shared.observability import RequestContextMiddleware


def service() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, Any]:
        return {"request_id": request_id_var.get()}

    app.add_middleware(RequestContextMiddleware, service="context-test")
    return app


def requests_counted(method: str, route: str, status: str) -> float:
    labels = {"service": "context-test", "method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("careplane_http_requests_total", labels) or 0.0


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=service())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_valid_request_id_is_kept_and_echoed_another_replaced(client):
    kept = await client.post("/v1/things/1", headers={"x-request-id": "abc-123.x:y"})
    made = await client.post("/v1/things/1", headers={"x-request-id": "not valid!"})
    none = await client.post("/v1/things/1")

    assert kept.headers["x-request-id"] == kept.json()["request_id"] == "abc-123.x:y"
    for response in (made, none):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
        assert response.json()["request_id"] == response.headers["x-request-id"]
    assert made.headers["x-request-id"] != none.headers["x-request-id"]


async def test_requests_are_counted_by_route_and_status(client):
    before = (
        requests_counted("POST", "/v1/things/{thing_id}", "200"),
        requests_counted("POST", "unmatched", "404"),
    )
    for _ in range(3):
        await client.post("/v1/things/1")
    await client.post("/nowhere")

    assert requests_counted("POST", "/v1/things/{thing_id}", "200") == before[0] + 3
    assert requests_counted("POST", "unmatched", "404") == before[1] + 1


@pytest.fixture
def configured_logging():
    """configure_logging as a piece calls it, undone afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("context-test", "INFO", json=True)
    yield
    root.handlers[:], root.level = handlers, level
    structlog.contextvars.clear_contextvars()


async def test_the_access_line_is_written_only_when_its_level_is_on(
    client, caplog, configured_logging
):
    caplog.set_level(logging.WARNING, logger="careplane.access")
    await client.post("/v1/things/quiet")
    caplog.set_level(logging.INFO, logger="careplane.access")
    await client.post("/v1/things/heard")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/v1/things/heard" in logged
    assert "/v1/things/quiet" not in logged
