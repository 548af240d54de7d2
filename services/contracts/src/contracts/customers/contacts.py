"""A customer's contacts: listed, registered by the vendor's side (a customer's own callers
invite instead, :mod:`contracts.customers.invitations`), and updated."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from contracts.customers import repository
from contracts.customers.events import contact_added, contact_updated
from contracts.customers.exceptions import ContactEmailTaken, PasswordNeedsPerson
from contracts.customers.invitations import invite_contact
from contracts.customers.schemas import ContactCreate, ContactUpdate
from contracts.customers.service import ensure_may_manage_contacts, get_contact, get_customer
from contracts.exceptions import FieldNotNullable
from contracts.identity.secrets import hash_password
from contracts.models import Contact


async def list_contacts(
    session: AsyncSession,
    principal: Principal,
    customer_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    pending: bool | None = None,
) -> tuple[Sequence[Contact], int]:
    await get_customer(session, principal, customer_id)
    query = select(Contact).where(Contact.customer_id == customer_id)
    if pending is not None:
        query = query.where(Contact.pending.is_(pending))
    return await repository.page(
        session, query, Contact.name, Contact.id, limit=limit, offset=offset
    )


async def list_contacts_of(
    session: AsyncSession,
    principal: Principal,
    customer_ids: Sequence[uuid.UUID] | None,
    *,
    limit: int,
    offset: int,
    pending: bool | None = None,
    email: str | None = None,
) -> tuple[Sequence[Contact], int]:
    """Contacts of the given customers (of every customer the caller may see without);
    with ``email``, only those with that address, compared as the unique indexes do."""
    query = select(Contact)
    if email is not None:
        query = query.where(func.lower(Contact.email) == email.strip().lower())
    if principal.customer_id is not None:
        query = query.where(Contact.customer_id == principal.customer_id)
    if pending is not None:
        query = query.where(Contact.pending.is_(pending))
    if customer_ids:
        query = query.where(Contact.customer_id.in_(customer_ids))
    return await repository.page(
        session,
        query,
        Contact.customer_id,
        Contact.name,
        Contact.id,
        limit=limit,
        offset=offset,
    )


async def create_contact(
    session: AsyncSession,
    outbox: Outbox,
    invitations: Outbox,
    principal: Principal,
    customer_id: uuid.UUID,
    data: ContactCreate,
    *,
    invitation_ttl: timedelta,
) -> Contact:
    """The vendor's side registers a contact at once (an address taken anywhere is a 409:
    it sees every customer anyway). A customer's own callers invite: the contact is
    pending (cannot sign in) until its person accepts, and the answer is the same whether
    or not the address is known elsewhere; only an address already among this customer's
    own contacts is a 409."""
    await get_customer(session, principal, customer_id)
    ensure_may_manage_contacts(principal, customer_id)
    if principal.is_customer:
        return await invite_contact(
            session, outbox, invitations, customer_id, data, invitation_ttl=invitation_ttl
        )
    taken = await repository.contact_with_email(
        session, data.email, of_customer=customer_id, registered=True
    )
    if taken is not None:
        raise ContactEmailTaken()
    password_hash = hash_password(data.password) if data.password else None
    contact = await repository.add_contact(
        session, customer_id, data, pending=False, password_hash=password_hash
    )
    await session.refresh(contact)
    await contact_added(session, outbox, contact)
    return contact


async def update_contact(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contact_id: uuid.UUID,
    data: ContactUpdate,
) -> Contact:
    contact = await get_contact(session, principal, contact_id)
    ensure_may_manage_contacts(principal, contact.customer_id)
    changes = data.model_dump(exclude_unset=True)
    password = changes.pop("password", None)
    if password is not None and not principal.is_human:
        raise PasswordNeedsPerson()
    if password:
        contact.password_hash = hash_password(password)
    for name, value in changes.items():
        if value is None:
            raise FieldNotNullable(name)
        setattr(contact, name, value)
    await session.flush()
    await session.refresh(contact)
    await contact_updated(session, outbox, contact, data.model_dump(exclude_unset=True))
    return contact
