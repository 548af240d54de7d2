"""Customers, their contacts and the support centers that serve them."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from careplane_shared.events import Outbox
from contracts.customers.schemas import (
    ContactCreate,
    ContactUpdate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    CustomerUpsert,
    SupportCenterCreate,
)
from contracts.identity.secrets import hash_password
from contracts.models import Contact, Customer, StaffUser, SupportCenter


class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"
    message = "No such customer."


class ContactNotFound(NotFound):
    code = "CONTACT_NOT_FOUND"
    message = "No such contact."


class SupportCenterNotFound(NotFound):
    code = "SUPPORT_CENTER_NOT_FOUND"
    message = "No such support center."


def _event_data(customer: Customer) -> dict[str, Any]:
    return CustomerRead.model_validate(customer).model_dump(mode="json")


async def get_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None or not principal.can_access_customer(customer.id):
        raise CustomerNotFound()
    return customer


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
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(Customer.name, Customer.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total


async def _check_center(session: AsyncSession, center_id: uuid.UUID | None) -> None:
    if center_id is not None and await session.get(SupportCenter, center_id) is None:
        raise SupportCenterNotFound()


async def create_customer(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: CustomerCreate
) -> Customer:
    await _check_center(session, data.support_center_id)
    if data.external_id is not None:
        taken = await session.scalar(
            select(Customer.id).where(Customer.external_id == data.external_id)
        )
        if taken is not None:
            # Which customer holds it is told to staff only.
            raise Conflict(
                "A customer with this external id exists.",
                code="EXTERNAL_ID_TAKEN",
                details={"customer_id": str(taken)} if principal.is_staff else None,
            )
    customer = Customer(id=uuid.uuid4(), **data.model_dump())
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create with the same external id
        raise Conflict(
            "A customer with this external id exists.", code="EXTERNAL_ID_TAKEN"
        ) from exc
    await session.refresh(customer)
    await outbox.emit(session, "customer.created", _event_data(customer), subject=str(customer.id))
    return customer


async def upsert_by_external_id(
    session: AsyncSession, outbox: Outbox, external_id: str, data: CustomerUpsert
) -> tuple[Customer, bool]:
    """Idempotent CRM sync: creates or updates the customer known by ``external_id``.
    Concurrent calls for one id serialize on the unique index; none fails."""
    await _check_center(session, data.support_center_id)
    values = data.model_dump()
    insert_customer = insert(Customer).values(id=uuid.uuid4(), external_id=external_id, **values)
    row: Any = (
        await session.execute(
            insert_customer.on_conflict_do_update(
                index_elements=[Customer.external_id],
                set_={**values, "updated_at": func.now()},
            ).returning(Customer.id, literal_column("xmax = 0").label("created"))
        )
    ).one()
    customer = await session.get(Customer, row.id, populate_existing=True)
    assert customer is not None
    event = "customer.created" if row.created else "customer.updated"
    await outbox.emit(session, event, _event_data(customer), subject=str(customer.id))
    return customer, bool(row.created)


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
            raise ValidationFailed(f"{name} cannot be null.", code="VALIDATION_ERROR")
    if "support_center_id" in changes:
        await _check_center(session, changes["support_center_id"])
    for name, value in changes.items():
        setattr(customer, name, value)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "A customer with this external id exists.", code="EXTERNAL_ID_TAKEN"
        ) from exc
    await session.refresh(customer)
    await outbox.emit(
        session,
        "customer.updated",
        {**_event_data(customer), "changed": sorted(changes)},
        subject=str(customer.id),
    )
    return customer


async def support_center_for(session: AsyncSession, customer: Customer) -> SupportCenter | None:
    """The customer's own center, or the one serving its region (seed 000: the closest)."""
    if customer.support_center_id is not None:
        return await session.get(SupportCenter, customer.support_center_id)
    return await session.scalar(
        select(SupportCenter)
        .where(SupportCenter.regions.contains([customer.region]))
        .order_by(SupportCenter.code)
        .limit(1)
    )


# -- contacts ---------------------------------------------------------------------------------


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
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(query.order_by(Contact.name, Contact.id).limit(limit).offset(offset))
    ).all()
    return items, total


