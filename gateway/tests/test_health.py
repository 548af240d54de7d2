from __future__ import annotations

import httpx

from careplane_shared.testing import bearer


async def test_health_and_readiness(gateway_client: httpx.AsyncClient) -> None:
    health = await gateway_client.get("/healthz")
    ready = await gateway_client.get("/readyz")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": "gateway"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "service": "gateway"}


async def test_metrics_count_gateway_requests(
    gateway_client: httpx.AsyncClient, admin_token: str
) -> None:
    # With a token: without one the guard answers 401 before any route is chosen.
    answered = await gateway_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bearer(admin_token)
    )
    assert answered.status_code == 200, answered.text

    metrics = await gateway_client.get("/metrics")

    assert metrics.status_code == 200
    assert 'careplane_http_requests_total{method="POST",route="/graphql"' in metrics.text


async def test_openapi_documents_the_gateways_own_routes(
    gateway_client: httpx.AsyncClient,
) -> None:
    paths = (await gateway_client.get("/openapi.json")).json()["paths"]

    assert {"/graphql", "/auth/token", "/healthz", "/readyz"} <= set(paths)
    form = paths["/auth/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in form
