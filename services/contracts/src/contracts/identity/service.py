"""Who may sign in, with what role, and the API keys integrations use."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, Role, Scope
from contracts.config import ContractsSettings
from contracts.customers.service import get_customer
from contracts.identity import repository
from contracts.identity.exceptions import (
    AccountInactive,
    ApiKeyLimitReached,
    ApiKeyNotFound,
    ApiKeyScopeUnknown,
    CustomerKeyRoleForbidden,
    InvalidClient,
    InvalidGrant,
    KeyTenantForbidden,
    ServiceKeyBoundToCustomer,
    ServiceKeyRoleForbidden,
    ServiceKeyScoped,
)
from contracts.identity.schemas import ApiKeyCreate, ApiKeyRole, TokenResponse, Viewer
from contracts.identity.secrets import (
    hash_secret,
    new_client_id,
    new_client_secret,
    secret_matches,
    verify_password,
)
from contracts.identity.signing import SigningKey, access_token_claims
from contracts.models import ApiKey, Customer, StaffUser


def _issue(
    settings: ContractsSettings,
    key: SigningKey,
    *,
    subject: str,
    role: str,
    customer_id: uuid.UUID | None,
    email: str | None,
    scopes: Sequence[str] = (),
) -> TokenResponse:
    claims = access_token_claims(
        settings,
        subject=subject,
        role=role,
        customer_id=customer_id,
        email=email,
        scopes=list(scopes),
    )
    return TokenResponse(
        access_token=key.sign(claims), expires_in=settings.access_token_ttl_seconds
    )


async def password_grant(
    session: AsyncSession,
    settings: ContractsSettings,
    key: SigningKey,
    *,
    username: str,
    password: str,
) -> TokenResponse:
    staff = await repository.staff_by_email(session, username)
    if staff is not None:
        if not (await verify_password(staff.password_hash, password)) or not staff.active:
            raise InvalidGrant()
        return _issue(
            settings,
            key,
            subject=str(staff.id),
            role=staff.role,
            customer_id=None,
            email=staff.email,
        )
    found = await repository.contact_by_email(session, username)
    contact = found[0] if found else None
    if not await verify_password(contact.password_hash if contact else None, password):
        raise InvalidGrant()
    assert contact is not None
    if not contact.active:
        raise InvalidGrant()
    role = Role.CUSTOMER_ADMIN if contact.is_admin else Role.CONTACT
    return _issue(
        settings,
        key,
        subject=str(contact.id),
        role=role.value,
        customer_id=contact.customer_id,
        email=contact.email,
    )


async def client_credentials_grant(
    session: AsyncSession,
    settings: ContractsSettings,
    key: SigningKey,
    *,
    client_id: str,
    client_secret: str,
) -> TokenResponse:
    api_key = await repository.api_key_by_client_id(session, client_id)
    if api_key is None or api_key.revoked_at is not None:
        raise InvalidClient()
    if not secret_matches(api_key.secret_hash, client_secret):
        raise InvalidClient()
    await repository.touch_api_key(session, api_key.id)
    return _issue(
        settings,
        key,
        subject=api_key.client_id,
        role=api_key.role,
        customer_id=api_key.customer_id,
        email=None,
        scopes=api_key.scopes,
    )


async def viewer(session: AsyncSession, principal: Principal) -> Viewer:
    """The caller as the gateway's ``me`` shows it. A deactivated staff user or contact,
    a revoked API key or an account that no longer exists answers 401 ACCOUNT_INACTIVE
    (live streams re-check this to end)."""
    if principal.role in (Role.INTEGRATION, Role.SERVICE):
        api_key = await repository.api_key_by_client_id(session, principal.subject)
        if api_key is None or api_key.revoked_at is not None:
            raise AccountInactive()
        return Viewer(
            id=str(api_key.id),
            email=principal.email or principal.subject,
            name=api_key.name,
            role=principal.role.value,
            customer_id=principal.customer_id,
        )
    try:
        subject = uuid.UUID(principal.subject)
    except ValueError as exc:
        raise AccountInactive() from exc
    if principal.is_staff:
        staff = await repository.staff_by_id(session, subject)
        if staff is None or not staff.active:
            raise AccountInactive()
        return Viewer(id=str(staff.id), email=staff.email, name=staff.name, role=staff.role)
    contact = await repository.contact_by_id(session, subject)
    if (
        contact is None
        or not contact.active
        or contact.pending
        or contact.customer_id != principal.customer_id
    ):
        raise AccountInactive()
    return Viewer(
        id=str(contact.id),
        email=contact.email,
        name=contact.name,
        role=principal.role.value,
        customer_id=contact.customer_id,
    )


KNOWN_SCOPES = frozenset(s.value for s in Scope)


def _check_scopes(scopes: Sequence[str]) -> list[str]:
    unknown = sorted(set(scopes) - KNOWN_SCOPES)
    if unknown:
        raise ApiKeyScopeUnknown(unknown, sorted(KNOWN_SCOPES))
    return sorted(set(scopes))


def _sees_key(principal: Principal, api_key: ApiKey) -> bool:
    """Customer administrators see their own customer's keys; managers every integration
    key; only administrators the service accounts' keys."""
    if not principal.can_access_customer(api_key.customer_id):
        return False
    if api_key.role == ApiKeyRole.SERVICE.value:
        return principal.role is Role.ADMIN
    return True


