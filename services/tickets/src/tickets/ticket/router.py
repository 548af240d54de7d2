"""The case routes of ``/v1``: open, read (one, by number, a batch, lists and the triage
queue), and every change a case goes through (status, priority, assignment, messages,
reopening, closing); escalations and change requests are :mod:`tickets.escalation`'s.

One module on purpose, although it passes 400 lines: each route only parses its input and
calls one function of :mod:`~tickets.ticket.service`, :mod:`~tickets.ticket.conversation`
or :mod:`~tickets.ticket.repository`, and the public ``/v1/tickets`` surface reads best in
one place, in the order of a case's life.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from careplane_shared.auth import CurrentPrincipal, StaffPrincipal
from careplane_shared.db import DbSession
from careplane_shared.idempotency import IdempotencyDep
from careplane_shared.pagination import Page, PageParams, PageParamsDep
from tickets.deps import ContractsDep, OutboxDep, PolicyDep, ReadSession
from tickets.knowledge import suggestions
from tickets.models import Ticket
from tickets.ticket import conversation, kept_clocks, repository, service
from tickets.ticket.repository import TicketFilter
from tickets.ticket.rules import Status
from tickets.ticket.schemas import (
    Assignment,
    CloseRequest,
    HistoryEntry,
    MessageCreate,
    MessageRead,
    PriorityChange,
    ReopenRequest,
    SlaClockRead,
    StatusChange,
    TicketOpen,
    TicketRead,
    TicketSummary,
)
from tickets.ticket.transitions import TicketChange

router = APIRouter(prefix="/v1", tags=["tickets"])


def ticket_view(ticket: Ticket, sla: list[SlaClockRead]) -> TicketRead:
    """The case as the API shows it, with its clocks."""
    return TicketRead(
        id=ticket.id,
        number=ticket.number,
        status=Status(ticket.status),
        priority=ticket.priority,
        subject=ticket.subject,
        description=ticket.description,
        type=ticket.type,
        channel=ticket.channel,
        language=ticket.language,
        customer_id=ticket.customer_id,
        contact_id=ticket.contact_id,
        product_id=ticket.product_id,
        version=ticket.version,
        error_code=ticket.error_code,
        error_message=ticket.error_message,
        steps_to_reproduce=ticket.steps_to_reproduce,
        external_refs=ticket.external_refs,
        received_at=ticket.received_at,
        created_at=ticket.created_at,
        closed_at=ticket.closed_at,
        resolution=ticket.resolution,
        assignee_id=ticket.assignee_id,
        entitlement_status=ticket.entitlement_status,
        entitlement=ticket.entitlement,
        plan_code=ticket.plan_code,
        support_center=ticket.support_center,
        billable=ticket.billable,
        scheduled_visit=ticket.scheduled_visit,
        next_due_at=ticket.next_due_at,
        sla=sla,
    )


async def read_views(session: AsyncSession, tickets: Sequence[Ticket]) -> list[TicketRead]:
    """Cases as read now, with their clocks as of now (see :mod:`~tickets.ticket.kept_clocks`)."""
    sla = await kept_clocks.read_all(session, tickets, as_of=datetime.now(UTC))
    return [ticket_view(ticket, sla[ticket.id]) for ticket in tickets]


async def changed_view(session: AsyncSession, change: TicketChange) -> TicketRead:
    """A case just changed, with the clocks the change computed (or, when it computed none,
    as read now)."""
    if change.clocks is None:
        return (await read_views(session, [change.ticket]))[0]
    return ticket_view(change.ticket, kept_clocks.views(change.clocks))


async def _filter(
    status: Annotated[list[Status] | None, Query(description="Any of these statuses.")] = None,
    customer_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    language: str | None = None,
    support_center: str | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> TicketFilter:
    return TicketFilter(
        status=tuple(status or ()),
        customer_id=customer_id,
        contact_id=contact_id,
        product_id=product_id,
        assignee_id=assignee_id,
        language=language,
        support_center=support_center,
        search=search,
    )


Filter = Annotated[TicketFilter, Depends(_filter)]


@router.post(
    "/tickets",
    response_model=TicketRead,
    status_code=status.HTTP_201_CREATED,
    summary="Open a case (Idempotency-Key honoured).",
)
async def open_ticket(
    session: DbSession,
    outbox: OutboxDep,
    contracts: ContractsDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    body: TicketOpen,
) -> TicketRead:
    """Checks entitlement with contracts: a refusal is a 403 `NOT_ENTITLED` with the reason
    codes. Entitled cases get their number and SLA clocks at once. If contracts cannot be
    reached, the case is still accepted as NEW with `entitlement_status: pending` and
    checked again in the background: a customer's case is never lost."""
    change = await service.open_ticket(
        session, outbox, contracts=contracts, principal=principal, data=body, policy=policy
    )
    if body.suggestion_id is not None:
        await suggestions.case_opened(session, principal, body.suggestion_id, change.ticket)
    view = await changed_view(session, change)
    await idempotency.save(session, 201, view.model_dump(mode="json"))
    return view


