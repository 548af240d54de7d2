"""Escalations in both meanings (seed 000) and the contact attempts of the escalation path
(seed 001).

A customer's escalation goes to the Client Services Manager of the customer's region, who
owns it until it is resolved; staff's internal escalation hands the case to a team until
the team returns it. Either way the case is ESCALATED while one is open and goes back to
the status it had when the last one ends. Every change goes through
:func:`tickets.ticket.transitions.move` (history, clocks, events in one transaction).

What is internal stays with staff: an internal escalation's entry is an internal history
line, its reason and team are never in an event (events reach customers' own webhooks and
chat channels) nor in a customer's view.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, Role
from careplane_shared.events import Outbox
from careplane_shared.pagination import PageParams
from tickets import access
from tickets.escalation import rules
from tickets.escalation.csm import ManagerLookup
from tickets.escalation.exceptions import (
    EscalationOpen,
    NoOpenEscalation,
    NotEscalationOwner,
    ReasonRequired,
    ResolutionRequired,
    TeamRequired,
)
from tickets.escalation.models import ContactAttempt, Escalation
from tickets.escalation.schemas import (
    ContactAttemptPage,
    ContactAttemptRead,
    EscalationOwner,
    EscalationRead,
)
from tickets.models import Ticket
from tickets.ticket import repository
from tickets.ticket.exceptions import EntitlementPending, TicketClosed
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import EscalationKind, Status
from tickets.ticket.transitions import Emit, TicketChange, actor, entry, move


def view(row: Escalation) -> EscalationRead:
    owner = (
        EscalationOwner(id=row.owner_id, email=row.owner_email, name=row.owner_name)
        if row.kind == EscalationKind.CUSTOMER.value
        else None
    )
    return EscalationRead(
        id=row.id,
        ticket_id=row.ticket_id,
        kind=EscalationKind(row.kind),
        reason=row.reason,
        team=row.team,
        owner=owner,
        previous_status=row.previous_status,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        open=row.resolved_at is None,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
    )


async def _open(
    session: AsyncSession, ticket_id: uuid.UUID, kind: EscalationKind
) -> Escalation | None:
    found: Escalation | None = await session.scalar(
        select(Escalation).where(
            Escalation.ticket_id == ticket_id,
            Escalation.kind == kind.value,
            Escalation.resolved_at.is_(None),
        )
    )
    return found


def _other(kind: EscalationKind) -> EscalationKind:
    return EscalationKind.CUSTOMER if kind is EscalationKind.INTERNAL else EscalationKind.INTERNAL


def _check_open_case(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED.value:
        raise TicketClosed()
    if ticket.status == Status.NEW.value:
        raise EntitlementPending()


async def escalate(
    session: AsyncSession,
    outbox: Outbox,
    *,
    find_manager: ManagerLookup,
    principal: Principal,
    ticket_id: uuid.UUID,
    kind: EscalationKind,
    reason: str | None,
    team: str | None,
    policy: TicketPolicy,
) -> TicketChange:
    """CUSTOMER (the customer, or staff on its behalf): the region's Client Services
    Manager owns it. INTERNAL (staff): the case goes to ``team``. The case becomes
    ESCALATED; ``ticket.escalated`` tells who must act. ``find_manager`` names the Client
    Services Manager of a customer's region (contracts, through :mod:`.csm`)."""
    internal = kind is EscalationKind.INTERNAL
    if internal and not access.may_escalate_internally(principal):
        raise access.RoleForbidden("Only staff escalate internally.")
    if not internal and not (principal.is_customer or principal.is_staff):
        raise access.RoleForbidden("A customer's escalation comes from the customer or staff.")
    seen = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    _check_open_case(seen)
    why = rules.given(reason)
    if why is None:
        raise ReasonRequired()
    team_name = rules.team_name(team) if internal else None
    if internal and team_name is None:
        raise TeamRequired()
    # Asked before the case is locked: no lock is held while contracts answers.
    manager = None if internal else await find_manager(seen.customer_id)
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    _check_open_case(ticket)
    already = await _open(session, ticket.id, kind)
    if already is not None:
        raise EscalationOpen(details={"kind": kind.value, "escalation_id": str(already.id)})
    # Already ESCALATED by the other kind: both go back to where the case was before it.
    other = await _open(session, ticket.id, _other(kind))
    previous = other.previous_status if other is not None else ticket.status
    now = datetime.now(UTC)
    row = Escalation(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        kind=kind.value,
        reason=why,
        team=team_name,
        owner_id=manager.id if manager else None,
        owner_email=manager.email if manager else None,
        owner_name=manager.name if manager else None,
        previous_status=previous,
        opened_by=actor(principal)[0],
        opened_at=now,
    )
    session.add(row)
    extra: dict[str, object] = {
        "kind": kind.value,
        "escalation_id": str(row.id),
        "previous_status": ticket.status,
        "support_center": ticket.support_center,
    }
    if not internal:
        extra |= {
            "reason": why,
            "csm_id": str(manager.id) if manager else None,
            "csm_email": manager.email if manager else None,
            "csm_name": manager.name if manager else None,
        }
    return await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=principal,
        to=Status.ESCALATED,
        reason=None if internal else why,
        entries=[
            entry(
                ticket,
                "ESCALATED",
                at=now,
                by=principal,
                to_value=kind.value,
                reason=why,
                internal=internal,
            )
        ],
        emits=[Emit("ticket.escalated", extra)],
    )


def _may_resolve(principal: Principal, row: Escalation) -> bool:
    if principal.role in (Role.ADMIN, Role.MANAGER):
        return True
    mine = {principal.subject, (principal.email or "").lower()}
    return str(row.owner_id) in mine or (row.owner_email or "").lower() in mine


