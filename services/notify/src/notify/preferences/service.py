"""Contact preferences (which non-essential mail a contact gets) and case watchers.

Who a contact is, and whose, comes from contracts; whether a caller may see a case from
tickets, asked with the caller's own token. Routing reads both tables in the inbox's
transaction (:mod:`notify.routing`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from notify.access import may_manage_contact
from notify.clients.contracts import ContractsClient, ContractsUnavailable
from notify.clients.exceptions import TicketNotFound
from notify.clients.tickets import TicketsClient
from notify.models import ContactPreference, TicketWatcher
from notify.preferences.categories import DESCRIPTIONS, ESSENTIAL, Category
from notify.preferences.exceptions import (
    CategoryEssential,
    ContactNotFound,
    ContactUnavailable,
    NotAContactOfTheCustomer,
    PreferencesNotForRole,
    PreferencesNotOwn,
    RequesterAlreadyInformed,
    TicketHasNoCustomer,
    UnknownCategory,
    WatcherNotFound,
    WatchersNotForRole,
)
from notify.preferences.schemas import (
    CategoryRead,
    EssentialRead,
    PreferencesRead,
    WatcherCreate,
)


async def _contact(contracts: ContractsClient, contact_id: uuid.UUID) -> dict[str, Any]:
    try:
        contact = await contracts.contact(contact_id)
    except ContractsUnavailable as exc:
        raise ContactUnavailable(exc) from exc
    if contact is None:
        raise ContactNotFound()
    return contact


async def authorized_contact(
    principal: Principal, contracts: ContractsClient, contact_id: uuid.UUID
) -> dict[str, Any]:
    """The contact, if the caller may manage its preferences: the contact itself, an
    administrator of its customer, or staff. Another customer's contact is not found."""
    if principal.is_staff:
        return await _contact(contracts, contact_id)
    if not principal.is_customer:
        raise PreferencesNotForRole()
    contact = await _contact(contracts, contact_id)
    if str(contact["customer_id"]) != str(principal.customer_id):
        raise ContactNotFound()
    if not may_manage_contact(principal, contact_id):
        raise PreferencesNotOwn()
    return contact


def _read(contact: dict[str, Any], row: ContactPreference | None) -> PreferencesRead:
    opted_out = sorted(row.opted_out) if row else []
    return PreferencesRead(
        contact_id=uuid.UUID(str(contact["id"])),
        customer_id=uuid.UUID(str(contact["customer_id"])),
        opted_out=opted_out,
        categories=[
            CategoryRead(category=c.value, description=DESCRIPTIONS[c], opted_out=c in opted_out)
            for c in Category
        ],
        essential=[EssentialRead(name=n, description=d) for n, d in ESSENTIAL.items()],
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
    )


async def get_preferences(
    session: AsyncSession, principal: Principal, contracts: ContractsClient, contact_id: uuid.UUID
) -> PreferencesRead:
    contact = await authorized_contact(principal, contracts, contact_id)
    return _read(contact, await session.get(ContactPreference, contact_id))


def checked_categories(requested: list[str]) -> list[str]:
    known = {c.value for c in Category}
    essential = sorted({c for c in requested if c in ESSENTIAL})
    if essential:
        raise CategoryEssential(essential)
    unknown = sorted(set(requested) - known)
    if unknown:
        raise UnknownCategory(unknown, sorted(known))
    return sorted(set(requested))


async def set_preferences(
    session: AsyncSession,
    principal: Principal,
    contracts: ContractsClient,
    contact_id: uuid.UUID,
    opted_out: list[str],
) -> PreferencesRead:
    categories = checked_categories(opted_out)
    contact = await authorized_contact(principal, contracts, contact_id)
    statement = insert(ContactPreference).values(
        contact_id=contact_id,
        customer_id=uuid.UUID(str(contact["customer_id"])),
        opted_out=categories,
        updated_by=principal.email or principal.subject,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["contact_id"],
            set_={
                "opted_out": statement.excluded.opted_out,
                "updated_by": statement.excluded.updated_by,
                "updated_at": statement.excluded.updated_at,
            },
        )
    )
    row = await session.get(ContactPreference, contact_id, populate_existing=True)
    return _read(contact, row)