Include = Annotated[
    Literal["sla"] | None,
    Query(
        description=(
            "`sla`: each item is the whole case with its SLA clocks, exactly as "
            "`GET /v1/tickets/{ticket_id}` answers it (every field of the list row and more), "
            "so a page that shows clocks takes this one request. Left out: the list rows."
        )
    ),
]
ListItem = TicketSummary | TicketRead


# What a list row shows: the rest of a case (its description, its policy and kept clocks,
# decoded from JSON for every row) is not loaded for it.
_ROW_COLUMNS = tuple(getattr(Ticket, name) for name in TicketSummary.model_fields)


def _columns(include: str | None) -> tuple[QueryableAttribute[Any], ...]:
    return () if include == "sla" else _ROW_COLUMNS


async def _page_of(
    session: AsyncSession,
    page: PageParams,
    found: tuple[Sequence[Ticket], int],
    include: str | None,
) -> Page[ListItem]:
    tickets, total = found
    items: list[ListItem] = []
    if include == "sla":
        items.extend(await read_views(session, tickets))
    else:
        items.extend(TicketSummary.model_validate(t) for t in tickets)
    return page.of(items, total)


@router.get("/tickets", response_model=Page[ListItem], summary="List cases.")
async def list_tickets(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    filters: Filter,
    include: Include = None,
) -> Page[ListItem]:
    """Newest first. Contacts see their own customer's cases only. With `include=sla` each
    case comes whole, with its SLA clocks."""
    found = await repository.list_tickets(
        session,
        principal=principal,
        f=filters,
        limit=page.limit,
        offset=page.offset,
        only=_columns(include),
    )
    return await _page_of(session, page, found, include)


@router.get("/triage", response_model=Page[ListItem], summary="The triage queue (staff).")
async def triage_queue(
    session: ReadSession,
    principal: StaffPrincipal,
    page: PageParamsDep,
    filters: Filter,
    include: Include = None,
) -> Page[ListItem]:
    """Open cases, most severe priority first, then by least time left before a breach;
    filter by language, product, support center or assignee. With `include=sla` each case
    comes whole, with its SLA clocks."""
    found = await repository.triage(
        session,
        principal=principal,
        f=filters,
        limit=page.limit,
        offset=page.offset,
        only=_columns(include),
    )
    return await _page_of(session, page, found, include)


@router.get(
    "/tickets/batch",
    response_model=list[TicketRead],
    summary="Several cases at once, with their clocks (for DataLoaders).",
)
async def batch(
    session: ReadSession,
    principal: CurrentPrincipal,
    id: Annotated[list[uuid.UUID], Query(min_length=1, max_length=100)],
) -> list[TicketRead]:
    """In the order asked; ids the caller may not see (or that do not exist) are left out.
    One query whatever the number of cases."""
    visible = await repository.visible_tickets(session, principal=principal, ids=id)
    found = {t.id: t for t in visible}
    return await read_views(session, [found[i] for i in id if i in found])


@router.get(
    "/tickets/by-number/{number}", response_model=TicketRead, summary="A case by its number."
)
async def get_by_number(
    session: ReadSession, principal: CurrentPrincipal, number: str
) -> TicketRead:
    ticket = await repository.get_by_number(session, principal=principal, number=number)
    return (await read_views(session, [ticket]))[0]


