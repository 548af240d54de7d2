"""The access model every service shares: principal kinds, API key scopes, and what a
request must pass before its body is read (a valid token, a size limit)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel

from careplane_shared.app import create_service_app
from careplane_shared.auth import (
    ANY_SCOPE,
    READS_ONLY,
    STAFF_ROLES,
    CurrentPrincipal,
    Principal,
    PrincipalKind,
    Role,
    require_roles,
)
from careplane_shared.pagination import MAX_OFFSET, PageParamsDep
from careplane_shared.settings import BaseServiceSettings
from careplane_shared.testing import TokenMinter, asgi_client

ACME = uuid.uuid4()


class Note(BaseModel):
    text: str


VendorSide = Annotated[
    Principal, Depends(require_roles(STAFF_ROLES, Role.INTEGRATION, Role.SERVICE))
]
CustomerAdmin = Annotated[Principal, Depends(require_roles(Role.CUSTOMER_ADMIN))]


def build_app(minter: TokenMinter) -> FastAPI:
    settings = BaseServiceSettings(env="test", max_body_bytes=4096, max_stream_bytes=16384)
    app = create_service_app(settings, title="t", description="d", scope_domain="tickets")
    app.state.token_verifier = minter.verifier()

    @app.get("/v1/things")
    async def things(principal: CurrentPrincipal, page: PageParamsDep) -> dict[str, object]:
        return {"kind": principal.kind.value, "offset": page.offset}

    @app.post("/v1/things")
    async def write_thing(principal: CurrentPrincipal, note: Note) -> dict[str, object]:
        return {"kind": principal.kind.value, "length": len(note.text)}

    @app.post("/v1/things/simulate", openapi_extra=READS_ONLY)
    async def simulate(principal: CurrentPrincipal, note: Note) -> dict[str, str]:
        return {"kind": principal.kind.value}

    @app.post("/v1/whoami", openapi_extra=ANY_SCOPE)
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"role": principal.effective_role.value}

    @app.post("/v1/vendor-only")
    async def vendor_only(principal: VendorSide) -> dict[str, str]:
        return {"kind": principal.kind.value}

    @app.post("/v1/admins-of-a-customer")
    async def admins(principal: CustomerAdmin) -> dict[str, str]:
        return {"kind": principal.kind.value}

    @app.post("/v1/upload")
    async def upload(_: CurrentPrincipal, request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    included = APIRouter(prefix="/v1/included")

    @included.post("/notes")
    async def included_note(principal: CurrentPrincipal, note: Note) -> dict[str, str]:
        return {"text": note.text}

    app.include_router(included)

    @app.post("/public/echo")
    async def public_echo(note: Note) -> dict[str, str]:
        return {"text": note.text}

    return app


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter()


@pytest.fixture
async def client(minter: TokenMinter) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(build_app(minter)) as client:
        yield client


def test_principal_kinds_and_what_they_count_as():
    cases = {
        (Role.AGENT, None): (PrincipalKind.STAFF, Role.AGENT, False),
        (Role.CONTACT, ACME): (PrincipalKind.CUSTOMER, Role.CONTACT, True),
        (Role.CUSTOMER_ADMIN, ACME): (PrincipalKind.CUSTOMER, Role.CUSTOMER_ADMIN, True),
        (Role.INTEGRATION, ACME): (
            PrincipalKind.CUSTOMER_INTEGRATION,
            Role.CUSTOMER_ADMIN,
            True,
        ),
        (Role.INTEGRATION, None): (PrincipalKind.VENDOR_INTEGRATION, Role.INTEGRATION, False),
        (Role.SERVICE, None): (PrincipalKind.SERVICE, Role.SERVICE, False),
    }
    for (role, customer), (kind, effective, is_customer) in cases.items():
        principal = Principal(subject="s", role=role, customer_id=customer)
        assert (principal.kind, principal.effective_role, principal.is_customer) == (
            kind,
            effective,
            is_customer,
        ), role
        assert principal.is_vendor_side is not is_customer
        # Inside a tenant: its own customer only; the vendor's side: every customer.
        assert principal.can_access_customer(ACME)
        assert principal.can_access_customer(uuid.uuid4()) is not is_customer
        assert principal.can_access_customer(None) is not is_customer


async def test_a_customer_bound_key_never_passes_a_vendor_check(client, minter):
    bound = minter.headers(Role.INTEGRATION, customer_id=ACME, scope="tickets:write")
    vendor = minter.headers(Role.INTEGRATION, scope="tickets:write")

    response = await client.post("/v1/vendor-only", headers=bound)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"
    assert (await client.post("/v1/vendor-only", headers=vendor)).json() == {
        "kind": "VENDOR_INTEGRATION"
    }
    # ...and counts as its customer's administrator where one is allowed.
    assert (await client.post("/v1/admins-of-a-customer", headers=bound)).json() == {
        "kind": "CUSTOMER_INTEGRATION"
    }
    assert (await client.post("/v1/admins-of-a-customer", headers=vendor)).status_code == 403


@pytest.mark.parametrize("customer", [None, ACME], ids=["vendor key", "customer key"])
async def test_integration_scopes_decide_reads_and_writes(client, minter, customer):
    def key(scope: str | None) -> dict[str, str]:
        claims = {"scope": scope} if scope is not None else {}
        return minter.headers(Role.INTEGRATION, customer_id=customer, **claims)

    note = {"text": "hello"}
    expectations = [
        # scopes, GET list, POST write, POST that only reads
        (None, 200, 403, 200),  # no scopes: read only
        ("tickets:read", 200, 403, 200),
        ("tickets:write", 200, 200, 200),  # write includes read
        ("contracts:write notify:write", 403, 403, 403),  # another service's scopes
    ]
    for scope, list_status, write_status, simulate_status in expectations:
        headers = key(scope)
        assert (await client.get("/v1/things", headers=headers)).status_code == list_status
        response = await client.post("/v1/things", json=note, headers=headers)
        assert response.status_code == write_status, scope
        if write_status == 403:
            assert response.json()["error"]["code"] == "SCOPE_FORBIDDEN"
            assert response.json()["error"]["details"]["required"] == "tickets:write"
        response = await client.post("/v1/things/simulate", json=note, headers=headers)
        assert response.status_code == simulate_status, scope
        # Who am I needs no scope at all.
        assert (await client.post("/v1/whoami", headers=headers)).status_code == 200


async def test_people_and_services_are_not_scope_checked(client, minter):
    for role, customer in [
        (Role.AGENT, None),
        (Role.CONTACT, ACME),
        (Role.SERVICE, None),
    ]:
        headers = minter.headers(role, customer_id=customer)
        response = await client.post("/v1/things", json={"text": "x"}, headers=headers)
        assert response.status_code == 200, role


async def test_a_body_is_not_parsed_before_the_token_is_checked(client, minter):
    # Broken JSON without a token: 401, not a 422 that confirms the route and its shape.
    for headers in [{}, {"Authorization": "Bearer not-a-token"}]:
        response = await client.post(
            "/v1/things",
            content=b"{not json",
            headers={"content-type": "application/json", **headers},
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] in {"UNAUTHENTICATED", "TOKEN_INVALID"}
        # The same for routes that come from an included router.
        response = await client.post(
            "/v1/included/notes",
            content=b"{not json",
            headers={"content-type": "application/json", **headers},
        )
        assert response.status_code == 401
    # A route open to everyone still parses (and refuses) the same body itself.
    response = await client.post(
        "/public/echo", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    # Signed in, the same broken body is a validation error.
    response = await client.post(
        "/v1/things",
        content=b"{not json",
        headers={"content-type": "application/json", **minter.headers(Role.AGENT)},
    )
    assert response.status_code == 422


async def test_bodies_over_the_limit_are_refused_by_length_and_while_streaming(client, minter):
    agent = minter.headers(Role.AGENT)
    big = {"text": "x" * 5000}
    response = await client.post("/v1/things", json=big, headers=agent)
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": "The request body is too large.",
        "request_id": response.headers["x-request-id"],
        "details": {"max_bytes": 4096},
    }

    async def chunks(total: int) -> AsyncIterator[bytes]:
        sent = 0
        while sent < total:
            sent += 1000
            yield b"x" * 1000

    # No Content-Length (chunked): refused once the bytes pass the limit.
    response = await client.post(
        "/v1/things",
        content=chunks(6000),
        headers={"content-type": "application/json", **agent},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"

    # A route that streams its body gets the larger stream limit.
    response = await client.post("/v1/upload", content=chunks(10_000), headers=agent)
    assert response.json() == {"size": 10_000}
    response = await client.post("/v1/upload", content=chunks(20_000), headers=agent)
    assert response.status_code == 413
    assert response.json()["error"]["details"] == {"max_bytes": 16384}
    # Within the limit, a body passes untouched.
    response = await client.post("/v1/things", json={"text": "y" * 3000}, headers=agent)
    assert response.json() == {"kind": "STAFF", "length": 3000}


async def test_offsets_are_bounded(client, minter):
    agent = minter.headers(Role.AGENT)
    response = await client.get("/v1/things", params={"offset": MAX_OFFSET}, headers=agent)
    assert response.json()["offset"] == MAX_OFFSET
    for offset in (MAX_OFFSET + 1, 2**63, 10**30):
        response = await client.get("/v1/things", params={"offset": offset}, headers=agent)
        assert response.status_code == 422, offset
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_paths_carrying_a_token_are_logged_as_their_route():
    from careplane_shared.observability import _loggable_path

    template = "/v1/contacts/invitations/{token}/accept"
    secret = {"path": "/v1/contacts/invitations/s3cret/accept", "path_params": {"token": "s3cret"}}
    assert _loggable_path(secret, template) == template
    plain = {"path": "/v1/tickets/42", "path_params": {"ticket_id": "42"}}
    assert _loggable_path(plain, "/v1/tickets/{ticket_id}") == "/v1/tickets/42"


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN, Role.SERVICE])
async def test_a_vendor_side_token_that_names_a_customer_is_refused(client, minter, role):
    response = await client.get("/v1/things", headers=minter.headers(role, customer_id=ACME))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"
