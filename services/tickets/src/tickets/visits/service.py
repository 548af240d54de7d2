"""Scheduled customer visits (seed 001): staff book them, or a customer requests one and
staff confirm it, at least 48 hours ahead and only where the customer's plan includes
``scheduled_visits``. While a confirmed visit runs, the customer's new cases are visit
cases (:func:`running_visit`, asked by the open path). Events: ``visit.requested``,
``visit.confirmed``, ``visit.cancelled``; ``visit.started`` comes from the start worker
(:mod:`tickets.visits.worker`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from tickets import access
from tickets.clients.contracts import ContractsClient
from tickets.models import Ticket
from tickets.ticket import sla_policies
from tickets.visits import rules
from tickets.visits.exceptions import (
    CustomerRequired,
    VisitAlreadyCancelled,
    VisitAlreadyStarted,
    VisitNotFound,
    VisitNotInPlan,
    VisitNotRequested,
    VisitOverlaps,
    VisitTooSoon,
    VisitWindowInvalid,
)
from tickets.visits.models import Visit
from tickets.visits.plan_services import included
from tickets.visits.rules import VisitRuleError, VisitStatus, Window
from tickets.visits.schemas import VisitCreate

_RULE_ERRORS = {"VISIT_TOO_SOON": VisitTooSoon, "VISIT_WINDOW_INVALID": VisitWindowInvalid}


def _checked(check: Any, *args: Any) -> None:
    try:
        check(*args)
    except VisitRuleError as exc:
        raise _RULE_ERRORS[exc.code](str(exc)) from exc


def _who(principal: Principal) -> str:
    return principal.email or principal.subject


def visit_data(visit: Visit, **extra: Any) -> dict[str, Any]:
    """The payload of every ``visit.*`` event."""
    return {
        "visit_id": str(visit.id),
        "customer_id": str(visit.customer_id),
        "customer_name": visit.customer_name,
        "support_center": visit.support_center,
        "status": visit.status,
        "starts_at": visit.starts_at.isoformat(),
        "ends_at": visit.ends_at.isoformat(),
        "purpose": visit.purpose,
        "location": visit.location,
        **extra,
    }


async def schedule(
    session: AsyncSession,
    outbox: Outbox,
    *,
    contracts: ContractsClient,
    principal: Principal,
    data: VisitCreate,
) -> Visit:
    """Staff book a CONFIRMED visit for a customer; a customer's caller asks for one
    (REQUESTED) for its own customer. Refused: ``VISIT_TOO_SOON``, ``VISIT_WINDOW_INVALID``,
    ``VISIT_NOT_IN_PLAN``, ``VISIT_OVERLAPS``."""
    now = datetime.now(UTC)
    if principal.is_customer:
        customer_id = access.tenant_of(principal)
        if data.customer_id is not None and data.customer_id != customer_id:
            raise VisitNotFound("No such customer.", code="CUSTOMER_NOT_FOUND")
    elif principal.is_staff:
        customer_id = data.customer_id
    else:
        raise access.RoleForbidden("Staff book visits; a customer asks for one.")
    if customer_id is None:
        raise CustomerRequired()
    _checked(rules.check_window, data.starts_at, data.ends_at)
    _checked(rules.check_lead_time, data.starts_at, now)
    answer = await included(contracts, customer_id, data.starts_at.astimezone(UTC).date())
    if rules.SERVICE not in answer.get("services", []):
        raise VisitNotInPlan(details={"services": answer.get("services", [])})
    await _ensure_free(session, customer_id, data.starts_at, data.ends_at)
    confirmed = principal.is_staff
    visit = Visit(
        id=uuid.uuid4(),
        customer_id=customer_id,
        customer_name=answer.get("customer_name"),
        support_center=answer.get("support_center"),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status=(VisitStatus.CONFIRMED if confirmed else VisitStatus.REQUESTED).value,
        purpose=data.purpose,
        location=data.location,
        requested_by=_who(principal),
        booked_by=_who(principal) if confirmed else None,
        confirmed_at=now if confirmed else None,
        created_at=now,
    )
    session.add(visit)
    await session.flush()
    kind = "visit.confirmed" if confirmed else "visit.requested"
    await outbox.emit(session, kind, visit_data(visit), subject=str(visit.id))
    return visit


async def _ensure_free(
    session: AsyncSession,
    customer_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    *,
    besides: uuid.UUID | None = None,
) -> None:
    # One booking per customer at a time, so two that overlap cannot both find the time free.
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(f"tickets.visits:{customer_id}")))
    )
    rows = await session.scalars(
        select(Visit).where(
            Visit.customer_id == customer_id,
            Visit.status != VisitStatus.CANCELLED.value,
            Visit.starts_at < ends_at,
            Visit.ends_at > starts_at,
        )
    )
    others = [Window(v.starts_at, v.ends_at, v.status) for v in rows if v.id != besides]
    clash = rules.first_overlap(Window(starts_at, ends_at, VisitStatus.REQUESTED), others)
    if clash is not None:
        raise VisitOverlaps(
            details={"starts_at": clash.starts_at.isoformat(), "ends_at": clash.ends_at.isoformat()}
        )


async def get_visit(
    session: AsyncSession, principal: Principal, visit_id: uuid.UUID, *, lock: bool = False
) -> Visit:
    """Another customer's visit answers exactly as an unknown one (404)."""
    query = select(Visit).where(Visit.id == visit_id)
    if lock:
        query = query.with_for_update()
    visit = await session.scalar(query)
    if visit is None or not principal.can_access_customer(visit.customer_id):
        raise VisitNotFound()
    return visit


