"""``/auth/token`` and ``/api/{service}/...`` through the gateway to the real contracts service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from careplane_shared.testing import bearer
from careplane_shared.testing.transport import RecordingTransport

from .conftest import GatewayFactory

# The gateway's fetch of the keys that verify tokens: no call of the request under test.
KEYS = "/.well-known/jwks.json"


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, object] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    return error


async def test_a_bad_token_form_gets_contracts_answer_unchanged(
    gateway_client: httpx.AsyncClient, seeded_staff: dict[str, uuid.UUID]
) -> None:
    missing_grant = await gateway_client.post("/auth/token", data={"username": "x"})
    wrong_password = await gateway_client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "admin@example.com", "password": "nope"},
    )
    unknown_grant = await gateway_client.post("/auth/token", data={"grant_type": "magic"})

    error = assert_error_shape(missing_grant, 422, "VALIDATION_ERROR")
    assert error["details"] == [
        {"loc": ["body", "grant_type"], "msg": "Field required", "type": "missing"}
    ]
    assert_error_shape(wrong_password, 400, "INVALID_GRANT")
    assert_error_shape(unknown_grant, 400, "UNSUPPORTED_GRANT_TYPE")


async def test_proxied_route_with_a_token(
    gateway_client: httpx.AsyncClient, admin_token: str, seeded_staff: dict[str, uuid.UUID]
) -> None:
    response = await gateway_client.get(
        "/api/contracts/v1/me", headers={**bearer(admin_token), "x-request-id": "trace-me-1"}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": str(seeded_staff["admin@example.com"]),
        "email": "admin@example.com",
        "name": "Ada Admin",
        "role": "ADMIN",
        "customer_id": None,
    }
    # One request id, the caller's, end to end.
    assert response.headers.get_list("x-request-id") == ["trace-me-1"]


async def test_proxied_route_without_a_token_is_401_in_the_error_shape(
    gateway_client: httpx.AsyncClient,
) -> None:
    response = await gateway_client.get("/api/contracts/v1/me", headers={"x-request-id": "t-401"})

    error = assert_error_shape(response, 401, "UNAUTHENTICATED")
    # The service itself answered: it saw the gateway's request id.
    assert error["request_id"] == "t-401"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_request_bodies_and_query_strings_reach_the_service(
    gateway_client: httpx.AsyncClient, admin_token: str
) -> None:
    async def chunked_body() -> AsyncIterator[bytes]:
        yield b'{"name": "CRM '
        yield b'sync", "scopes": ["tickets:read"]}'

    created = await gateway_client.post(
        "/api/contracts/v1/api-keys",
        content=chunked_body(),
        headers={**bearer(admin_token), "content-type": "application/json"},
    )
    listed = await gateway_client.get(
        "/api/contracts/v1/api-keys", params={"limit": 1}, headers=bearer(admin_token)
    )

    assert created.status_code == 201, created.text
    key = created.json()
    assert key["name"] == "CRM sync"
    assert key["scopes"] == ["tickets:read"]
    assert key["client_secret"].startswith("cps_")
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["limit"] == 1
    assert [item["id"] for item in page["items"]] == [key["id"]]


async def test_what_reaches_the_service(
    start_gateway: GatewayFactory, contracts_app: FastAPI, admin_token: str
) -> None:
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(contracts_transport=transport) as client:
        response = await client.get(
            "/api/contracts/v1/me?fields=a%2Fb&x=1",
            headers={
                **bearer(admin_token),
                "x-request-id": "trace-2",
                "connection": "keep-alive, x-hop",
                "x-hop": "only for the next hop",
                "keep-alive": "timeout=5",
                "accept-language": "nl",
            },
        )

    assert response.status_code == 200, response.text
    [sent] = transport.requests
    assert sent.url.path == "/v1/me"
    assert sent.url.query == b"fields=a%2Fb&x=1"
    assert sent.headers["authorization"] == f"Bearer {admin_token}"
    assert sent.headers["x-request-id"] == "trace-2"
    assert sent.headers["accept-language"] == "nl"
    assert sent.headers["x-forwarded-proto"] == "http"
    assert sent.headers["x-forwarded-host"] == "testserver"
    for hop_by_hop in ("x-hop", "keep-alive"):
        assert hop_by_hop not in sent.headers


async def test_an_encoded_path_reaches_the_service_as_sent(
    start_gateway: GatewayFactory, contracts_app: FastAPI
) -> None:
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(contracts_transport=transport) as client:
        response = await client.get("/api/contracts/v1/things/a%2Fb")

    assert response.status_code == 404
    [sent] = transport.requests
    assert sent.url.raw_path == b"/v1/things/a%2Fb"


async def test_an_unknown_service_is_404_in_the_error_shape(
    gateway_client: httpx.AsyncClient,
) -> None:
    response = await gateway_client.get("/api/nope/x")

    error = assert_error_shape(response, 404, "NOT_FOUND")
    assert "nope" in str(error["message"])


async def test_an_unreachable_service_is_503_in_the_error_shape(
    gateway_client: httpx.AsyncClient,
) -> None:
    # tickets is not running in these tests.
    response = await gateway_client.get("/api/tickets/v1/tickets")

    error = assert_error_shape(response, 503, "SERVICE_UNAVAILABLE")
    assert error["details"] == {"service": "tickets"}


async def test_token_when_contracts_is_down_is_503(
    start_gateway: GatewayFactory, unreachable_url: str
) -> None:
    async with start_gateway(contracts_transport=None, contracts_url=unreachable_url) as client:
        response = await client.post(
            "/auth/token",
            data={"grant_type": "password", "username": "a@example.com", "password": "x"},
        )

    assert_error_shape(response, 503, "SERVICE_UNAVAILABLE")


async def test_a_malformed_graphql_request_is_400_in_the_error_shape(
    gateway_client: httpx.AsyncClient, admin_token: str
) -> None:
    response = await gateway_client.post(
        "/graphql", json={"variables": {}}, headers=bearer(admin_token)
    )

    assert_error_shape(response, 400, "BAD_REQUEST")
