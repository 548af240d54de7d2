"""License keys: issued per customer, product and major version, signed with Ed25519 so
an installation verifies them offline; validated, suspended, revoked and reissued here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from contracts.agreements.exceptions import AgreementNotOfCustomer
from contracts.config import ContractsSettings
from contracts.customers.service import get_customer
from contracts.keyfiles import load_ed25519_key
from contracts.licensing.exceptions import (
    KeyExpiryInPast,
    LicenseKeyNotFound,
    LicenseKeyStatusTransition,
    RevokedKeyNotReissued,
    VersionUnknown,
)
from contracts.licensing.keys import KeyFormatError, LicensePayload, sign_key, verify_key
from contracts.licensing.schemas import (
    KeyStatus,
    LicenseKeyIssue,
    ValidateRequest,
    ValidateResponse,
    ValidationCode,
)
from contracts.models import Agreement, LicenseKey, MajorVersion
from contracts.products.service import get_product, parse_major


def load_license_signing_key(settings: ContractsSettings) -> Ed25519PrivateKey:
    """A key of its own, apart from the token key: rotating one never touches the other."""
    return load_ed25519_key(
        settings.license_private_key,
        settings.license_private_key_file,
        may_generate=settings.is_dev,
        setting="CONTRACTS_LICENSE_PRIVATE_KEY",
    )


def public_key_pem(private_key: Ed25519PrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _event(key: LicenseKey, **extra: Any) -> dict[str, Any]:
    return {
        "license_key_id": str(key.id),
        "customer_id": str(key.customer_id),
        "product_id": str(key.product_id),
        "major_version": key.major_version,
        "status": key.status,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        **extra,
    }


async def _expiry(
    session: AsyncSession, data: LicenseKeyIssue
) -> tuple[datetime | None, uuid.UUID | None]:
    if data.agreement_id is None:
        return data.expires_at, None
    agreement = await session.get(Agreement, data.agreement_id)
    if agreement is None or agreement.customer_id != data.customer_id:
        raise AgreementNotOfCustomer()
    # Valid through the agreement's last day, to its end in UTC.
    end = datetime.combine(agreement.ends_on + timedelta(days=1), time.min, tzinfo=UTC)
    return end, agreement.id


async def issue(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    signing_key: Ed25519PrivateKey,
    data: LicenseKeyIssue,
    *,
    replaces: LicenseKey | None = None,
) -> LicenseKey:
    await get_customer(session, principal, data.customer_id)
    await get_product(session, data.product_id)
    known_major = await session.scalar(
        select(MajorVersion.id).where(
            MajorVersion.product_id == data.product_id, MajorVersion.major == data.major_version
        )
    )
    if known_major is None:
        raise VersionUnknown()
    expires_at, agreement_id = await _expiry(session, data)
    issued_at = datetime.now(UTC).replace(microsecond=0)
    if expires_at is not None and expires_at <= issued_at:
        raise KeyExpiryInPast()
    license_id = uuid.uuid4()
    payload = LicensePayload(
        license_id=license_id,
        customer_id=data.customer_id,
        product_id=data.product_id,
        major_version=data.major_version,
        issued_at=issued_at,
        expires_at=expires_at,
    )
    key = LicenseKey(
        id=license_id,
        customer_id=data.customer_id,
        product_id=data.product_id,
        major_version=data.major_version,
        agreement_id=agreement_id,
        key=sign_key(payload, signing_key),
        status=KeyStatus.ACTIVE.value,
        issued_at=issued_at,
        expires_at=expires_at,
        replaces_id=replaces.id if replaces else None,
        request_ticket_id=data.request_ticket_id,
    )
    session.add(key)
    await session.flush()
    event = "license_key.reissued" if replaces else "license_key.issued"
    extra = {"replaces_id": str(replaces.id)} if replaces else {}
    if data.request_ticket_id:
        extra["request_ticket_id"] = str(data.request_ticket_id)
    await outbox.emit(session, event, _event(key, **extra), subject=str(key.customer_id))
    return key


async def renew_bound_keys(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    signing_key: Ed25519PrivateKey,
    previous_agreement_id: uuid.UUID,
    next_agreement_id: uuid.UUID,
) -> list[LicenseKey]:
    """A renewal issues each active key of the previous year again for the next one
    (``license_key.reissued``); the old key stays valid to the end of its own year."""
    bound = (
        await session.scalars(
            select(LicenseKey).where(
                LicenseKey.agreement_id == previous_agreement_id, LicenseKey.status == "active"
            )
        )
    ).all()
    renewed = []
    for key in bound:
        data = LicenseKeyIssue(
            customer_id=key.customer_id,
            product_id=key.product_id,
            major_version=key.major_version,
            agreement_id=next_agreement_id,
        )
        renewed.append(await issue(session, outbox, principal, signing_key, data, replaces=key))
    return renewed


async def get_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> LicenseKey:
    key = await session.get(LicenseKey, key_id)
    if key is None or not principal.can_access_customer(key.customer_id):
        raise LicenseKeyNotFound()
    return key


async def list_keys(
    session: AsyncSession,
    principal: Principal,
    *,
    customer_ids: Sequence[uuid.UUID] | None,
    product_id: uuid.UUID | None,
    status: KeyStatus | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[LicenseKey], int]:
    query = select(LicenseKey)
    if principal.customer_id is not None:
        query = query.where(LicenseKey.customer_id == principal.customer_id)
    if customer_ids:
        query = query.where(LicenseKey.customer_id.in_(customer_ids))
    if product_id is not None:
        query = query.where(LicenseKey.product_id == product_id)
    if status is not None:
        query = query.where(LicenseKey.status == status.value)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(LicenseKey.issued_at.desc(), LicenseKey.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total


_TRANSITIONS = {
    "suspend": ({"active"}, "suspended", "license_key.suspended"),
    "resume": ({"suspended"}, "active", "license_key.resumed"),
    "revoke": ({"active", "suspended"}, "revoked", "license_key.revoked"),
}


async def change_status(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    key_id: uuid.UUID,
    action: str,
    reason: str,
) -> LicenseKey:
    key = await get_key(session, principal, key_id)
    allowed_from, target, event = _TRANSITIONS[action]
    if key.status not in allowed_from:
        raise LicenseKeyStatusTransition(key.status, target)
    key.status = target
    key.status_reason = reason
    await session.flush()
    await outbox.emit(session, event, _event(key, reason=reason), subject=str(key.customer_id))
    return key


async def reissue(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    signing_key: Ed25519PrivateKey,
    key_id: uuid.UUID,
    reason: str,
) -> LicenseKey:
    """A new key for the same customer, product and version; the old one is revoked."""
    old = await get_key(session, principal, key_id)
    if old.status == "revoked":
        raise RevokedKeyNotReissued()
    old.status = "revoked"
    old.status_reason = f"reissued: {reason}"
    data = LicenseKeyIssue(
        customer_id=old.customer_id,
        product_id=old.product_id,
        major_version=old.major_version,
        agreement_id=old.agreement_id,
        expires_at=None if old.agreement_id else old.expires_at,
    )
    return await issue(session, outbox, principal, signing_key, data, replaces=old)


async def validate(
    session: AsyncSession, signing_key: Ed25519PrivateKey, data: ValidateRequest, now: datetime
) -> ValidateResponse:
    try:
        payload = verify_key(data.key.strip(), signing_key.public_key())
    except (InvalidSignature, KeyFormatError):
        return ValidateResponse(valid=False, code=ValidationCode.BAD_SIGNATURE)
    details = {
        "license_id": payload.license_id,
        "customer_id": payload.customer_id,
        "product_id": payload.product_id,
        "major_version": payload.major_version,
        "expires_at": payload.expires_at,
    }
    key = await session.get(LicenseKey, payload.license_id)
    if key is None:
        return ValidateResponse(valid=False, code=ValidationCode.NOT_FOUND)
    if key.status == "revoked":
        return ValidateResponse(valid=False, code=ValidationCode.REVOKED, **details)
    if key.status == "suspended":
        return ValidateResponse(valid=False, code=ValidationCode.SUSPENDED, **details)
    if key.expires_at is not None and key.expires_at <= now:
        return ValidateResponse(valid=False, code=ValidationCode.EXPIRED, **details)
    if key.agreement_id is not None:
        # A key bound to an agreement lives and dies with it, also before its end date.
        agreement_status = await session.scalar(
            select(Agreement.status).where(Agreement.id == key.agreement_id)
        )
        if agreement_status in ("cancelled", "expired"):
            return ValidateResponse(valid=False, code=ValidationCode.EXPIRED, **details)
        if agreement_status == "suspended":
            return ValidateResponse(valid=False, code=ValidationCode.SUSPENDED, **details)
    if payload.product_id != data.product_id or parse_major(data.version) != payload.major_version:
        return ValidateResponse(valid=False, code=ValidationCode.VERSION_MISMATCH, **details)
    return ValidateResponse(valid=True, code=ValidationCode.VALID, **details)
