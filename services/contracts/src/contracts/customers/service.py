"""Customers and the support centers that serve them, and who may see or manage what of a
customer. Its contacts are in :mod:`contracts.customers.contacts`, their invitations in
:mod:`contracts.customers.invitations`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from contracts.customers import repository
from contracts.customers.events import customer_data
from contracts.customers.exceptions import (
    ContactNotFound,
    ContactsForbidden,
    CustomerNotFound,
    ExternalIdTaken,
    SupportCenterCodeTaken,
    SupportCenterNotFound,
)
from contracts.customers.schemas import (
    CustomerCreate,
    CustomerUpdate,
    CustomerUpsert,
    SupportCenterCreate,
)
from contracts.exceptions import FieldNotNullable
from contracts.models import Contact, Customer, SupportCenter

__all__ = [
    "ContactNotFound",
    "CustomerNotFound",
    "SupportCenterNotFound",
    "create_customer",
    "create_support_center",
    "ensure_may_manage_contacts",
    "get_contact",
    "get_customer",
    "list_customers",
    "list_support_centers",
    "support_center_for",
    "update_customer",
    "upsert_by_external_id",
]


async def get_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None or not principal.can_access_customer(customer.id):
        raise CustomerNotFound()
    return customer


async def get_contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID
) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None or not principal.can_access_customer(contact.customer_id):
        raise ContactNotFound()
    return contact


def ensure_may_manage_contacts(principal: Principal, customer_id: uuid.UUID) -> None:
    """A customer's contacts are managed by its administrators and the keys bound to it
    (which act as one at most), and by the vendor's side."""
    if principal.is_customer and not (
        principal.is_customer_admin and principal.customer_id == customer_id
    ):
        raise ContactsForbidden()


async def list_customers(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    offset: int,
    search: str | None = None,
    standing: str | None = None,
    region: str | None = None,
    ids: Sequence[uuid.UUID] | None = None,
) -> tuple[Sequence[Customer], int]:
    query = select(Customer)
    if principal.customer_id is not None:
        query = query.where(Customer.id == principal.customer_id)
    if ids:
        query = query.where(Customer.id.in_(ids))
    if search:
        query = query.where(Customer.name.ilike(f"%{search}%"))
    if standing:
        query = query.where(Customer.standing == standing)
    if region:
        query = query.where(Customer.region == region)
    return await repository.page(
        session, query, Customer.name, Customer.id, limit=limit, offset=offset
    )


async def _check_center(session: AsyncSession, center_id: uuid.UUID | None) -> None:
    if center_id is not None and await session.get(SupportCenter, center_id) is None:
        raise SupportCenterNotFound()


async def create_customer(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: CustomerCreate
) -> Customer:
    await _check_center(session, data.support_center_id)
    if data.external_id is not None:
        taken = await repository.customer_with_external_id(session, data.external_id)
        if taken is not None:
            # Which customer holds it is told to staff only.
            raise ExternalIdTaken(
                details={"customer_id": str(taken)} if principal.is_staff else None
            )
    customer = Customer(id=uuid.uuid4(), **data.model_dump())
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create with the same external id
        raise ExternalIdTaken() from exc
    await session.refresh(customer)
    await outbox.emit(
        session, "customer.created", customer_data(customer), subject=str(customer.id)
    )
    return customer


async def upsert_by_external_id(
    session: AsyncSession, outbox: Outbox, external_id: str, data: CustomerUpsert
) -> tuple[Customer, bool]:
    """Idempotent CRM sync: creates or updates the customer known by ``external_id``.
    Concurrent calls for one id serialize on the unique index; none fails."""
    await _check_center(session, data.support_center_id)
    customer_id, created = await repository.upsert_customer(session, external_id, data.model_dump())
    customer = await session.get(Customer, customer_id, populate_existing=True)
    assert customer is not None
    event = "customer.created" if created else "customer.updated"
    await outbox.emit(session, event, customer_data(customer), subject=str(customer.id))
    return customer, created


# Only external_id and support_center_id may be cleared; a null for these would otherwise
# reach the database as a NOT NULL violation.
_REQUIRED_CUSTOMER_FIELDS = ("name", "region", "timezone", "language", "standing")


async def update_customer(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    customer_id: uuid.UUID,
    data: CustomerUpdate,
) -> Customer:
    customer = await get_customer(session, principal, customer_id)
    changes = data.model_dump(exclude_unset=True)
    for name in _REQUIRED_CUSTOMER_FIELDS:
        if name in changes and changes[name] is None:
            raise FieldNotNullable(name)
    if "support_center_id" in changes:
        await _check_center(session, changes["support_center_id"])
    for name, value in changes.items():
        setattr(customer, name, value)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ExternalIdTaken() from exc
    await session.refresh(customer)
    await outbox.emit(
        session,
        "customer.updated",
        {**customer_data(customer), "changed": sorted(changes)},
        subject=str(customer.id),
    )
    return customer


async def support_center_for(session: AsyncSession, customer: Customer) -> SupportCenter | None:
    """The customer's own center, or the one serving its region (seed 000: the closest)."""
    if customer.support_center_id is not None:
        return await session.get(SupportCenter, customer.support_center_id)
    return await repository.center_serving(session, customer.region)


# -- support centers ------------------------------------------------------------------------------


async def list_support_centers(session: AsyncSession) -> Sequence[SupportCenter]:
    return (await session.scalars(select(SupportCenter).order_by(SupportCenter.code))).all()


async def create_support_center(session: AsyncSession, data: SupportCenterCreate) -> SupportCenter:
    if await repository.support_center_code_taken(session, data.code):
        raise SupportCenterCodeTaken()
    center = SupportCenter(id=uuid.uuid4(), **data.model_dump(mode="json"))
    session.add(center)
    await session.flush()
    return center