# -- watchers ---------------------------------------------------------------------------------


async def _visible_ticket(
    principal: Principal, tickets: TicketsClient, ticket_id: uuid.UUID
) -> dict[str, Any]:
    """The case, if tickets lets the caller see it (and, for a customer's people and keys,
    if it is their own customer's: anything else is not found); only people, a customer's
    keys and staff manage watchers."""
    if not (principal.is_staff or principal.is_customer):
        raise WatchersNotForRole()
    ticket = await tickets.ticket(ticket_id)
    if principal.is_customer and str(ticket.get("customer_id")) != str(principal.customer_id):
        raise TicketNotFound()
    return ticket


async def list_watchers(
    session: AsyncSession, principal: Principal, tickets: TicketsClient, ticket_id: uuid.UUID
) -> list[TicketWatcher]:
    await _visible_ticket(principal, tickets, ticket_id)
    rows = await session.scalars(
        select(TicketWatcher)
        .where(TicketWatcher.ticket_id == ticket_id)
        .order_by(TicketWatcher.created_at, TicketWatcher.contact_id)
    )
    return list(rows)


async def _colleague(
    contracts: ContractsClient, customer_id: str, body: WatcherCreate
) -> dict[str, Any]:
    """The contact to add, which must be an active contact of the case's customer that has
    accepted its invitation (the list from contracts holds no pending one)."""
    try:
        contacts = await contracts.contacts_of([customer_id])
    except ContractsUnavailable as exc:
        raise ContactUnavailable(exc) from exc
    for contact in contacts:
        same = (
            str(contact["id"]) == str(body.contact_id)
            if body.contact_id
            else str(contact["email"]).lower() == str(body.email).lower()
        )
        if same and contact.get("active", True):
            return contact
    raise NotAContactOfTheCustomer()


async def add_watcher(
    session: AsyncSession,
    principal: Principal,
    tickets: TicketsClient,
    contracts: ContractsClient,
    ticket_id: uuid.UUID,
    body: WatcherCreate,
) -> tuple[TicketWatcher, bool]:
    """The watcher, and whether it is new (adding one twice changes nothing)."""
    ticket = await _visible_ticket(principal, tickets, ticket_id)
    if not ticket.get("customer_id"):
        raise TicketHasNoCustomer()
    contact = await _colleague(contracts, str(ticket["customer_id"]), body)
    if str(contact["id"]) == str(ticket.get("contact_id")):
        raise RequesterAlreadyInformed()
    contact_id = uuid.UUID(str(contact["id"]))
    inserted = await session.execute(
        insert(TicketWatcher)
        .values(
            ticket_id=ticket_id,
            contact_id=contact_id,
            customer_id=uuid.UUID(str(ticket["customer_id"])),
            email=str(contact["email"]).lower(),
            added_by=principal.email or principal.subject,
        )
        .on_conflict_do_nothing(index_elements=["ticket_id", "contact_id"])
        .returning(TicketWatcher.contact_id)
    )
    created = inserted.first() is not None
    watcher = await session.get(TicketWatcher, (ticket_id, contact_id), populate_existing=True)
    assert watcher is not None
    return watcher, created


async def remove_watcher(
    session: AsyncSession,
    principal: Principal,
    tickets: TicketsClient,
    ticket_id: uuid.UUID,
    contact_id: uuid.UUID,
) -> None:
    await _visible_ticket(principal, tickets, ticket_id)
    deleted = await session.execute(
        delete(TicketWatcher)
        .where(TicketWatcher.ticket_id == ticket_id, TicketWatcher.contact_id == contact_id)
        .returning(TicketWatcher.contact_id)
    )
    if deleted.first() is None:
        raise WatcherNotFound()
