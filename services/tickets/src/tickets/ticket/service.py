"""Opening cases, moving them through their statuses, and the conversation.

Every change writes the case's history (the source of its SLA clocks), recomputes the
clocks and timers, and emits its event through the outbox, in the request's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, PrincipalKind
from careplane_shared.errors import CareplaneError, Conflict, Forbidden, NotFound, ValidationFailed
from careplane_shared.events import Outbox
from careplane_shared.sla_policy import SlaPolicy
from tickets import access
from tickets.clients.contracts import ContractsClient, ContractsUnavailable
from tickets.models import Message, Ticket, TicketEvent, ticket_number_seq
from tickets.sla import SlaClock
from tickets.ticket import clocks
from tickets.ticket.rules import (
    EscalationKind,
    Status,
    TransitionError,
    check_staff_transition,
    severity,
)
from tickets.ticket.schemas import TicketOpen

log = structlog.get_logger(__name__)


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"
    message = "No such ticket."


class ContactNotFound(NotFound):
    """The same answer for a contact that does not exist and one of another customer."""

    code = "CONTACT_NOT_FOUND"
    message = "No such contact."


class NotEntitled(CareplaneError):
    status_code = 403
    code = "NOT_ENTITLED"
    message = "This contact may not open this case."


@dataclass(frozen=True, slots=True)
class TicketPolicy:
    """Per-deployment settings the rules need."""

    number_prefix: str
    warning_fraction: float


def _actor(principal: Principal) -> tuple[str, str]:
    kind = "customer" if principal.is_customer else "staff" if principal.is_staff else "system"
    return principal.email or principal.subject, kind


def event_data(ticket: Ticket, **extra: Any) -> dict[str, Any]:
    return {
        "ticket_id": str(ticket.id),
        "number": ticket.number,
        "customer_id": str(ticket.customer_id) if ticket.customer_id else None,
        "contact_id": str(ticket.contact_id),
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "product_id": str(ticket.product_id),
        "version": ticket.version,
        "language": ticket.language,
        "agreement_id": str(ticket.agreement_id) if ticket.agreement_id else None,
        "case_visibility": ticket.case_visibility,
        **extra,
    }


def _history(
    ticket: Ticket,
    kind: str,
    at: datetime,
    principal: Principal | None,
    *,
    from_value: str | None = None,
    to_value: str | None = None,
    reason: str | None = None,
    message_id: uuid.UUID | None = None,
    automated: bool = False,
    internal: bool = False,
) -> TicketEvent:
    actor_id, actor_kind = _actor(principal) if principal else ("careplane", "system")
    return TicketEvent(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        at=at,
        kind=kind,
        actor_id=actor_id,
        actor_kind=actor_kind,
        from_value=from_value,
        to_value=to_value,
        reason=reason,
        message_id=message_id,
        automated=automated,
        internal=internal,
    )


async def _refresh_clocks(
    session: AsyncSession,
    ticket: Ticket,
    rules: TicketPolicy,
    now: datetime,
    *,
    new_history: list[TicketEvent] | None = None,
) -> list[SlaClock]:
    """``new_history``: a case just opened, whose whole history is in hand and which has
    no timers yet (saves a read and a delete on the busiest path)."""
    await session.flush()
    history = (
        new_history if new_history is not None else await clocks.history_of(session, ticket.id)
    )
    computed = clocks.compute(ticket, history, now)
    await clocks.reschedule(
        session,
        ticket,
        computed,
        warning_fraction=rules.warning_fraction,
        fresh=new_history is not None,
    )
    # The answer shows the clocks just computed; reading the history again would be waste.
    session.info.setdefault("clocks", {})[ticket.id] = computed
    return computed


def _apply_entitlement(
    ticket: Ticket, answer: dict[str, Any], requested_priority: str | None
) -> None:
    policy = SlaPolicy.model_validate(answer["sla_policy"])
    priority = requested_priority or policy.default_priority
    if priority not in policy.priorities:
        raise ValidationFailed(
            f"Priority {priority!r} is not one of this plan's: {', '.join(policy.priorities)}.",
            code="PRIORITY_UNKNOWN",
            details={"allowed": policy.priorities},
        )
    ticket.customer_id = uuid.UUID(answer["customer_id"])
    ticket.entitlement_status = "entitled"
    ticket.entitlement = {
        key: answer.get(key)
        for key in (
            "reasons",
            "phase",
            "scope",
            "quota_remaining",
            "billable",
            "plan_name",
            "checked_at",
        )
    }
    ticket.sla_policy = policy.model_dump(mode="json")
    ticket.priority = priority
    ticket.severity = severity(priority)
    ticket.agreement_id = uuid.UUID(answer["agreement_id"]) if answer.get("agreement_id") else None
    ticket.plan_id = uuid.UUID(answer["plan_id"]) if answer.get("plan_id") else None
    ticket.plan_code = answer.get("plan_code")
    ticket.case_visibility = answer.get("case_visibility") or "customer"
    ticket.support_center = answer.get("support_center")
    ticket.billable = bool(answer.get("billable"))
    if not ticket.language or ticket.language == "auto":
        ticket.language = answer.get("customer_language") or "en"


def _refusal(answer: dict[str, Any]) -> NotEntitled:
    reasons = answer.get("reasons", [])
    return NotEntitled(
        f"Not entitled: {', '.join(reasons) or 'no reason given'}.",
        details={"reasons": reasons, "phase": answer.get("phase")},
    )


def _sla_inputs_given(data: TicketOpen) -> dict[str, object]:
    """The SLA inputs the caller set to something a customer cannot claim for itself."""
    given: dict[str, object] = {}
    if data.received_at is not None:
        given["received_at"] = data.received_at
    if data.channel not in access.CUSTOMER_CHANNELS:
        given["channel"] = data.channel
    if data.scheduled_visit:
        given["scheduled_visit"] = True
    return given


async def open_ticket(
    session: AsyncSession,
    outbox: Outbox,
    contracts: ContractsClient,
    principal: Principal,
    data: TicketOpen,
    rules: TicketPolicy,
) -> Ticket:
    now = datetime.now(UTC)
    access.ensure_sla_inputs(principal, _sla_inputs_given(data))
    if not access.may_open_for(principal, data.contact_id):
        raise Forbidden("Contacts open cases for themselves.", code="CONTACT_FORBIDDEN")
    if data.contact_id is not None:
        contact_id = data.contact_id
    elif principal.kind is PrincipalKind.CUSTOMER:
        contact_id = uuid.UUID(principal.subject)
    else:
        raise ValidationFailed("contact_id names the requester.", code="CONTACT_REQUIRED")
    received_at = data.received_at or now
    if received_at.tzinfo is None:
        raise ValidationFailed("received_at needs a time zone.", code="RECEIVED_AT_INVALID")
    if received_at > now:
        raise ValidationFailed("received_at cannot be in the future.", code="RECEIVED_AT_IN_FUTURE")
    # A customer's caller names one of its own customer's contacts: contracts, told whose
    # caller asks, answers any other contact exactly as an unknown one (404
    # CONTACT_NOT_FOUND) before anything is said about entitlement. When contracts cannot
    # be reached the case waits as pending, and the recheck asks the same way.
    tenant = access.tenant_of(principal)
    try:
        answer: dict[str, Any] | None = await contracts.check_entitlement(
            contact_id=contact_id,
            product_id=data.product_id,
            version=data.version,
            at=received_at,
            customer_id=tenant,
        )
    except ContractsUnavailable as exc:
        log.warning("entitlement_pending", error=str(exc))
        answer = None
    except CareplaneError as exc:
        if exc.code == ContactNotFound.code:
            raise ContactNotFound() from exc
        raise
    if answer is not None and tenant is not None and answer.get("customer_id") != str(tenant):
        # Contracts keeps this wall already; checked again here, before the entitlement's
        # reasons, because they are another customer's business.
        raise ContactNotFound()
    if answer is not None and not answer["entitled"]:
        raise _refusal(answer)

    number = await session.scalar(select(ticket_number_seq.next_value()))
    ticket = Ticket(
        id=uuid.uuid4(),
        number=f"{rules.number_prefix}-{received_at.year}-{number:06d}",
        customer_id=principal.customer_id,
        contact_id=contact_id,
        product_id=data.product_id,
        version=data.version,
        subject=data.subject,
        description=data.description,
        error_code=data.error_code,
        error_message=data.error_message,
        steps_to_reproduce=data.steps_to_reproduce,
        type=data.type.value,
        priority=data.priority,
        severity=severity(data.priority),
        language=data.language or "auto",
        channel=data.channel.value,
        external_refs=data.external_refs,
        status=Status.NEW.value,
        received_at=received_at,
        entitlement_status="pending",
        scheduled_visit=data.scheduled_visit,
        opened_by=principal.email or principal.subject,
    )
    if answer is not None:
        _apply_entitlement(ticket, answer, data.priority)
    elif ticket.language == "auto":
        ticket.language = "en"
    session.add(ticket)
    await session.flush()
    history = [_history(ticket, "OPENED", received_at, principal, to_value=ticket.priority)]
    if answer is not None:
        ticket.status = Status.OPEN.value
        history.append(
            _history(ticket, "STATUS_CHANGE", received_at, None, from_value="NEW", to_value="OPEN")
        )
    session.add_all(history)
    await _refresh_clocks(session, ticket, rules, now, new_history=history)
    await outbox.emit(
        session,
        "ticket.opened",
        event_data(ticket, channel=ticket.channel, entitlement_status=ticket.entitlement_status),
        subject=ticket.number,
    )
    return ticket


async def recheck_pending(
    session: AsyncSession,
    outbox: Outbox,
    contracts: ContractsClient,
    rules: TicketPolicy,
    limit: int = 20,
) -> int:
    """Asks contracts again about cases accepted while it was unreachable. A case is never
    lost: entitled cases open, refused ones are closed with the reasons on record.

    A case a customer's caller opened is asked for on that customer's behalf (its
    ``customer_id`` is already the opener's): a contact of another customer comes back as
    an unknown one and the case is closed as ``CONTACT_NOT_FOUND``, still the opener's,
    with nothing of the other customer on record."""
    pending = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.entitlement_status == "pending")
            .order_by(Ticket.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    now = datetime.now(UTC)
    settled = 0
    for ticket in pending:
        try:
            answer = await contracts.check_entitlement(
                contact_id=ticket.contact_id,
                product_id=ticket.product_id,
                version=ticket.version,
                at=ticket.received_at,
                customer_id=ticket.customer_id,
            )
        except ContractsUnavailable:
            break
        except CareplaneError as exc:
            answer = {"entitled": False, "reasons": [exc.code], "customer_id": None}
        opener = ticket.customer_id
        if opener is not None and answer.get("customer_id") not in (None, str(opener)):
            # Opened by one customer naming another's contact: never hand it to the other.
            answer = {"entitled": False, "reasons": ["CONTACT_NOT_FOUND"], "customer_id": None}
        if answer["entitled"]:
            try:
                _apply_entitlement(ticket, answer, ticket.priority)
            except ValidationFailed:
                _apply_entitlement(ticket, answer, None)
            ticket.status = Status.OPEN.value
            session.add(
                _history(
                    ticket,
                    "STATUS_CHANGE",
                    now,
                    None,
                    from_value="NEW",
                    to_value="OPEN",
                    reason="entitlement confirmed",
                )
            )
            await _refresh_clocks(session, ticket, rules, now)
            await outbox.emit(
                session,
                "ticket.status_changed",
                event_data(ticket, previous_status="NEW"),
                subject=ticket.number,
            )
        else:
            ticket.entitlement_status = "refused"
            ticket.entitlement = {"reasons": answer.get("reasons", [])}
            if answer.get("customer_id"):
                ticket.customer_id = uuid.UUID(answer["customer_id"])
            ticket.status = Status.CLOSED.value
            ticket.closed_at = now
            ticket.resolution = "Not entitled: " + ", ".join(answer.get("reasons", []))
            session.add(
                _history(
                    ticket,
                    "STATUS_CHANGE",
                    now,
                    None,
                    from_value="NEW",
                    to_value="CLOSED",
                    reason=ticket.resolution,
                )
            )
            await _refresh_clocks(session, ticket, rules, now)
            await outbox.emit(
                session,
                "ticket.closed",
                event_data(ticket, resolution=ticket.resolution, counts_against_quota=False),
                subject=ticket.number,
            )
        settled += 1
    return settled


async def get_ticket(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, *, lock: bool = False
) -> Ticket:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update()
    ticket = await session.scalar(query)
    if ticket is None or not access.may_see_ticket(principal, ticket):
        raise TicketNotFound()
    return ticket


async def visible_tickets(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> list[Ticket]:
    rows = await session.scalars(
        select(Ticket).where(Ticket.id.in_(ids), access.visible_clause(principal))
    )
    return list(rows)


async def get_by_number(session: AsyncSession, principal: Principal, number: str) -> Ticket:
    ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None or not access.may_see_ticket(principal, ticket):
        raise TicketNotFound()
    return ticket


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status: Sequence[Status] = ()
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    language: str | None = None
    support_center: str | None = None
    search: str | None = None
    open_only: bool = False


def _filtered(query: Any, principal: Principal, f: TicketFilter) -> Any:
    query = query.where(access.visible_clause(principal))
    if f.status:
        query = query.where(Ticket.status.in_([s.value for s in f.status]))
    if f.open_only:
        query = query.where(Ticket.status != Status.CLOSED.value)
    for column, value in (
        (Ticket.customer_id, f.customer_id),
        (Ticket.contact_id, f.contact_id),
        (Ticket.product_id, f.product_id),
        (Ticket.assignee_id, f.assignee_id),
        (Ticket.language, f.language),
        (Ticket.support_center, f.support_center),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.search:
        pattern = f"%{f.search}%"
        query = query.where(Ticket.subject.ilike(pattern) | (Ticket.number == f.search))
    return query


async def list_tickets(
    session: AsyncSession, principal: Principal, f: TicketFilter, *, limit: int, offset: int
) -> tuple[Sequence[Ticket], int]:
    query = _filtered(select(Ticket), principal, f)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(Ticket.received_at.desc(), Ticket.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total


async def triage(
    session: AsyncSession, principal: Principal, f: TicketFilter, *, limit: int, offset: int
) -> tuple[Sequence[Ticket], int]:
    """Open cases, most severe first, then by least time left before a breach."""
    query = _filtered(select(Ticket), principal, f).where(Ticket.status != Status.CLOSED.value)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(
                Ticket.severity,
                Ticket.next_due_at.asc().nulls_last(),
                Ticket.received_at,
                Ticket.id,
            )
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return items, total


async def change_status(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    target: Status,
    reason: str | None,
    rules: TicketPolicy,
    *,
    resolution: str | None = None,
) -> Ticket:
    access.ensure_may_move_status(principal)
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    current = Status(ticket.status)
    try:
        check_staff_transition(current, target)
    except TransitionError as exc:
        raise Conflict(
            str(exc), code=exc.code, details={"from": current.value, "to": target.value}
        ) from exc
    now = datetime.now(UTC)
    ticket.status = target.value
    if target is Status.CLOSED:
        ticket.closed_at = now
        ticket.resolution = resolution or reason
    session.add(
        _history(
            ticket,
            "STATUS_CHANGE",
            now,
            principal,
            from_value=current.value,
            to_value=target.value,
            reason=resolution or reason,
        )
    )
    await _refresh_clocks(session, ticket, rules, now)
    await outbox.emit(
        session,
        "ticket.status_changed",
        event_data(ticket, previous_status=current.value, reason=reason),
        subject=ticket.number,
    )
    if target is Status.CLOSED:
        await outbox.emit(
            session,
            "ticket.closed",
            event_data(ticket, resolution=ticket.resolution, counts_against_quota=True),
            subject=ticket.number,
        )
    return ticket


async def reopen(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    reason: str,
    rules: TicketPolicy,
) -> Ticket:
    """A closed case opens again; its resolution clock resumes where it stopped."""
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    if ticket.status != Status.CLOSED.value:
        raise Conflict("Only a closed case is reopened.", code="TICKET_NOT_CLOSED")
    if ticket.entitlement_status == "refused":
        raise Conflict("A case refused for entitlement cannot be reopened.", code="NOT_ENTITLED")
    now = datetime.now(UTC)
    ticket.status = Status.OPEN.value
    ticket.closed_at = None
    session.add(
        _history(
            ticket,
            "STATUS_CHANGE",
            now,
            principal,
            from_value="CLOSED",
            to_value="OPEN",
            reason=reason,
        )
    )
    await _refresh_clocks(session, ticket, rules, now)
    await outbox.emit(
        session, "ticket.reopened", event_data(ticket, reason=reason), subject=ticket.number
    )
    return ticket


async def reply(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    body: str,
    internal: bool,
    rules: TicketPolicy,
) -> Message:
    """A staff reply answers the customer (stops response clocks); a customer reply to a
    Pending case puts it back to Open; internal notes are staff-only and move no clock."""
    if internal:
        access.ensure_may_write_internal(principal)
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    if ticket.status == Status.CLOSED.value:
        raise Conflict("The case is closed; reopen it to continue.", code="TICKET_CLOSED")
    now = datetime.now(UTC)
    author_id, author_kind = _actor(principal)
    message = Message(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        author_id=author_id,
        author_kind=author_kind,
        body=body,
        internal=internal,
        automated=principal.is_service,
        created_at=now,
    )
    session.add(message)
    kind = "CUSTOMER_REPLY" if principal.is_customer else "STAFF_REPLY"
    session.add(
        _history(
            ticket,
            kind,
            now,
            principal,
            message_id=message.id,
            internal=internal,
            automated=message.automated,
        )
    )
    previous = ticket.status
    if principal.is_customer and ticket.status == Status.PENDING.value:
        ticket.status = Status.OPEN.value
        session.add(
            _history(
                ticket,
                "STATUS_CHANGE",
                now,
                principal,
                from_value="PENDING",
                to_value="OPEN",
                reason="customer replied",
            )
        )
    await _refresh_clocks(session, ticket, rules, now)
    if not internal:
        await outbox.emit(
            session,
            "ticket.replied",
            event_data(ticket, message_id=str(message.id), author_kind=author_kind, body=body),
            subject=ticket.number,
        )
    if ticket.status != previous:
        await outbox.emit(
            session,
            "ticket.status_changed",
            event_data(ticket, previous_status=previous, reason="customer replied"),
            subject=ticket.number,
        )
    return message


async def change_priority(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    priority: str,
    reason: str,
    rules: TicketPolicy,
) -> Ticket:
    """Staff reclassify a case; its clocks are recomputed from their original starts. A
    customer's caller is refused (its change request is how it asks)."""
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    access.ensure_may_reclassify(principal)
    policy = clocks.policy_of(ticket)
    if policy is not None and priority not in policy.priorities:
        raise ValidationFailed(
            f"Priority {priority!r} is not one of this plan's.",
            code="PRIORITY_UNKNOWN",
            details={"allowed": policy.priorities},
        )
    if priority == ticket.priority:
        raise Conflict("The case has this priority already.", code="PRIORITY_UNCHANGED")
    now = datetime.now(UTC)
    previous = ticket.priority
    ticket.priority = priority
    ticket.severity = severity(priority)
    session.add(
        _history(
            ticket,
            "PRIORITY_CHANGE",
            now,
            principal,
            from_value=previous,
            to_value=priority,
            reason=reason,
        )
    )
    await _refresh_clocks(session, ticket, rules, now)
    await outbox.emit(
        session,
        "ticket.priority_changed",
        event_data(ticket, previous_priority=previous, reason=reason),
        subject=ticket.number,
    )
    return ticket


async def assign(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    assignee_id: uuid.UUID | None,
) -> Ticket:
    access.ensure_staff(principal, "assign cases")
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    previous = ticket.assignee_id
    ticket.assignee_id = assignee_id
    session.add(
        _history(
            ticket,
            "ASSIGNED",
            datetime.now(UTC),
            principal,
            from_value=str(previous) if previous else None,
            to_value=str(assignee_id) if assignee_id else None,
        )
    )
    await session.flush()
    await outbox.emit(
        session,
        "ticket.assigned",
        event_data(ticket, assignee_id=str(assignee_id) if assignee_id else None),
        subject=ticket.number,
    )
    return ticket


async def messages(
    session: AsyncSession, principal: Principal, ticket: Ticket
) -> Sequence[Message]:
    query = (
        select(Message)
        .where(Message.ticket_id == ticket.id)
        .order_by(Message.created_at, Message.id)
    )
    if not access.sees_internal(principal):
        query = query.where(Message.internal.is_(False))
    return (await session.scalars(query)).all()


async def escalate(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    kind: EscalationKind,
    reason: str,
    rules: TicketPolicy,
) -> Ticket:
    """CUSTOMER: the customer is not satisfied and asks for the region's Client Services
    Manager. INTERNAL: staff hand the case to another team. Either way the case becomes
    ESCALATED and everyone who must act is told (``ticket.escalated``)."""
    if kind is EscalationKind.INTERNAL and not access.may_escalate_internally(principal):
        raise access.RoleForbidden("Only staff escalate internally.")
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    if ticket.status == Status.CLOSED.value:
        raise Conflict("The case is closed; reopen it first.", code="TICKET_CLOSED")
    if ticket.status == Status.NEW.value:
        raise Conflict("The case waits for its entitlement check.", code="ENTITLEMENT_PENDING")
    now = datetime.now(UTC)
    previous = ticket.status
    # An internal hand-over is staff business: its entry and reason stay off the
    # customer's history; the customer sees only that the case is ESCALATED.
    internal = kind is EscalationKind.INTERNAL
    session.add(
        _history(
            ticket,
            "ESCALATED",
            now,
            principal,
            to_value=kind.value,
            reason=reason,
            internal=internal,
        )
    )
    if previous != Status.ESCALATED.value:
        ticket.status = Status.ESCALATED.value
        session.add(
            _history(
                ticket,
                "STATUS_CHANGE",
                now,
                principal,
                from_value=previous,
                to_value=Status.ESCALATED.value,
                reason=None if internal else reason,
            )
        )
    await _refresh_clocks(session, ticket, rules, now)
    await outbox.emit(
        session,
        "ticket.escalated",
        event_data(
            ticket,
            kind=kind.value,
            # The event reaches the customer's own webhooks: an internal hand-over's
            # reason stays in tickets (staff read it in the case's history).
            reason=None if internal else reason,
            previous_status=previous,
            support_center=ticket.support_center,
        ),
        subject=ticket.number,
    )
    return ticket
