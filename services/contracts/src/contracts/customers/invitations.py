"""Invitations: a customer's own callers invite a contact, which stays pending (cannot sign
in) until its person accepts with the password it chooses. The token goes out in the
``contact.invited`` event to notify only (which mails it); we keep its hash."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from contracts.customers import repository
from contracts.customers.events import contact_added, contact_updated
from contracts.customers.exceptions import (
    ContactEmailTaken,
    ContactNotPending,
    EmailAlreadyRegistered,
    InvitationNotFound,
    PasswordNotAllowed,
)
from contracts.customers.schemas import ContactCreate
from contracts.customers.service import ensure_may_manage_contacts, get_contact
from contracts.identity.secrets import hash_password
from contracts.models import Contact, Customer


def _invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite_contact(
    session: AsyncSession,
    outbox: Outbox,
    invitations: Outbox,
    customer_id: uuid.UUID,
    data: ContactCreate,
    *,
    invitation_ttl: timedelta,
) -> Contact:
    """A pending contact and its invitation (the caller checked it may manage contacts)."""
    # Only the customer's own contacts are looked at: whether the address is known in
    # another tenant must change nothing in this answer (status, code, message, body).
    if await repository.contact_with_email(session, data.email, of_customer=customer_id):
        raise ContactEmailTaken()
    if data.password is not None:
        raise PasswordNotAllowed()
    # The same address added twice at once to this customer is a ContactEmailTaken too.
    contact = await repository.add_contact(
        session, customer_id, data, pending=True, password_hash=None
    )
    await _send_invitation(session, invitations, contact, invitation_ttl=invitation_ttl)
    await session.refresh(contact)
    await contact_added(session, outbox, contact)
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
    ensure_may_manage_contacts(principal, contact.customer_id)
    if not contact.pending:
        raise ContactNotPending()
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
    contact = await repository.contact_by_invitation(session, _invitation_token_hash(token))
    now = datetime.now(UTC)
    if (
        contact is None
        or not contact.pending
        or contact.invitation_expires_at is None
        or contact.invitation_expires_at <= now
    ):
        raise InvitationNotFound()
    taken = await repository.contact_with_email(session, contact.email, registered=True)
    staff = await repository.staff_with_email(session, contact.email)
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
    await contact_updated(session, outbox, contact, ["pending"])
    return contact