async def _ensure_key_room(session: AsyncSession, customer_id: uuid.UUID, limit: int) -> None:
    """A customer holds at most ``limit`` active keys: each key is a principal of its own,
    with limits of its own. The customer's row lock makes concurrent creations queue."""
    await session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
    active = await session.scalar(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.customer_id == customer_id, ApiKey.revoked_at.is_(None))
    )
    if (active or 0) >= limit:
        raise ApiKeyLimitReached(limit)


async def create_api_key(
    session: AsyncSession, principal: Principal, data: ApiKeyCreate, *, max_per_customer: int
) -> tuple[ApiKey, str]:
    scopes = _check_scopes(data.scopes)
    customer_id = data.customer_id
    if principal.is_customer:
        # A customer administrator creates integration keys for its own customer only.
        if data.role is not ApiKeyRole.INTEGRATION:
            raise CustomerKeyRoleForbidden()
        if customer_id is not None and customer_id != principal.customer_id:
            raise KeyTenantForbidden()
        customer_id = principal.customer_id
    elif data.role is ApiKeyRole.SERVICE and principal.role is not Role.ADMIN:
        raise ServiceKeyRoleForbidden()
    if data.role is ApiKeyRole.SERVICE and customer_id is not None:
        raise ServiceKeyBoundToCustomer()
    if data.role is ApiKeyRole.SERVICE and scopes:
        raise ServiceKeyScoped()
    if customer_id is not None:
        # Staff binding a key to a customer: it must exist (it becomes that customer's
        # integration, acting as its administrator at most).
        await get_customer(session, principal, customer_id)
        await _ensure_key_room(session, customer_id, max_per_customer)
    secret = new_client_secret()
    api_key = ApiKey(
        id=uuid.uuid4(),
        client_id=new_client_id(),
        name=data.name,
        role=data.role.value,
        scopes=scopes,
        customer_id=customer_id,
        secret_hash=hash_secret(secret),
        created_by=principal.email or principal.subject,
        created_at=datetime.now(UTC),
    )
    session.add(api_key)
    await session.flush()
    return api_key, secret


async def list_api_keys(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> tuple[Sequence[ApiKey], int]:
    customer_id = principal.customer_id if principal.is_customer else None
    return await repository.list_api_keys(
        session,
        customer_id=customer_id,
        include_service=principal.role is Role.ADMIN,
        limit=limit,
        offset=offset,
    )


async def list_staff(
    session: AsyncSession, *, ids: Sequence[uuid.UUID], role: str | None, limit: int, offset: int
) -> tuple[Sequence[StaffUser], int]:
    """Support staff, to show and pick assignees (any staff member sees them all)."""
    return await repository.list_staff(session, ids=ids, role=role, limit=limit, offset=offset)


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> None:
    api_key = await repository.api_key_by_id(session, key_id)
    if api_key is None or not _sees_key(principal, api_key):
        raise ApiKeyNotFound()
    if api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
        await session.flush()


async def sync_service_clients(session: AsyncSession, settings: ContractsSettings) -> None:
    """Makes the configured service accounts exist with their current secrets."""
    for client_id, secret in settings.service_clients.items():
        await repository.upsert_service_client(
            session, client_id=client_id, secret_hash=hash_secret(secret)
        )
