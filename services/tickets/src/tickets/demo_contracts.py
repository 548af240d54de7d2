"""Where contracts' demo data is, and its answers for tickets' demo cases, read from contracts'
demo database.

Demo cases are opened (and declared emergencies) through tickets' own service functions, as
the API does; those ask contracts for the entitlement and the services a customer's plans
include. While the demo loads, contracts' API need not run, so the same answers are read
from its database (loaded first, see ``tickets.demo``) for the demo contacts.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from careplane_shared.auth import Principal, Role
from careplane_shared.sla_policy import CalendarSpec, SlaPolicy
from tickets.clients.contracts import ContractsClient


def contracts_url(tickets_url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Contracts' database: the one its runner names (``CONTRACTS_DATABASE_URL``), else the
    dev runner's neighbour of tickets' own (``careplane_tickets`` → ``careplane_contracts``
    on the same server); None when neither is known, and the demo parts skip themselves."""
    given = (os.environ if environ is None else environ).get("CONTRACTS_DATABASE_URL", "").strip()
    if given:
        url = make_url(given)
    else:
        url = make_url(tickets_url)
        if not url.database or "tickets" not in url.database:
            return None
        url = url.set(database=url.database.replace("tickets", "contracts"))
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


log = structlog.get_logger(__name__)


async def seed_on_contracts(
    database_url: str, part: str, load: Callable[[AsyncSession, str], Awaitable[object]]
) -> None:
    """Runs one part's demo loader in one transaction of tickets' database, given where
    contracts' demo data is; skipped (and said so) when that is unknown."""
    contracts = contracts_url(database_url)
    if contracts is None:
        log.warning("demo_skipped", part=part, reason="contracts' database unknown")
        return
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
            await load(session, contracts)
    finally:
        await engine.dispose()


_CONTACT = text(
    """
    SELECT c.id, c.customer_id, c.email, u.name AS customer_name, u.region, u.language,
           u.support_center_id
    FROM contacts c JOIN customers u ON u.id = c.customer_id
    WHERE lower(c.email) = lower(:email)
    """
)
_AGREEMENT = text(
    """
    SELECT a.id, p.id AS plan_id, p.code, p.name, p.sla_policy, p.case_visibility
    FROM agreements a JOIN plans p ON p.id = a.plan_id
    WHERE a.customer_id = :customer AND a.status = 'active' AND p.prerequisite_plan_id IS NULL
    ORDER BY a.starts_on DESC LIMIT 1
    """
)
_IN_FORCE = text(
    """
    SELECT a.id, p.id AS plan_id, p.code, p.services
    FROM agreements a JOIN plans p ON p.id = a.plan_id
    WHERE a.customer_id = :customer AND a.status = 'active'
      AND a.starts_on <= :day AND a.ends_on >= :day
    ORDER BY a.starts_on, a.id
    """
)
_CENTER = text(
    """
    SELECT code, calendar FROM support_centers
    WHERE id = :id OR (CAST(:id AS uuid) IS NULL AND :region = ANY(regions))
    ORDER BY code LIMIT 1
    """
)


class DemoContracts(ContractsClient):
    """Contracts' answers for the demo contacts and their customers, read beforehand."""

    def __init__(
        self,
        entitlements: dict[uuid.UUID, dict[str, Any]],
        included: dict[uuid.UUID, dict[str, Any]] | None = None,
    ) -> None:
        # No HTTP client: nothing here is asked over the network.
        self.entitlements = entitlements
        self.included = included or {}

    async def check_entitlement(self, *, contact_id: uuid.UUID, **_: Any) -> dict[str, Any]:
        return self.entitlements[contact_id]

    async def included_services(self, customer_id: uuid.UUID, day: date) -> dict[str, Any]:
        return self.included[customer_id]


async def entitlement(
    contracts: AsyncConnection, email: str, product_id: uuid.UUID
) -> dict[str, Any] | None:
    """What contracts' entitlement check answers for the contact (None: not in the data)."""
    contact = (await contracts.execute(_CONTACT, {"email": email})).one_or_none()
    if contact is None:
        return None
    agreement = (
        await contracts.execute(_AGREEMENT, {"customer": contact.customer_id})
    ).one_or_none()
    if agreement is None:
        return None
    center = (
        await contracts.execute(
            _CENTER, {"id": contact.support_center_id, "region": contact.region}
        )
    ).one_or_none()
    calendar = CalendarSpec.model_validate(center.calendar) if center else None
    policy = SlaPolicy.model_validate(agreement.sla_policy).resolved(calendar)
    return {
        "entitled": True,
        "reasons": [],
        "sla_policy": policy.model_dump(mode="json"),
        "customer_id": str(contact.customer_id),
        "contact_id": str(contact.id),
        "product_id": str(product_id),
        "agreement_id": str(agreement.id),
        "plan_id": str(agreement.plan_id),
        "plan_code": agreement.code,
        "plan_name": agreement.name,
        "case_visibility": agreement.case_visibility,
        "support_center": center.code if center else None,
        "customer_language": contact.language,
        "checked_at": datetime.now(UTC).date().isoformat(),
    }


async def included_services(
    contracts: AsyncConnection, email: str, day: date
) -> dict[str, Any] | None:
    """What contracts' included-services answer says of the contact's customer on ``day``
    (as ``GET /v1/customers/{id}/included-services``); None: not in the data."""
    contact = (await contracts.execute(_CONTACT, {"email": email})).one_or_none()
    if contact is None:
        return None
    rows = (await contracts.execute(_IN_FORCE, {"customer": contact.customer_id, "day": day})).all()
    agreements = [
        {
            "agreement_id": str(r.id),
            "plan_id": str(r.plan_id),
            "plan_code": r.code,
            "services": list(r.services),
        }
        for r in rows
    ]
    center = (
        await contracts.execute(
            _CENTER, {"id": contact.support_center_id, "region": contact.region}
        )
    ).one_or_none()
    return {
        "customer_id": str(contact.customer_id),
        "customer_name": contact.customer_name,
        "day": day.isoformat(),
        "services": sorted({s for a in agreements for s in a["services"]}),
        "agreements": agreements,
        "support_center": center.code if center else None,
    }


def customer_principal(answer: dict[str, Any], email: str) -> Principal:
    """The demo contact, signed in as its customer's administrator."""
    return Principal(
        subject=answer["contact_id"],
        role=Role.CUSTOMER_ADMIN,
        customer_id=uuid.UUID(answer["customer_id"]),
        email=email,
    )
