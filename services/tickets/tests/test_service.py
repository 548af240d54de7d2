from __future__ import annotations

import uuid

from careplane_shared.auth import Role


async def test_health_readiness_metrics_and_openapi(tickets_client):
    assert (await tickets_client.get("/healthz")).json()["service"] == "tickets"
    assert (await tickets_client.get("/readyz")).json() == {"status": "ready", "service": "tickets"}
    assert "careplane_http_requests_total" in (await tickets_client.get("/metrics")).text
    assert "/v1/events" in (await tickets_client.get("/openapi.json")).json()["paths"]


async def test_inbox_needs_a_service_token(tickets_client, tickets_minter):
    event = {"specversion": "1.0", "id": "e-1", "source": "contracts", "type": "customer.updated"}
    response = await tickets_client.post("/v1/events", json=event)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"

    contact = tickets_minter.headers(Role.CONTACT, customer_id=uuid.uuid4())
    response = await tickets_client.post("/v1/events", json=event, headers=contact)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"

    service = tickets_minter.headers(Role.SERVICE, subject="svc-contracts")
    assert (await tickets_client.post("/v1/events", json=event, headers=service)).status_code == 202
    assert (await tickets_client.post("/v1/events", json=event, headers=service)).status_code == 200


async def test_a_customer_token_without_its_customer_is_refused(tickets_client, tickets_minter):
    response = await tickets_client.post(
        "/v1/events",
        json={"specversion": "1.0", "id": "e-2", "source": "x", "type": "y"},
        headers=tickets_minter.headers(Role.CONTACT),
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


async def test_a_token_for_another_audience_is_refused(tickets_client, tickets_minter):
    token = tickets_minter.mint(Role.SERVICE, aud="someone-else")
    response = await tickets_client.post(
        "/v1/events",
        json={"specversion": "1.0", "id": "e-3", "source": "x", "type": "y"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
