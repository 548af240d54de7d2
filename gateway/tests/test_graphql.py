"""``me`` and the error mapping, through the gateway to the real contracts service."""

from __future__ import annotations

import uuid

import httpx

from careplane_shared.auth import TokenVerifier
from careplane_shared.testing import bearer
from careplane_shared.testing.graphql import graphql
from careplane_shared.testing.transport import RecordingTransport

from .conftest import GatewayFactory

ME = "{ me { id email role customerId } }"


async def test_token_from_the_gateway_answers_me(
    gateway_client: httpx.AsyncClient, seeded_staff: dict[str, uuid.UUID]
) -> None:
    response = await gateway_client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "admin@example.com", "password": "careplane"},
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0

    body = await graphql(gateway_client, token["access_token"], ME)

    assert body == {
        "data": {
            "me": {
                "id": str(seeded_staff["admin@example.com"]),
                "email": "admin@example.com",
                "role": "ADMIN",
                "customerId": None,
            }
        }
    }


async def test_graphql_without_a_token_is_401_before_its_body_is_read(
    gateway_client: httpx.AsyncClient,
) -> None:
    response = await gateway_client.post("/graphql", json={"query": ME})
    not_json = await gateway_client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )

    for refused in (response, not_json):
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "UNAUTHENTICATED"
        assert refused.json()["error"]["message"] == "A valid bearer token is required."
        assert refused.headers["www-authenticate"] == "Bearer"


async def test_graphql_with_a_bad_token_is_401_with_the_verifiers_code(
    gateway_client: httpx.AsyncClient,
) -> None:
    response = await gateway_client.post("/graphql", json={"query": ME}, headers=bearer("x.y.z"))

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


async def test_me_when_contracts_is_down_is_service_unavailable(
    start_gateway: GatewayFactory,
    unreachable_url: str,
    admin_token: str,
    contracts_keys: TokenVerifier,
) -> None:
    async with start_gateway(
        contracts_transport=None, contracts_url=unreachable_url, token_verifier=contracts_keys
    ) as client:
        body = await graphql(client, admin_token, ME)

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["service"] == "contracts"


async def test_a_query_asks_contracts_once_per_request(
    start_gateway: GatewayFactory, contracts_app: object, admin_token: str
) -> None:
    transport = RecordingTransport.to(contracts_app)
    query = "{ first: me { email } second: me { role } }"

    async with start_gateway(contracts_transport=transport) as client:
        first = await graphql(client, admin_token, query)
        second = await graphql(client, admin_token, query)

    expected = {"data": {"first": {"email": "admin@example.com"}, "second": {"role": "ADMIN"}}}
    assert first == expected
    assert second == expected
    # Deduplicated within a request, never cached across requests; the keys that verify the
    # token are fetched once, for both.
    assert transport.paths == ["/.well-known/jwks.json", "/v1/me", "/v1/me"]


async def test_a_query_deeper_than_the_limit_is_refused(
    start_gateway: GatewayFactory, admin_token: str
) -> None:
    async with start_gateway(graphql_max_depth=0) as client:
        body = await graphql(client, admin_token, ME)

    assert body["data"] is None
    errors = body["errors"]
    assert errors  # one per field below the limit
    for error in errors:
        assert error["message"] == "'anonymous' exceeds maximum operation depth of 0"
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_query_with_too_many_tokens_is_refused(
    gateway_client: httpx.AsyncClient, admin_token: str
) -> None:
    # Each alias is three tokens; the default limit is 5000.
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(2000)) + " }"

    body = await graphql(gateway_client, admin_token, query)

    assert body["data"] is None
    [error] = body["errors"]
    assert "more than 5000 tokens" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_an_unknown_field_is_a_validation_error(
    gateway_client: httpx.AsyncClient, admin_token: str
) -> None:
    body = await graphql(gateway_client, admin_token, "{ me { password } }")

    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_graphiql_is_served_on_get_when_enabled(start_gateway: GatewayFactory) -> None:
    async with start_gateway() as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
    async with start_gateway(graphiql=False) as client:
        disabled = await client.get("/graphql", headers={"accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert disabled.status_code == 404
