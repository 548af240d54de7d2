"""The entitlement check's reads: what it must know fresh about the caller's contact,
customer, agreements and quota, in one statement (the catalogue it reads from
:mod:`contracts.entitlement.catalogue`).

The statement is built once, at import, with bound parameters: building a select with
its joins and lateral subquery costs more CPU than running it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Uuid, and_, bindparam, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.entitlement.rules import ContactFacts
from contracts.models import Agreement, Contact, Customer, QuotaEntry, agreement_products

_contacts = Contact.__table__
_customers = Customer.__table__
_agreements = Agreement.__table__
_entries = QuotaEntry.__table__

_CONTACT_ID = bindparam("contact_id", type_=Uuid())
_DAY = bindparam("day", type_=Date())

_active_on_day = and_(
    _agreements.c.status == "active",
    _agreements.c.starts_on <= _DAY,
    _agreements.c.ends_on >= _DAY,
)

# Each agreement of the contact's customer with the products it covers and, while it is
# active on the day asked about, the quota it has left (the ledger's sum, never a counter).
_customer_agreements = (
    select(
        _agreements.c.id.label("agreement_id"),
        _agreements.c.status,
        _agreements.c.starts_on,
        _agreements.c.ends_on,
        select(func.array_agg(agreement_products.c.product_id))
        .where(agreement_products.c.agreement_id == _agreements.c.id)
        .scalar_subquery()
        .label("product_ids"),
        case(
            (
                _active_on_day,
                select(func.coalesce(func.sum(_entries.c.amount), 0))
                .where(_entries.c.agreement_id == _agreements.c.id)
                .scalar_subquery(),
            ),
        ).label("remaining"),
        _agreements.c.plan_id,
    )
    .where(_agreements.c.customer_id == _contacts.c.customer_id)
    .lateral("customer_agreements")
)

_FACTS = (
    select(
        _contacts.c.id,
        _contacts.c.customer_id,
        _contacts.c.registered,
        _contacts.c.active,
        _contacts.c.pending,
        _contacts.c.is_admin,
        _customers.c.standing,
        _customers.c.language,
        _customers.c.region,
        _customers.c.support_center_id,
        _customer_agreements,
    )
    .select_from(
        _contacts.join(_customers, _customers.c.id == _contacts.c.customer_id).outerjoin(
            _customer_agreements, true()
        )
    )
    .where(_contacts.c.id == _CONTACT_ID)
    .order_by(_customer_agreements.c.agreement_id)
)


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """An agreement as stored now; ``remaining`` only while it is active on the day."""

    id: uuid.UUID
    status: str
    starts_on: date
    ends_on: date
    product_ids: frozenset[uuid.UUID]
    remaining: int | None
    plan_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CallerFacts:
    contact: ContactFacts
    standing: str
    language: str
    region: str
    support_center_id: uuid.UUID | None
    agreements: Sequence[AgreementRow]


async def caller_facts(
    session: AsyncSession, contact_id: uuid.UUID, day: date
) -> CallerFacts | None:
    """The contact, its customer as it stands now and the customer's agreements (those
    covering at least one product) with their quota left on ``day``; None without such a
    contact."""
    rows = (await session.execute(_FACTS, {"contact_id": contact_id, "day": day})).all()
    if not rows:
        return None
    first = rows[0]
    return CallerFacts(
        contact=ContactFacts(
            id=first.id,
            customer_id=first.customer_id,
            registered=first.registered,
            # An invitation not yet accepted is no active contact.
            active=first.active and not first.pending,
            is_admin=first.is_admin,
        ),
        standing=first.standing,
        language=first.language,
        region=first.region,
        support_center_id=first.support_center_id,
        agreements=[
            AgreementRow(
                id=row.agreement_id,
                status=row.status,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                product_ids=frozenset(row.product_ids),
                remaining=None if row.remaining is None else int(row.remaining),
                plan_id=row.plan_id,
            )
            for row in rows
            if row.product_ids  # an agreement covering nothing is no agreement to check
        ],
    )