async def list_contacts_of(
    session: AsyncSession,
    principal: Principal,
    customer_ids: Sequence[uuid.UUID] | None,
    *,
    limit: int,
    offset: int,
    pending: bool | None = None,
) -> tuple[Sequence[Contact], int]:
    """Contacts of the given customers (of every customer the caller may see without)."""
    query = select(Contact)
    if principal.customer_id is not None:
        query = query.where(Contact.customer_id == principal.customer_id)
    if pending is not None:
        query = query.where(Contact.pending.is_(pending))
    if customer_ids:
        query = query.where(Contact.customer_id.in_(customer_ids))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(Contact.customer_id, Contact.name, Contact.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return items, total


class _ContactsForbidden(Forbidden):
    # The caller sees the customer and its contacts (other customers' are 404 before
    # this), so saying "not found" would be untrue: it is the role that may not.
    code = "ROLE_FORBIDDEN"
    message = "Only the customer's administrators manage its contacts."


def _may_manage_contacts(principal: Principal, customer_id: uuid.UUID) -> bool:
    if principal.is_customer:
        # Its administrators, and the keys bound to it (which act as one at most).
        return principal.is_customer_admin and principal.customer_id == customer_id
    return True


class ContactEmailTaken(Conflict):
    code = "CONTACT_EMAIL_TAKEN"
    message = "A contact with this email exists."


class InvitationNotFound(NotFound):
    code = "INVITATION_NOT_FOUND"
    message = "No such invitation, or it has expired or been used."


class EmailAlreadyRegistered(Conflict):
    code = "EMAIL_ALREADY_REGISTERED"
    message = (
        "This email address already belongs to an account. Sign in with that account, or "
        "ask the administrator who invited you to invite another address."
    )


def _new_contact(
    customer_id: uuid.UUID, data: ContactCreate, *, pending: bool, password_hash: str | None
) -> Contact:
    return Contact(
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


def _invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    if not _may_manage_contacts(principal, customer_id):
        raise _ContactsForbidden()
    if principal.is_customer:
        return await _invite_contact(
            session, outbox, invitations, customer_id, data, invitation_ttl=invitation_ttl
        )
    taken = await session.scalar(
        select(Contact.id).where(
            func.lower(Contact.email) == data.email.lower(),
            (Contact.customer_id == customer_id) | Contact.pending.is_(False),
        )
    )
    if taken is not None:
        raise ContactEmailTaken()
    password_hash = hash_password(data.password) if data.password else None
    contact = _new_contact(customer_id, data, pending=False, password_hash=password_hash)
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError as exc:
        raise ContactEmailTaken() from exc
    await session.refresh(contact)
    await _contact_added(session, outbox, contact)
    return contact


async def _contact_added(session: AsyncSession, outbox: Outbox, contact: Contact) -> None:
    await outbox.emit(
        session,
        "customer.contact_added",
        {
            "customer_id": str(contact.customer_id),
            "contact_id": str(contact.id),
            "email": contact.email,
        },
        subject=str(contact.customer_id),
    )


async def _invite_contact(
    session: AsyncSession,
    outbox: Outbox,
    invitations: Outbox,
    customer_id: uuid.UUID,
    data: ContactCreate,
    *,
    invitation_ttl: timedelta,
) -> Contact:
    # Only the customer's own contacts are looked at: whether the address is known in
    # another tenant must change nothing in this answer (status, code, message, body).
    own = await session.scalar(
        select(Contact.id).where(
            Contact.customer_id == customer_id,
            func.lower(Contact.email) == data.email.lower(),
        )
    )
    if own is not None:
        raise ContactEmailTaken()
    if data.password is not None:
        raise ValidationFailed(
            "An invited contact chooses its own password when it accepts the invitation.",
            code="PASSWORD_NOT_ALLOWED",
        )
    contact = _new_contact(customer_id, data, pending=True, password_hash=None)
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError as exc:  # the same address added twice at once to this customer
        raise ContactEmailTaken() from exc
    await _send_invitation(session, invitations, contact, invitation_ttl=invitation_ttl)
    await session.refresh(contact)
    await _contact_added(session, outbox, contact)
    return contact


async def resend_invitation(
    session: AsyncSession,
    invitations: Outbox,
    principal: Principal,
    contact_id: uuid.UUID,
    *,
    invitation_ttl: timedelta,
) -> Contact:
    """A new token and expiry for a pending contact (the old token stops working)."""
    contact = await get_contact(session, principal, contact_id)
    if not _may_manage_contacts(principal, contact.customer_id):
        raise _ContactsForbidden()
    if not contact.pending:
        raise Conflict("The contact has accepted its invitation.", code="CONTACT_NOT_PENDING")
    await _send_invitation(session, invitations, contact, invitation_ttl=invitation_ttl)
    await session.refresh(contact)
    return contact


async def _send_invitation(
    session: AsyncSession, invitations: Outbox, contact: Contact, *, invitation_ttl: timedelta
) -> None:
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + invitation_ttl
    contact.invitation_token_hash = _invitation_token_hash(token)
    contact.invitation_expires_at = expires_at
    await session.flush()
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None
    # The invitation mail (notify's to send): the token goes to notify only.
    await invitations.emit(
        session,
        "contact.invited",
        {
            "customer_id": str(customer.id),
            "customer_name": customer.name,
            "contact_id": str(contact.id),
            "email": contact.email,
            "name": contact.name,
            "language": customer.language,
            "token": token,
            "accept_path": f"/v1/contacts/invitations/{token}/accept",
            "expires_at": expires_at.isoformat(),
        },
        subject=str(customer.id),
    )


async def accept_invitation(
    session: AsyncSession, outbox: Outbox, token: str, password: str
) -> Contact:
    """The invited person confirms with the password it chooses. An address that already
    signs in elsewhere (another contact or a staff user) is refused, to that person only."""
    contact = await session.scalar(
        select(Contact)
        .where(Contact.invitation_token_hash == _invitation_token_hash(token))
        .with_for_update()
    )
    now = datetime.now(UTC)
    if (
        contact is None
        or not contact.pending
        or contact.invitation_expires_at is None
        or contact.invitation_expires_at <= now
    ):
        raise InvitationNotFound()
    email = contact.email.lower()
    taken = await session.scalar(
        select(Contact.id).where(
            func.lower(Contact.email) == email,
            Contact.pending.is_(False),
        )
    )
    staff = await session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == email))
    if taken is not None or staff is not None:
        raise EmailAlreadyRegistered()
    password_hash = await asyncio.to_thread(hash_password, password)
    try:
        async with session.begin_nested():
            contact.password_hash = password_hash
            contact.pending = False
            contact.invitation_token_hash = None
            contact.invitation_expires_at = None
            await session.flush()
    except IntegrityError as exc:  # accepted elsewhere at the same moment
        raise EmailAlreadyRegistered() from exc
    await session.refresh(contact)
    await outbox.emit(
        session,
        "customer.contact_updated",
        {
            "customer_id": str(contact.customer_id),
            "contact_id": str(contact.id),
            "changed": ["pending"],
        },
        subject=str(contact.customer_id),
    )
    return contact


