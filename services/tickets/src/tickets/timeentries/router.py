"""``/v1/tickets/{ticket_id}/time-entries``: time worked on a case (staff)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import PageParamsDep
from tickets.deps import OutboxDep, ReadSession
from tickets.timeentries import service
from tickets.timeentries.schemas import (
    TimeEntryCreate,
    TimeEntryPage,
    TimeEntryRead,
    TimeEntryUpdate,
)

router = APIRouter(prefix="/v1/tickets/{ticket_id}/time-entries", tags=["time entries"])


@router.post(
    "",
    response_model=TimeEntryRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record time worked on a case (staff).",
)
async def create(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: TimeEntryCreate,
) -> TimeEntryRead:
    """A billable entry is sent to contracts at once as an other-support item (billed per
    started half hour) and does not change afterwards. 422 `TIME_ENTRY_NOT_BILLABLE` for
    billable time on a case without a customer."""
    entry = await service.create(session, outbox, principal, ticket_id, body)
    return TimeEntryRead.model_validate(entry)


@router.get("", response_model=TimeEntryPage, summary="A case's time entries (vendor side).")
async def list_entries(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    ticket_id: uuid.UUID,
    billable: bool | None = None,
) -> TimeEntryPage:
    rows, total, sums = await service.list_entries(
        session, principal, ticket_id, billable=billable, limit=page.limit, offset=page.offset
    )
    return TimeEntryPage(
        items=[TimeEntryRead.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
        total_minutes=sums[0],
        billable_minutes=sums[1],
        billed_minutes=sums[2],
    )


@router.patch("/{entry_id}", response_model=TimeEntryRead, summary="Change a time entry.")
async def update(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: TimeEntryUpdate,
) -> TimeEntryRead:
    """Only an entry not billed yet (409 `TIME_ENTRY_BILLED`); made billable, it is billed."""
    entry = await service.update(session, outbox, principal, ticket_id, entry_id, body)
    return TimeEntryRead.model_validate(entry)


@router.delete(
    "/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a time entry not billed yet.",
)
async def delete(
    session: DbSession, principal: CurrentPrincipal, ticket_id: uuid.UUID, entry_id: uuid.UUID
) -> Response:
    await service.delete(session, principal, ticket_id, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
