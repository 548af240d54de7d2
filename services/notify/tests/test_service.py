from __future__ import annotations

from careplane_shared.auth import Role


async def test_health_readiness_and_openapi(notify_client):
    assert (await notify_client.get("/healthz")).json()["service"] == "notify"
    assert (await notify_client.get("/readyz")).status_code == 200
    assert "/v1/events" in (await notify_client.get("/openapi.json")).json()["paths"]


async def test_event_intake_dedupes_by_source_and_id(notify_client, notify_minter):
    service = notify_minter.headers(Role.SERVICE, subject="svc-tickets")
    event = {"specversion": "1.0", "id": "evt-1", "source": "tickets", "type": "ticket.opened"}
    first = await notify_client.post("/v1/events", json=event, headers=service)
    assert first.status_code == 202 and first.json() == {"id": "evt-1", "accepted": True}
    again = await notify_client.post("/v1/events", json=event, headers=service)
    assert again.status_code == 200 and again.json() == {"id": "evt-1", "accepted": False}
    other_source = await notify_client.post(
        "/v1/events", json={**event, "source": "contracts"}, headers=service
    )
    assert other_source.status_code == 202


async def test_malformed_events_are_422(notify_client, notify_minter):
    service = notify_minter.headers(Role.SERVICE)
    response = await notify_client.post(
        "/v1/events", json={"specversion": "0.3", "id": "", "source": "x"}, headers=service
    )
    assert response.status_code == 422
    locs = {tuple(d["loc"]) for d in response.json()["error"]["details"]}
    assert ("body", "specversion") in locs and ("body", "type") in locs
