from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import ApiKey, Contact, Customer, StaffUser


async def staff_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    return await session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == email.lower())
    )


async def contact_by_email(session: AsyncSession, email: str) -> tuple[Contact, Customer] | None:
    row = (
        await session.execute(
            select(Contact, Customer)
            .join(Customer, Customer.id == Contact.customer_id)
            .where(func.lower(Contact.email) == email.lower(), Contact.pending.is_(False))
        )
    ).first()
    return (row[0], row[1]) if row else None


async def staff_by_id(session: AsyncSession, staff_id: uuid.UUID) -> StaffUser | None:
    return await session.get(StaffUser, staff_id)


async def contact_by_id(session: AsyncSession, contact_id: uuid.UUID) -> Contact | None:
    return await session.get(Contact, contact_id)


async def api_key_by_client_id(session: AsyncSession, client_id: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.client_id == client_id))


async def api_key_by_id(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def touch_api_key(session: AsyncSession, key_id: uuid.UUID) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=func.now()))


async def list_api_keys(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID | None,
    include_service: bool,
    limit: int,
    offset: int,
) -> tuple[Sequence[ApiKey], int]:
    query = select(ApiKey)
    if customer_id is not None:
        query = query.where(ApiKey.customer_id == customer_id)
    if not include_service:
        query = query.where(ApiKey.role != "SERVICE")
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(ApiKey.created_at.desc(), ApiKey.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total


async def upsert_service_client(session: AsyncSession, *, client_id: str, secret_hash: str) -> None:
    statement = insert(ApiKey).values(
        id=uuid.uuid4(),
        client_id=client_id,
        name=f"service account {client_id}",
        role="SERVICE",
        scopes=[],
        secret_hash=secret_hash,
        created_by="configuration",
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ApiKey.client_id],
            set_={
                "secret_hash": statement.excluded.secret_hash,
                "role": "SERVICE",
                "revoked_at": None,
            },
        )
    )


async def list_staff(
    session: AsyncSession, *, ids: Sequence[uuid.UUID], role: str | None, limit: int, offset: int
) -> tuple[Sequence[StaffUser], int]:
    query = select(StaffUser)
    if ids:
        query = query.where(StaffUser.id.in_(ids))
    if role:
        query = query.where(StaffUser.role == role)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(StaffUser.name, StaffUser.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total
