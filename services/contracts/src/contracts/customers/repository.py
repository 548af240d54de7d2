"""The queries of customers, contacts and support centers that the services share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.customers.exceptions import ContactEmailTaken
from contracts.customers.schemas import ContactCreate
from contracts.models import Contact, Customer, StaffUser, SupportCenter

T = TypeVar("T")


async def page(
    session: AsyncSession,
    query: Select[T],
    *order_by: Any,
    limit: int,
    offset: int,
) -> tuple[Sequence[T], int]:
    """One page of ``query`` in ``order_by`` order, and how many rows it has in all."""
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (await session.scalars(query.order_by(*order_by).limit(limit).offset(offset))).all()
    return items, total


async def customer_with_external_id(session: AsyncSession, external_id: str) -> uuid.UUID | None:
    return await session.scalar(select(Customer.id).where(Customer.external_id == external_id))


async def upsert_customer(
    session: AsyncSession, external_id: str, values: dict[str, Any]
) -> tuple[uuid.UUID, bool]:
    """Creates or updates the customer known by ``external_id`` in one statement (concurrent
    calls for one id serialize on the unique index); its id, and whether it is new."""
    insert_customer = insert(Customer).values(id=uuid.uuid4(), external_id=external_id, **values)
    row: Any = (
        await session.execute(
            insert_customer.on_conflict_do_update(
                index_elements=[Customer.external_id],
                set_={**values, "updated_at": func.now()},
            ).returning(Customer.id, literal_column("xmax = 0").label("created"))
        )
    ).one()
    return row.id, bool(row.created)


async def center_serving(session: AsyncSession, region: str) -> SupportCenter | None:
    """The center serving ``region`` (seed 000: the closest comes first by code)."""
    return await session.scalar(
        select(SupportCenter)
        .where(SupportCenter.regions.contains([region]))
        .order_by(SupportCenter.code)
        .limit(1)
    )


async def support_center_code_taken(session: AsyncSession, code: str) -> bool:
    return bool(await session.scalar(select(SupportCenter.id).where(SupportCenter.code == code)))


async def contact_with_email(
    session: AsyncSession,
    email: str,
    *,
    of_customer: uuid.UUID | None = None,
    registered: bool = False,
) -> uuid.UUID | None:
    """A contact with ``email`` (any case) among ``of_customer``'s contacts, or, with
    ``registered``, among every customer's registered (not pending) contacts."""
    where: list[ColumnElement[bool]] = []
    if of_customer is not None:
        where.append(Contact.customer_id == of_customer)
    if registered:
        where.append(Contact.pending.is_(False))
    return await session.scalar(
        select(Contact.id).where(func.lower(Contact.email) == email.lower(), or_(false(), *where))
    )


async def staff_with_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    return await session.scalar(
        select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
    )


async def contact_by_invitation(session: AsyncSession, token_hash: str) -> Contact | None:
    """The contact invited with this token, locked until the transaction ends."""
    return await session.scalar(
        select(Contact).where(Contact.invitation_token_hash == token_hash).with_for_update()
    )


async def add_contact(
    session: AsyncSession,
    customer_id: uuid.UUID,
    data: ContactCreate,
    *,
    pending: bool,
    password_hash: str | None,
) -> Contact:
    """Adds the contact, or raises :class:`ContactEmailTaken` when the database's unique
    address index refuses it (the same address added twice at once)."""
    contact = Contact(
        id=uuid.uuid4(),
        customer_id=customer_id,
        email=data.email,
        name=data.name,
        is_admin=data.is_admin,
        registered=data.registered,
        active=True,
        pending=pending,
        password_hash=password_hash,
    )
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError as exc:
        raise ContactEmailTaken() from exc
    return contact
