"""The events customers and contacts put in the outbox (docs/domain.md names them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import Outbox
from contracts.customers.schemas import CustomerRead
from contracts.models import Contact, Customer


def customer_data(customer: Customer) -> dict[str, Any]:
    return CustomerRead.model_validate(customer).model_dump(mode="json")


async def contact_added(session: AsyncSession, outbox: Outbox, contact: Contact) -> None:
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


async def contact_updated(
    session: AsyncSession, outbox: Outbox, contact: Contact, changed: Iterable[str]
) -> None:
    await outbox.emit(
        session,
        "customer.contact_updated",
        {
            "customer_id": str(contact.customer_id),
            "contact_id": str(contact.id),
            "changed": sorted(changed),
        },
        subject=str(contact.customer_id),
    )
