"""Token verification and the role and tenant dependencies every service uses.

Tokens are short-lived JWTs signed with EdDSA by contracts (or by an external OIDC
provider: issuer, audience and JWKS URL are configuration). Each service verifies
them itself against a cached JWKS; nothing is trusted from a header but the token.

One module on purpose, although it passes 400 lines: who a caller is (the principal and
its kinds), how a token proves it, and the dependencies that enforce roles, scopes and
tenancy are one rule read together by every service; splitting them would spread the
tenant wall over several files.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from careplane_shared.errors import Forbidden, NotFound, ServiceUnavailable, Unauthenticated
from careplane_shared.verified_tokens import VerifiedToken, VerifiedTokens


class Role(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    AGENT = "AGENT"
    CUSTOMER_ADMIN = "CUSTOMER_ADMIN"
    CONTACT = "CONTACT"
    INTEGRATION = "INTEGRATION"
    SERVICE = "SERVICE"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
CUSTOMER_ROLES = frozenset({Role.CUSTOMER_ADMIN, Role.CONTACT})
ALGORITHMS = ["EdDSA"]


class PrincipalKind(StrEnum):
    """What kind of caller a token stands for; every access rule starts from this.

    - ``STAFF``: the vendor's support staff (ADMIN, MANAGER, AGENT).
    - ``CUSTOMER``: a person of a customer (CUSTOMER_ADMIN or CONTACT), inside its tenant.
    - ``CUSTOMER_INTEGRATION``: an API key bound to one customer (minted by its
      administrator, or by staff for it). It acts with at most that customer's
      administrator rights, inside that tenant, and never as staff or as the vendor.
    - ``VENDOR_INTEGRATION``: the vendor's own integration key, bound to no customer
      (CRM sync, phone and mail intake): sees every customer, may set intake facts.
    - ``SERVICE``: Careplane's own pieces calling one another.
    """

    STAFF = "STAFF"
    CUSTOMER = "CUSTOMER"
    CUSTOMER_INTEGRATION = "CUSTOMER_INTEGRATION"
    VENDOR_INTEGRATION = "VENDOR_INTEGRATION"
    SERVICE = "SERVICE"


class Scope(StrEnum):
    """What an integration key may do, per service: ``write`` includes ``read``.
    An integration key without scopes may only read; service accounts are not scope-checked."""

    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    CONTRACTS_READ = "contracts:read"
    CONTRACTS_WRITE = "contracts:write"
    NOTIFY_READ = "notify:read"
    NOTIFY_WRITE = "notify:write"
    INBOUND_WRITE = "inbound:write"
    DEVELOPMENT_WRITE = "development:write"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the verified claims of the bearer token."""

    subject: str
    role: Role
    customer_id: uuid.UUID | None = None
    email: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    token: str = field(default="", repr=False)
    expires_at: datetime | None = None

    @property
    def kind(self) -> PrincipalKind:
        if self.role in STAFF_ROLES:
            return PrincipalKind.STAFF
        if self.role in CUSTOMER_ROLES:
            return PrincipalKind.CUSTOMER
        if self.role is Role.INTEGRATION:
            if self.customer_id is not None:
                return PrincipalKind.CUSTOMER_INTEGRATION
            return PrincipalKind.VENDOR_INTEGRATION
        return PrincipalKind.SERVICE

    @property
    def effective_role(self) -> Role:
        """The role access rules see: a customer-bound integration is its customer's
        administrator at most (scopes may narrow it further), never an integration."""
        if self.kind is PrincipalKind.CUSTOMER_INTEGRATION:
            return Role.CUSTOMER_ADMIN
        return self.role

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_customer(self) -> bool:
        """Inside one customer's tenant: its people and the integration keys bound to it."""
        return self.kind in (PrincipalKind.CUSTOMER, PrincipalKind.CUSTOMER_INTEGRATION)

    @property
    def is_customer_admin(self) -> bool:
        return self.effective_role is Role.CUSTOMER_ADMIN

    @property
    def is_vendor_integration(self) -> bool:
        return self.kind is PrincipalKind.VENDOR_INTEGRATION

    @property
    def is_vendor_side(self) -> bool:
        """Staff, the vendor's own integrations and services: may see every customer and
        set intake facts (when a call or mail arrived, by which channel)."""
        return not self.is_customer

    @property
    def is_human(self) -> bool:
        return self.kind in (PrincipalKind.STAFF, PrincipalKind.CUSTOMER)

    @property
    def is_service(self) -> bool:
        return self.role is Role.SERVICE

    def can_access_customer(self, customer_id: uuid.UUID | None) -> bool:
        """The vendor's side sees every customer; a customer's principals only their own."""
        if not self.is_customer:
            return True
        return customer_id is not None and customer_id == self.customer_id

    def ensure_customer_access(self, customer_id: uuid.UUID | None) -> None:
        if not self.can_access_customer(customer_id):
            # 404, not 403: another customer's records must not even be confirmed to exist.
            raise NotFound()