async def confirm(
    session: AsyncSession, outbox: Outbox, *, principal: Principal, visit_id: uuid.UUID
) -> Visit:
    """Staff confirm a requested visit, still at least 48 hours before it starts."""
    if not principal.is_customer and not principal.is_staff:
        raise access.RoleForbidden("Staff confirm visits.")
    visit = await get_visit(session, principal, visit_id, lock=True)
    access.ensure_staff(principal, "confirm visits")
    if visit.status != VisitStatus.REQUESTED.value:
        raise VisitNotRequested(details={"status": visit.status})
    now = datetime.now(UTC)
    _checked(rules.check_lead_time, visit.starts_at, now)
    visit.status = VisitStatus.CONFIRMED.value
    visit.booked_by = _who(principal)
    visit.confirmed_at = now
    await session.flush()
    await outbox.emit(session, "visit.confirmed", visit_data(visit), subject=str(visit.id))
    return visit


async def cancel(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    visit_id: uuid.UUID,
    reason: str,
) -> Visit:
    """Staff, or the customer's own callers, cancel a visit that has not started."""
    visit = await get_visit(session, principal, visit_id, lock=True)
    if not principal.is_customer and not principal.is_staff:
        raise access.RoleForbidden("Staff or the customer cancel a visit.")
    if visit.status == VisitStatus.CANCELLED.value:
        raise VisitAlreadyCancelled()
    now = datetime.now(UTC)
    if visit.starts_at <= now:
        raise VisitAlreadyStarted()
    visit.status = VisitStatus.CANCELLED.value
    visit.cancelled_by = _who(principal)
    visit.cancelled_at = now
    visit.cancel_reason = reason
    await session.flush()
    await outbox.emit(
        session, "visit.cancelled", visit_data(visit, reason=reason), subject=str(visit.id)
    )
    return visit


async def list_visits(
    session: AsyncSession,
    principal: Principal,
    *,
    customer_id: uuid.UUID | None,
    status: VisitStatus | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Visit], int]:
    """Visits that overlap ``[since, until)``, soonest first; a customer's callers see
    their own customer's only (another customer's id lists nothing)."""
    where = []
    tenant = access.tenant_of(principal)
    if tenant is not None:
        where.append(Visit.customer_id == tenant)
    elif principal.is_customer:
        where.append(Visit.id.is_(None))
    if customer_id is not None:
        where.append(Visit.customer_id == customer_id)
    if status is not None:
        where.append(Visit.status == status.value)
    if since is not None:
        where.append(Visit.ends_at > since)
    if until is not None:
        where.append(Visit.starts_at < until)
    total = await session.scalar(select(func.count()).select_from(Visit).where(*where))
    rows = await session.scalars(
        select(Visit).where(*where).order_by(Visit.starts_at, Visit.id).limit(limit).offset(offset)
    )
    return rows.all(), total or 0


async def is_visit_case(session: AsyncSession, ticket: Ticket, received_at: datetime) -> bool:
    """Whether a case being opened is a visit case: its customer has a confirmed visit
    running when it was received. Only a plan with a visit target asks (the flag selects
    that target and nothing else): the open of any other case stays at its two
    statements."""
    policy = sla_policies.parse(ticket.sla_policy) if ticket.sla_policy else None
    if ticket.customer_id is None or policy is None:
        return False
    if not any(target.scheduled_visit for target in policy.targets):
        return False
    return await running_visit(session, ticket.customer_id, received_at) is not None


async def running_visit(
    session: AsyncSession, customer_id: uuid.UUID, at: datetime
) -> uuid.UUID | None:
    """The customer's confirmed visit running at ``at`` (what makes a new case a visit
    case), if any: one indexed lookup in the open's transaction."""
    return await session.scalar(
        select(Visit.id)
        .where(
            Visit.customer_id == customer_id,
            Visit.status == VisitStatus.CONFIRMED.value,
            Visit.starts_at <= at,
            Visit.ends_at > at,
        )
        .limit(1)
    )