async def _end(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket: Ticket,
    row: Escalation,
    text: str | None,
    policy: TicketPolicy,
) -> TicketChange:
    """Closes ``row``; the case goes back to where it was unless another escalation (of
    the other kind) keeps it ESCALATED or staff moved it meanwhile."""
    internal = row.kind == EscalationKind.INTERNAL.value
    now = datetime.now(UTC)
    row.resolved_at = now
    row.resolved_by = actor(principal)[0]
    row.resolution = text
    target = None
    if ticket.status == Status.ESCALATED.value:
        still = await _open(session, ticket.id, _other(EscalationKind(row.kind)))
        target = rules.status_after(row.previous_status, other_open=still is not None)
    extra: dict[str, object] = {"kind": row.kind, "escalation_id": str(row.id)}
    if not internal:
        extra |= {"resolution": text, "csm_email": row.owner_email}
    return await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=principal,
        to=target,
        entries=[
            entry(
                ticket,
                "RETURNED_FROM_TEAM" if internal else "ESCALATION_RESOLVED",
                at=now,
                by=principal,
                from_value=row.team,
                to_value=row.kind,
                reason=text,
                internal=internal,
            )
        ],
        emits=[Emit("ticket.escalation_resolved", extra)],
    )


async def resolve(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    resolution: str | None,
    policy: TicketPolicy,
) -> TicketChange:
    """The customer's open escalation ends: by its Client Services Manager, or a manager
    or administrator."""
    access.ensure_staff(principal, "resolve a customer's escalation")
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    row = await _open(session, ticket.id, EscalationKind.CUSTOMER)
    if row is None:
        raise NoOpenEscalation(details={"kind": EscalationKind.CUSTOMER.value})
    if not _may_resolve(principal, row):
        raise NotEscalationOwner(details={"owner": row.owner_email})
    text = rules.given(resolution)
    if text is None:
        raise ResolutionRequired()
    return await _end(
        session, outbox, principal=principal, ticket=ticket, row=row, text=text, policy=policy
    )


async def return_from_team(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    note: str | None,
    policy: TicketPolicy,
) -> TicketChange:
    """The team is done: the case comes back (staff)."""
    access.ensure_staff(principal, "return a case from a team")
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    row = await _open(session, ticket.id, EscalationKind.INTERNAL)
    if row is None:
        raise NoOpenEscalation(details={"kind": EscalationKind.INTERNAL.value})
    return await _end(
        session,
        outbox,
        principal=principal,
        ticket=ticket,
        row=row,
        text=rules.given(note),
        policy=policy,
    )


async def escalations(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID
) -> list[EscalationRead]:
    """Oldest first; a customer's caller sees its CUSTOMER escalations only."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    query = select(Escalation).where(Escalation.ticket_id == ticket.id)
    if principal.is_customer:
        query = query.where(Escalation.kind == EscalationKind.CUSTOMER.value)
    rows = await session.scalars(query.order_by(Escalation.opened_at, Escalation.id))
    return [view(r) for r in rows]


# -- the escalation path: email → phone → web conference (seed 001) --------------------------


async def _tried(
    session: AsyncSession, ticket_id: uuid.UUID, escalation_id: uuid.UUID | None
) -> list[rules.ContactChannel]:
    rows = await session.scalars(
        select(ContactAttempt.channel).where(
            ContactAttempt.ticket_id == ticket_id,
            ContactAttempt.escalation_id.is_(None)
            if escalation_id is None
            else ContactAttempt.escalation_id == escalation_id,
        )
    )
    return [rules.ContactChannel(c) for c in rows]


async def record_attempt(
    session: AsyncSession,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    channel: rules.ContactChannel,
    outcome: rules.ContactOutcome,
    note: str | None,
) -> ContactAttempt:
    """Staff record one attempt to reach the customer; it belongs to the case's open
    customer escalation when there is one. A later step before an earlier one is allowed
    and kept as ``skipped_ahead``."""
    access.ensure_staff(principal, "record contact attempts")
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    if ticket.status == Status.CLOSED.value:
        raise TicketClosed()
    open_escalation = await _open(session, ticket.id, EscalationKind.CUSTOMER)
    escalation_id = open_escalation.id if open_escalation else None
    tried = await _tried(session, ticket.id, escalation_id)
    attempt = ContactAttempt(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        escalation_id=escalation_id,
        channel=channel.value,
        step=rules.step_of(channel),
        skipped_ahead=rules.skips_ahead(channel, tried),
        outcome=outcome.value,
        note=rules.given(note),
        by=actor(principal)[0],
        at=datetime.now(UTC),
    )
    session.add(attempt)
    await session.flush()
    return attempt


def attempt_view(attempt: ContactAttempt, principal: Principal) -> ContactAttemptRead:
    read = ContactAttemptRead.model_validate(attempt)
    return read.model_copy(update={"note": None}) if principal.is_customer else read


async def attempts(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID, page: PageParams
) -> ContactAttemptPage:
    """Oldest first, with the path and its next step."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    where = ContactAttempt.ticket_id == ticket.id
    total = await session.scalar(select(func.count()).select_from(ContactAttempt).where(where))
    rows = await session.scalars(
        select(ContactAttempt)
        .where(where)
        .order_by(ContactAttempt.at, ContactAttempt.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    open_escalation = await _open(session, ticket.id, EscalationKind.CUSTOMER)
    tried = await _tried(session, ticket.id, open_escalation.id if open_escalation else None)
    return ContactAttemptPage(
        items=[attempt_view(a, principal) for a in rows],
        total=total or 0,
        limit=page.limit,
        offset=page.offset,
        path=list(rules.PATH),
        next_step=rules.next_step(tried),
    )