class KeySource:
    """Where verification keys come from."""

    async def key_for(self, kid: str | None) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class StaticKeySource(KeySource):
    """Keys known in-process (contracts verifying its own tokens, tests)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = {k.get("kid"): jwt.PyJWK(k) for k in jwks["keys"]}

    async def key_for(self, kid: str | None) -> Any:
        key = self._keys.get(kid) or (next(iter(self._keys.values())) if kid is None else None)
        if key is None:
            raise Unauthenticated("The token was signed with an unknown key.", code="TOKEN_INVALID")
        return key


class RemoteJWKS(KeySource):
    """A JWKS fetched over HTTP and cached; an unknown kid refetches it (at most every 5 s)."""

    def __init__(self, url: str, client: httpx.AsyncClient, cache_seconds: int = 300) -> None:
        self._url = url
        self._client = client
        self._cache_seconds = cache_seconds
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and (age < 5 or (not force and age < self._cache_seconds)):
                return
            try:
                response = await self._client.get(self._url)
                response.raise_for_status()
                jwks = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                if self._keys:
                    return  # keep serving the keys we have
                raise ServiceUnavailable(
                    "The token keys could not be fetched.", code="JWKS_UNAVAILABLE"
                ) from exc
            self._keys = {k.get("kid"): jwt.PyJWK(k) for k in jwks.get("keys", [])}
            self._fetched_at = time.monotonic()

    async def key_for(self, kid: str | None) -> Any:
        expired = time.monotonic() - self._fetched_at >= self._cache_seconds
        if not self._keys or expired:
            await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("The token was signed with an unknown key.", code="TOKEN_INVALID")
        return key


class TokenVerifier:
    """Verifies bearer tokens; a token verified once is remembered until its ``exp``
    (``careplane_shared.verified_tokens``, at most ``cache_size`` of them; 0: none).

    A remembered token is accepted only while the key that verified it is still the one
    its key source holds for its ``kid`` (a key withdrawn from the JWKS refuses its tokens
    as soon as the JWKS is read again) and never past its ``exp``; after that it is
    verified afresh, the leeway applying as before. Nothing else revokes a token before
    its ``exp``: deactivated accounts and revoked API keys are checked where they matter
    (contracts' viewer, live streams), never by this verifier."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        role_claim: str = "role",
        customer_claim: str = "customer_id",
        leeway_seconds: int = 30,
        cache_size: int = 4096,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.role_claim = role_claim
        self.customer_claim = customer_claim
        self.leeway = leeway_seconds
        self._verified = VerifiedTokens(cache_size)

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            if await self.keys.key_for(remembered.kid) is remembered.key:
                return remembered.principal
            self._verified.forget(token)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The bearer token is malformed.", code="TOKEN_INVALID") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated("The token's algorithm is not accepted.", code="TOKEN_INVALID")
        kid = header.get("kid")
        key = await self.keys.key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The bearer token has expired.", code="TOKEN_EXPIRED") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The bearer token is not valid.", code="TOKEN_INVALID") from exc
        principal = principal_from_claims(claims, token, self.role_claim, self.customer_claim)
        self._verified.remember(token, VerifiedToken(principal, kid, key, float(claims["exp"])))
        return principal