@router.get(
    "/tickets/{ticket_id}", response_model=TicketRead, summary="One case with its SLA clocks."
)
async def get_ticket(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> TicketRead:
    """Each clock carries an `explanation`: why it is due when it is."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    return (await read_views(session, [ticket]))[0]


@router.get(
    "/tickets/{ticket_id}/history", response_model=list[HistoryEntry], summary="Who did what, when."
)
async def history(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> list[HistoryEntry]:
    entries = await repository.history(session, principal=principal, ticket_id=ticket_id)
    return [HistoryEntry.model_validate(e) for e in entries]


@router.get(
    "/tickets/{ticket_id}/messages", response_model=list[MessageRead], summary="The conversation."
)
async def list_messages(
    session: ReadSession, principal: CurrentPrincipal, ticket_id: uuid.UUID
) -> list[MessageRead]:
    """Customers do not see internal notes."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    found = await conversation.messages(session, principal=principal, ticket=ticket)
    return [MessageRead.model_validate(m) for m in found]


@router.post(
    "/tickets/{ticket_id}/messages",
    response_model=MessageRead,
    status_code=status.HTTP_201_CREATED,
    summary="Reply, or add an internal note (Idempotency-Key honoured).",
)
async def reply(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    ticket_id: uuid.UUID,
    body: MessageCreate,
) -> MessageRead:
    """A caller that retries a reply whose answer it never got sends the same
    `Idempotency-Key`: the message is stored (and announced) once, the retry gets the
    same answer."""
    message = await conversation.reply(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        body=body.body,
        internal=body.internal,
        policy=policy,
    )
    view = MessageRead.model_validate(message)
    await idempotency.save(session, 201, view.model_dump(mode="json"))
    return view


@router.post(
    "/tickets/{ticket_id}/status", response_model=TicketRead, summary="Move a case (staff)."
)
async def change_status(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    ticket_id: uuid.UUID,
    body: StatusChange,
) -> TicketRead:
    """Between OPEN, WORKING, PENDING, ESCALATED, WITH_DEVELOPMENT and CLOSED; an illegal
    move is a 409 with a code (STATUS_UNCHANGED, TICKET_CLOSED, ILLEGAL_TRANSITION, ...)."""
    change = await service.change_status(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        target=body.status,
        reason=body.reason,
        policy=policy,
    )
    return await changed_view(session, change)


@router.post(
    "/tickets/{ticket_id}/close", response_model=TicketRead, summary="Close with a resolution."
)
async def close(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    ticket_id: uuid.UUID,
    body: CloseRequest,
) -> TicketRead:
    change = await service.change_status(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        target=Status.CLOSED,
        reason=None,
        policy=policy,
        resolution=body.resolution,
    )
    return await changed_view(session, change)


@router.post(
    "/tickets/{ticket_id}/reopen", response_model=TicketRead, summary="Reopen a closed case."
)
async def reopen(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: ReopenRequest,
) -> TicketRead:
    """The customer or staff; the resolution clock resumes where it stopped."""
    change = await service.reopen(
        session, outbox, principal=principal, ticket_id=ticket_id, reason=body.reason, policy=policy
    )
    return await changed_view(session, change)


@router.post(
    "/tickets/{ticket_id}/priority", response_model=TicketRead, summary="Reclassify (staff)."
)
async def change_priority(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: PriorityChange,
) -> TicketRead:
    """Due times are recomputed from each clock's original start; a breach that already
    happened stands. A customer's caller gets 403 `CHANGE_REQUEST_REQUIRED`: the priority
    it chose at opening stays, and it asks for another through a change request."""
    change = await service.change_priority(
        session,
        outbox,
        principal=principal,
        ticket_id=ticket_id,
        priority=body.priority,
        reason=body.reason,
        policy=policy,
    )
    return await changed_view(session, change)


@router.post(
    "/tickets/{ticket_id}/assignee", response_model=TicketRead, summary="Assign to an agent."
)
async def assign(
    session: DbSession,
    outbox: OutboxDep,
    principal: StaffPrincipal,
    ticket_id: uuid.UUID,
    body: Assignment,
) -> TicketRead:
    change = await service.assign(
        session, outbox, principal=principal, ticket_id=ticket_id, assignee_id=body.assignee_id
    )
    return await changed_view(session, change)