async def get_contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID
) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None or not principal.can_access_customer(contact.customer_id):
        raise ContactNotFound()
    return contact


async def update_contact(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    contact_id: uuid.UUID,
    data: ContactUpdate,
) -> Contact:
    contact = await get_contact(session, principal, contact_id)
    if not _may_manage_contacts(principal, contact.customer_id):
        raise _ContactsForbidden()
    changes = data.model_dump(exclude_unset=True)
    password = changes.pop("password", None)
    if password is not None and not principal.is_human:
        # A key setting a person's password could sign in as that person (and so reach
        # what only people may do, such as managing API keys).
        raise Forbidden("Only people signed in set passwords.", code="HUMAN_REQUIRED")
    if password:
        contact.password_hash = hash_password(password)
    for name, value in changes.items():
        if value is None:
            raise ValidationFailed(f"{name} cannot be null.", code="VALIDATION_ERROR")
        setattr(contact, name, value)
    await session.flush()
    await session.refresh(contact)
    await outbox.emit(
        session,
        "customer.contact_updated",
        {
            "customer_id": str(contact.customer_id),
            "contact_id": str(contact.id),
            "changed": sorted(data.model_dump(exclude_unset=True)),
        },
        subject=str(contact.customer_id),
    )
    return contact


# -- support centers ------------------------------------------------------------------------------


async def list_support_centers(session: AsyncSession) -> Sequence[SupportCenter]:
    return (await session.scalars(select(SupportCenter).order_by(SupportCenter.code))).all()


async def create_support_center(session: AsyncSession, data: SupportCenterCreate) -> SupportCenter:
    if await session.scalar(select(SupportCenter.id).where(SupportCenter.code == data.code)):
        raise Conflict("A support center with this code exists.", code="SUPPORT_CENTER_CODE_TAKEN")
    center = SupportCenter(id=uuid.uuid4(), **data.model_dump(mode="json"))
    session.add(center)
    await session.flush()
    return center
