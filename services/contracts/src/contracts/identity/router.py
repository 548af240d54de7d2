from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response, status

from careplane_shared.auth import (
    ANY_SCOPE,
    CurrentPrincipal,
    Principal,
    Role,
    StaffPrincipal,
    require_roles,
)
from careplane_shared.db import DbSession, get_database
from careplane_shared.pagination import Page, PageParamsDep
from contracts.client_address import client_address
from contracts.config import ContractsSettings
from contracts.identity import limits, service
from contracts.identity.exceptions import (
    InvalidClient,
    InvalidGrant,
    KeyManagerNotHuman,
    UnsupportedGrantType,
)
from contracts.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    GrantType,
    StaffUserRead,
    TokenResponse,
    Viewer,
)
from contracts.identity.signing import SigningKey

router = APIRouter()

_key_roles = require_roles(Role.ADMIN, Role.MANAGER, Role.CUSTOMER_ADMIN)


async def _key_manager(principal: Annotated[Principal, Depends(_key_roles)]) -> Principal:
    """API keys are managed by people: a key cannot mint, list or revoke keys (a
    customer-bound key counts as its customer's administrator everywhere else)."""
    if not principal.is_human:
        raise KeyManagerNotHuman()
    return principal


KeyManager = Annotated[Principal, Depends(_key_manager)]

SCOPES_DOC = """
**Scopes** (`scopes`, checked by every service on every call of the key's tokens):
`tickets:read`, `tickets:write`, `contracts:read`, `contracts:write`, `notify:read`,
`notify:write`, `inbound:write`, `development:write` (the development tracker reporting
fixes to tickets). `write` includes `read` of the same service; a key with
no scopes may only read (GET routes and the few POST routes that only read); any other
scope is a 422 `API_KEY_SCOPE_UNKNOWN`. Service keys take no scopes (services are not
scope-checked).

**Kinds of key**: a key created by a customer administrator is always bound to that
customer; staff may bind a key to a customer with `customer_id`. Either way it is that
customer's integration: it acts with at most its administrator's rights, inside that
customer, and never as staff or as the vendor. A key bound to no customer is the vendor's
own integration (CRM sync, intake) and sees every customer. Only administrators create,
see and revoke SERVICE keys.
"""


def _settings(request: Request) -> ContractsSettings:
    settings: ContractsSettings = request.app.state.settings
    return settings


def _signing_key(request: Request) -> SigningKey:
    key: SigningKey = request.app.state.signing_key
    return key


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8 underneath
        return None
    return client_id, secret


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    tags=["auth"],
    summary="Get an access token (OAuth2 password or client_credentials grant).",
)
async def token(
    request: Request,
    session: DbSession,
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
) -> TokenResponse:
    """Form-encoded, as OAuth2 clients send it. `password`: `username` is the email of a
    staff user or a customer contact. `client_credentials`: `client_id` and `client_secret`
    of an API key, in the form or as HTTP Basic. Tokens are EdDSA-signed JWTs, short-lived;
    verify them against `/.well-known/jwks.json`.

    Attempts are limited per account from one address (password grant), per account from
    every address (password grant; an address that signed in to the account before is
    exempt, so an attack elsewhere never locks its owner out), and per caller address (both
    grants; an IPv6 address counts as its /64), shared by every replica: past a limit, 429
    `TOO_MANY_ATTEMPTS` with `Retry-After` until the lockout ends (it grows with repeated
    lockouts, up to a cap). Each attempt is counted before its password is checked, so
    parallel guesses get no more tries than sequential ones; a success takes it back. The
    caller's address is `X-Forwarded-For`'s only behind a trusted proxy."""
    settings, key = _settings(request), _signing_key(request)
    if grant_type == GrantType.PASSWORD:
        if not username or not password:
            raise InvalidGrant("username and password are required.")
        account: str | None = username
    elif grant_type == GrantType.CLIENT_CREDENTIALS:
        if not client_id or client_secret is None:
            basic = _basic_credentials(request)
            if basic is None:
                raise InvalidClient("client_id and client_secret are required.")
            client_id, client_secret = basic
        account = None  # per address only (see limits.limits_for)
    else:
        raise UnsupportedGrantType()

    # Counted (and committed) before any hashing: a refused attempt costs no argon2 work,
    # and a failure stays counted whatever happens next.
    attempt = await limits.admit(
        get_database(request).sessionmaker,
        settings,
        account=account,
        address=client_address(request, settings.trusted_proxies),
    )
    if grant_type == GrantType.PASSWORD:
        assert username is not None and password is not None
        answer = await service.password_grant(
            session, settings, key, username=username, password=password
        )
    else:
        assert client_id is not None and client_secret is not None
        answer = await service.client_credentials_grant(
            session, settings, key, client_id=client_id, client_secret=client_secret
        )
    await limits.record_success(session, attempt)
    return answer