def principal_from_claims(
    claims: dict[str, Any],
    token: str,
    role_claim: str = "role",
    customer_claim: str = "customer_id",
) -> Principal:
    try:
        role = Role(str(claims.get(role_claim, "")).upper())
        raw_customer = claims.get(customer_claim)
        customer_id = uuid.UUID(str(raw_customer)) if raw_customer else None
    except ValueError as exc:
        raise Unauthenticated("The token's claims are not valid.", code="TOKEN_INVALID") from exc
    if role in CUSTOMER_ROLES and customer_id is None:
        raise Unauthenticated("A customer token must name its customer.", code="TOKEN_INVALID")
    if customer_id is not None and role not in CUSTOMER_ROLES and role is not Role.INTEGRATION:
        # Staff and services act for the vendor: a token that would confine them to one
        # customer is not one we issue, and the services must not read it two ways.
        raise Unauthenticated(
            "Only a customer's people and API keys name a customer.", code="TOKEN_INVALID"
        )
    scope = claims.get("scope") or ""
    expires = claims.get("exp")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        customer_id=customer_id,
        email=claims.get("email"),
        scopes=frozenset(str(scope).split()),
        token=token,
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
    )


_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token.")


# A route that only reads although it is a POST (a validation, a simulation) says so with
# ``openapi_extra=READS_ONLY``: integration keys with a read scope may call it.
# ``ANY_SCOPE`` marks the few routes any signed-in caller may use whatever its scopes
# (who am I).
READS_ONLY: dict[str, Any] = {"x-careplane-access": "read"}
ANY_SCOPE: dict[str, Any] = {"x-careplane-access": "any"}
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _route_access(request: Request) -> str | None:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    access = extra.get("x-careplane-access")
    return access if isinstance(access, str) else None


def route_reads_only(request: Request) -> bool:
    return request.method in _READ_METHODS or _route_access(request) == "read"


def ensure_scope(principal: Principal, domain: str | None, *, reads_only: bool) -> None:
    """Integration keys act only within their scopes: ``{domain}:write`` for changes,
    ``{domain}:read`` or ``:write`` for reads; a key without scopes may only read."""
    if principal.kind not in (PrincipalKind.CUSTOMER_INTEGRATION, PrincipalKind.VENDOR_INTEGRATION):
        return
    if domain is None:
        return
    write = f"{domain}:write"
    if reads_only:
        if (
            not principal.scopes
            or write in principal.scopes
            or f"{domain}:read" in principal.scopes
        ):
            return
        needed = f"{domain}:read"
    else:
        if write in principal.scopes:
            return
        needed = write
    raise Forbidden(
        "This API key's scopes do not allow this.",
        code="SCOPE_FORBIDDEN",
        details={"required": needed, "scopes": sorted(principal.scopes)},
    )


async def authenticate(request: Request) -> Principal:
    """The verified caller of this request, verified once and kept on the request."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(token.strip())
    request.state.principal = principal
    return principal


async def current_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    principal = await authenticate(request)
    if _route_access(request) != "any":
        ensure_scope(
            principal,
            getattr(request.app.state, "scope_domain", None),
            reads_only=route_reads_only(request),
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role | Iterable[Role]) -> Callable[..., Any]:
    """A dependency that lets only the given roles through (403 otherwise)."""
    allowed: set[Role] = set()
    for role in roles:
        if isinstance(role, Role):
            allowed.add(role)
        else:
            allowed.update(role)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.effective_role not in allowed:
            raise Forbidden(
                "Your role may not do this.",
                code="ROLE_FORBIDDEN",
                details={"role": principal.role.value, "allowed": sorted(r.value for r in allowed)},
            )
        return principal

    return dependency


StaffPrincipal = Annotated[Principal, Depends(require_roles(STAFF_ROLES))]
ServicePrincipal = Annotated[Principal, Depends(require_roles(Role.SERVICE))]
