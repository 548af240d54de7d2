"""The gateway's abuse limits, through the real gateway over the real contracts service:
request rates per caller and per address (429 + Retry-After), client addresses through
trusted proxies only, body limits (413) with authentication before any body is read, and
the services' own paths kept off ``/api/...``.

Tickets is not running in these tests (its URL is a port nothing listens on): a request the
gateway forwards there answers 503, one it refuses itself never gets that far.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from careplane_gateway.proxy import is_internal_path
from careplane_shared.testing import bearer, password_token
from careplane_shared.testing.transport import RecordingTransport

from .conftest import GatewayFactory

ME = "{ me { email } }"
# The gateway's fetch of the keys that verify tokens: no call of the request under test.
KEYS = "/.well-known/jwks.json"


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    error: dict[str, object] = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def retry_after(response: httpx.Response, window_seconds: int) -> int:
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= window_seconds
    return seconds


# -- request rates ---------------------------------------------------------------------------
# Limits per hour, not per minute: the sliding window weighs the previous window's count
# down as the next one starts, so a test that crossed a minute's end (likelier on a busy
# machine) saw a caller it had just filled let through again.


async def test_a_caller_over_its_limit_gets_429_and_the_service_is_not_called(
    start_gateway: GatewayFactory, contracts_app: FastAPI, seeded_staff: dict[str, uuid.UUID]
) -> None:
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(
        contracts_transport=transport, rate_limit_per_principal="3/hour"
    ) as client:
        admin = await password_token(client, "admin@example.com")
        agent = await password_token(client, "agent@example.com")
        transport.clear()
        # REST and GraphQL count alike, per token subject.
        answers = [
            await client.get("/api/contracts/v1/me", headers=bearer(admin)),
            await client.post("/graphql", json={"query": ME}, headers=bearer(admin)),
            await client.get("/api/contracts/v1/me", headers=bearer(admin)),
        ]
        over = [
            await client.get("/api/contracts/v1/me", headers=bearer(admin)),
            await client.post("/graphql", json={"query": ME}, headers=bearer(admin)),
        ]
        other = await client.get("/api/contracts/v1/me", headers=bearer(agent))

    assert [a.status_code for a in answers] == [200, 200, 200]
    for refused in over:
        error = error_of(refused, 429, "RATE_LIMITED")
        assert error["details"] == {
            "retry_after": retry_after(refused, 3600),
            "limit": "3 per 1 hour",
        }
    # Another caller has a count of its own.
    assert other.status_code == 200
    assert transport.paths == ["/v1/me", "/v1/me", "/v1/me", "/v1/me"]


async def test_calls_without_a_valid_token_are_counted_per_address(
    start_gateway: GatewayFactory, contracts_app: FastAPI, seeded_staff: dict[str, uuid.UUID]
) -> None:
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(
        contracts_transport=transport, rate_limit_per_address="3/hour"
    ) as client:
        token = await password_token(client, "admin@example.com")  # counts: 1
        anonymous = await client.get("/api/contracts/v1/me")  # 2: contracts answers 401
        forged = await client.get("/api/contracts/v1/me", headers=bearer("x.y.z"))  # 3
        transport.clear()
        over = [
            await client.get("/api/contracts/v1/me"),
            await client.post("/graphql", json={"query": ME}),
            await client.post(
                "/auth/token",
                data={"grant_type": "password", "username": "admin@example.com", "password": "x"},
            ),
        ]
        # A valid token is counted for its subject, not for the address.
        signed_in = await client.get("/api/contracts/v1/me", headers=bearer(token))

    error_of(anonymous, 401, "UNAUTHENTICATED")
    error_of(forged, 401, "TOKEN_INVALID")
    for refused in over:
        error_of(refused, 429, "RATE_LIMITED")
        retry_after(refused, 3600)
    assert signed_in.status_code == 200
    assert transport.paths == ["/v1/me"]


async def test_x_forwarded_for_counts_only_through_a_trusted_proxy(
    start_gateway: GatewayFactory,
) -> None:
    # The test client connects from 127.0.0.1.
    first, second = {"x-forwarded-for": "198.51.100.1"}, {"x-forwarded-for": "198.51.100.2"}
    async with start_gateway(
        rate_limit_per_address="2/hour", trusted_proxies=["127.0.0.0/8"]
    ) as behind_proxy:
        by_address = [
            (await behind_proxy.get("/api/contracts/v1/me", headers=headers)).status_code
            for headers in (first, first, second, second, first)
        ]
    async with start_gateway(rate_limit_per_address="2/hour") as direct:
        # Without a trusted proxy the header is the caller's own claim: one address, one count.
        claimed = [
            (await direct.get("/api/contracts/v1/me", headers=headers)).status_code
            for headers in (first, second, {"x-forwarded-for": "198.51.100.3"})
        ]

    assert by_address == [401, 401, 401, 401, 429]
    assert claimed == [401, 401, 429]


async def test_ipv6_addresses_are_counted_by_their_64_network(
    start_gateway: GatewayFactory,
) -> None:
    # One /64 is what a single IPv6 host is usually given: every address in it counts as one.
    same_network = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "[2001:db8:1:2::77]:4711"]
    async with start_gateway(
        rate_limit_per_address="2/hour", trusted_proxies=["127.0.0.0/8"]
    ) as behind_proxy:
        within = [
            (
                await behind_proxy.get("/api/contracts/v1/me", headers={"x-forwarded-for": a})
            ).status_code
            for a in same_network
        ]
        next_network = await behind_proxy.get(
            "/api/contracts/v1/me", headers={"x-forwarded-for": "2001:db8:1:3::1"}
        )

    assert within == [401, 401, 429]
    assert next_network.status_code == 401


async def test_the_token_endpoint_tells_contracts_who_called(
    start_gateway: GatewayFactory, contracts_app: FastAPI
) -> None:
    form = {"grant_type": "password", "username": "nobody@example.com", "password": "x"}
    claim = {"x-forwarded-for": "203.0.113.9, 10.1.2.3"}
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(contracts_transport=transport) as direct:
        await direct.post("/auth/token", data=form, headers=claim)
    trusted = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(
        contracts_transport=trusted, trusted_proxies=["127.0.0.1", "10.0.0.0/8"]
    ) as behind_proxy:
        await behind_proxy.post("/auth/token", data=form, headers=claim)

    [sent] = transport.requests
    # The caller's own claim is dropped: contracts hears of the peer the gateway saw.
    assert sent.headers.get_list("x-forwarded-for") == ["127.0.0.1"]
    [sent] = trusted.requests
    # Through trusted proxies: the believed chain, the caller first.
    assert sent.headers.get_list("x-forwarded-for") == ["203.0.113.9, 10.1.2.3, 127.0.0.1"]


async def test_when_redis_cannot_be_reached_each_replica_counts_for_itself(
    start_gateway: GatewayFactory, unreachable_url: str, seeded_staff: dict[str, uuid.UUID]
) -> None:
    redis_url = unreachable_url.replace("http://", "redis://")
    async with start_gateway(
        rate_limit_per_principal="2/hour", rate_limit_redis_url=redis_url
    ) as client:
        token = await password_token(client, "admin@example.com")
        statuses = [
            (await client.get("/api/contracts/v1/me", headers=bearer(token))).status_code
            for _ in range(3)
        ]

    assert statuses == [200, 200, 429]


@pytest.mark.skipif(
    not os.environ.get("CAREPLANE_TEST_REDIS_URL"),
    reason="set CAREPLANE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test shared counts",
)
async def test_replicas_share_their_counts_in_redis(
    start_gateway: GatewayFactory, seeded_staff: dict[str, uuid.UUID]
) -> None:
    settings = {
        "rate_limit_per_principal": "3/hour",
        "rate_limit_redis_url": os.environ["CAREPLANE_TEST_REDIS_URL"],
    }
    # seeded_staff gives the admin a new id every test: a count of its own in Redis.
    async with start_gateway(**settings) as one, start_gateway(**settings) as two:
        token = await password_token(one, "admin@example.com")
        statuses = [
            (await replica.get("/api/contracts/v1/me", headers=bearer(token))).status_code
            for replica in (one, two, one, two)
        ]

    assert statuses == [200, 200, 200, 429]


# -- bodies: authentication first, then the size -----------------------------------------------


async def chunks(total: int, size: int = 1024) -> AsyncIterator[bytes]:
    """A body without a Content-Length (chunked), ``total`` bytes of a JSON string."""
    yield b'{"name": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


async def test_a_body_is_not_read_before_the_token_is_verified(
    start_gateway: GatewayFactory, contracts_app: FastAPI
) -> None:
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(contracts_transport=transport) as client:
        broken = {"content": b"{not json", "headers": {"content-type": "application/json"}}
        answers = [
            await client.post("/api/contracts/v1/api-keys", **broken),  # type: ignore[arg-type]
            await client.post("/graphql", **broken),  # type: ignore[arg-type]
            await client.post(
                "/api/contracts/v1/api-keys",
                content=chunks(4096),
                headers={**bearer("x.y.z"), "content-type": "application/json"},
            ),
        ]

    # Without a token the service itself answers 401 before it parses the body; a bad
    # token, and GraphQL without one, never leave the gateway.
    error_of(answers[0], 401, "UNAUTHENTICATED")
    error_of(answers[1], 401, "UNAUTHENTICATED")
    error_of(answers[2], 401, "TOKEN_INVALID")
    assert [(r.method, r.url.path) for r in transport.requests] == [("POST", "/v1/api-keys")]


async def test_routes_a_service_keeps_open_take_a_body_without_a_token(
    start_gateway: GatewayFactory, contracts_app: FastAPI
) -> None:
    async with start_gateway() as client:
        response = await client.post(
            "/api/contracts/v1/contacts/invitations/no-such-invitation/accept",
            json={"password": "a long enough password"},
        )
    error_of(response, 404, "INVITATION_NOT_FOUND")


async def test_a_body_over_its_limit_is_413_by_length_or_while_streaming(
    start_gateway: GatewayFactory, contracts_app: FastAPI, admin_token: str
) -> None:
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    headers = {**bearer(admin_token), "content-type": "application/json"}
    big = b'{"name": "' + b"x" * 4096 + b'"}'
    async with start_gateway(
        contracts_transport=transport, max_body_bytes=2048, max_upload_bytes=8192
    ) as client:
        by_length = await client.post("/api/contracts/v1/api-keys", content=big, headers=headers)
        graphql = await client.post("/graphql", content=big, headers=headers)
        streamed = await client.post(
            "/api/contracts/v1/api-keys", content=chunks(4096), headers=headers
        )
        streamed_graphql = await client.post("/graphql", content=chunks(4096), headers=headers)
        small = await client.post(
            "/api/contracts/v1/api-keys", json={"name": "small enough"}, headers=headers
        )
        keys = await client.get("/api/contracts/v1/api-keys", headers=headers)

    for refused in (by_length, graphql, streamed, streamed_graphql):
        error = error_of(refused, 413, "PAYLOAD_TOO_LARGE")
        assert error["details"] == {"max_bytes": 2048}
    assert small.status_code == 201, small.text
    # The streamed body reached contracts only in part: nothing was created from it.
    names = [key["name"] for key in keys.json()["items"]]
    assert "small enough" in names
    assert not [name for name in names if name.startswith("xxx")]


async def test_uploads_have_their_own_limit(
    start_gateway: GatewayFactory, admin_token: str
) -> None:
    upload = f"/api/tickets/v1/tickets/{uuid.uuid4()}/attachments?filename=log.txt"
    headers = {**bearer(admin_token), "content-type": "text/plain"}
    async with start_gateway(max_body_bytes=2048, max_upload_bytes=8192) as client:
        fits = await client.post(upload, content=b"x" * 4096, headers=headers)
        too_big = await client.post(upload, content=b"x" * 8193, headers=headers)
        not_an_upload = await client.post(
            "/api/tickets/v1/tickets", content=b"x" * 4096, headers=headers
        )

    # Let through to tickets, which is not running here.
    error_of(fits, 503, "SERVICE_UNAVAILABLE")
    assert error_of(too_big, 413, "PAYLOAD_TOO_LARGE")["details"] == {"max_bytes": 8192}
    assert error_of(not_an_upload, 413, "PAYLOAD_TOO_LARGE")["details"] == {"max_bytes": 2048}


async def test_without_the_keys_to_verify_tokens_the_gateway_answers_503(
    start_gateway: GatewayFactory, unreachable_url: str, admin_token: str
) -> None:
    async with start_gateway(
        contracts_transport=None,
        contracts_url=unreachable_url,
        jwks_url=f"{unreachable_url}/.well-known/jwks.json",
    ) as client:
        response = await client.post("/graphql", json={"query": ME}, headers=bearer(admin_token))

    error_of(response, 503, "JWKS_UNAVAILABLE")


# -- the services' own paths -----------------------------------------------------------------

INTERNAL = [
    "metrics",
    "docs",
    "docs/oauth2-redirect",
    "redoc",
    "openapi.json",
    "healthz",
    "readyz",
    "/metrics",
    "./metrics",
    "v1/../metrics",
    "v1/..%2F..%2Fopenapi.json",
    "%6Detrics",
    "Docs",
]


async def test_the_services_own_paths_are_not_exposed(
    start_gateway: GatewayFactory, contracts_app: FastAPI
) -> None:
    transport = RecordingTransport.to(contracts_app, ignore={KEYS})
    async with start_gateway(contracts_transport=transport) as client:
        answers = {path: await client.get(f"/api/contracts/{path}") for path in INTERNAL}
        keys = await client.get("/api/contracts/.well-known/jwks.json")
        own_metrics = await client.get("/metrics")

    for path, response in answers.items():
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert transport.paths == []
    # The keys that verify tokens are no secret.
    assert keys.status_code == 200
    assert own_metrics.status_code == 200


def test_a_services_own_path_is_found_however_it_is_spelled() -> None:
    for path in ("metrics", "/metrics/", "./docs", "v1/../openapi.json", "a/b/../../readyz"):
        assert is_internal_path(path), path
    for path in ("v1/metrics", "v1/tickets/docs", ".well-known/jwks.json", "v1/me", ""):
        assert not is_internal_path(path), path


async def test_the_services_own_paths_when_exposed(
    start_gateway: GatewayFactory, contracts_app: FastAPI
) -> None:
    async with start_gateway(expose_service_docs=True) as client:
        openapi = await client.get("/api/contracts/openapi.json")
        health = await client.get("/api/contracts/healthz")

    assert openapi.status_code == 200
    assert openapi.json()["info"]["title"]
    assert health.json()["service"] == "contracts"