@router.get("/.well-known/jwks.json", tags=["auth"], summary="Public keys that verify our tokens.")
async def jwks(request: Request, response: Response) -> dict[str, Any]:
    response.headers["cache-control"] = "public, max-age=300"
    return _signing_key(request).jwks


@router.get(
    "/v1/me",
    response_model=Viewer,
    tags=["auth"],
    summary="The signed-in caller.",
    openapi_extra=ANY_SCOPE,
)
async def me(session: DbSession, principal: CurrentPrincipal) -> Viewer:
    """Staff user, customer contact, integration or service account behind the token."""
    return await service.viewer(session, principal)


@router.post(
    "/v1/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["api keys"],
    summary="Create an API key; its secret is shown only in this answer.",
    description=(
        "Administrators and managers create integration keys (administrators also service "
        "keys); a customer administrator creates integration keys bound to its own customer. "
        "Only a person signed in may create keys (403 `HUMAN_REQUIRED` for an API key's "
        "token). A customer holds at most `CONTRACTS_MAX_API_KEYS_PER_CUSTOMER` active "
        "(unrevoked) keys: past that, 409 `API_KEY_LIMIT_REACHED` until one is revoked.\n"
        + SCOPES_DOC
    ),
)
async def create_api_key(
    request: Request, session: DbSession, principal: KeyManager, body: ApiKeyCreate
) -> ApiKeyCreated:
    api_key, secret = await service.create_api_key(
        session, principal, body, max_per_customer=_settings(request).max_api_keys_per_customer
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(api_key).model_dump(), client_secret=secret)


@router.get(
    "/v1/api-keys",
    response_model=Page[ApiKeyRead],
    tags=["api keys"],
    summary="List API keys.",
    description=(
        "Newest first. A customer administrator sees its own customer's keys only, a manager "
        "every integration key, an administrator also the service accounts' keys.\n" + SCOPES_DOC
    ),
)
async def list_api_keys(
    session: DbSession, principal: KeyManager, page: PageParamsDep
) -> Page[ApiKeyRead]:
    items, total = await service.list_api_keys(
        session, principal, limit=page.limit, offset=page.offset
    )
    return page.of([ApiKeyRead.model_validate(k) for k in items], total)


@router.delete(
    "/v1/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["api keys"],
    summary="Revoke an API key.",
    description=(
        "Tokens already issued for the key stay valid until they expire (minutes), but "
        "`GET /v1/me` answers 401 `ACCOUNT_INACTIVE` for them at once. A key the caller may "
        "not see (another customer's, or a service key for a manager) is a 404.\n" + SCOPES_DOC
    ),
)
async def revoke_api_key(session: DbSession, principal: KeyManager, key_id: uuid.UUID) -> Response:
    await service.revoke_api_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/staff-users",
    response_model=Page[StaffUserRead],
    tags=["staff"],
    summary="Support staff (to show and pick assignees).",
)
async def list_staff(
    session: DbSession,
    _: StaffPrincipal,
    page: PageParamsDep,
    id: Annotated[list[uuid.UUID] | None, Query(max_length=100, description="Only these.")] = None,
    role: Annotated[str | None, Query(pattern="^(ADMIN|MANAGER|AGENT)$")] = None,
) -> Page[StaffUserRead]:
    items, total = await service.list_staff(
        session, ids=id or [], role=role, limit=page.limit, offset=page.offset
    )
    return page.of([StaffUserRead.model_validate(s) for s in items], total)
