"""Time entries per case: staff record who worked how long at what, billable or not.

A billable entry is what the customer's plan does not cover (seed 003): it goes to
contracts as a ``ticket.billable_activity`` event (an other-support item of the minutes
worked, which contracts bills per started half hour, seed 002) in the same transaction
as the entry, and from then on it does not change: an invoice may already hold it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.billing import billed_minutes
from careplane_shared.events import Outbox
from tickets import access
from tickets.models import Ticket
from tickets.ticket import repository
from tickets.ticket.events import event_data
from tickets.timeentries.exceptions import (
    TimeEntryBilled,
    TimeEntryNotBillable,
    TimeEntryNotFound,
    WorkedAtInFuture,
)
from tickets.timeentries.models import TimeEntry
from tickets.timeentries.schemas import TimeEntryCreate, TimeEntryUpdate

BILLABLE_EVENT = "ticket.billable_activity"
# The billable item kind contracts records for billable time (its other-support sessions).
BILLED_AS = "other_support"


async def _case(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, *, write: bool
) -> Ticket:
    """The case, if the caller sees it (another tenant's: not found); time is the vendor's
    business: staff record it, the vendor's side reads it."""
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    if write:
        access.ensure_staff(principal, "record time")
    elif not access.sees_internal(principal):
        raise access.RoleForbidden("Time entries are the vendor's staff's.")
    return ticket


def _checked_time(worked_at: datetime | None, now: datetime) -> datetime:
    if worked_at is None:
        return now
    if worked_at > now:
        raise WorkedAtInFuture()
    return worked_at


async def _bill(session: AsyncSession, outbox: Outbox, ticket: Ticket, entry: TimeEntry) -> None:
    """Sends the entry to contracts as a billable item and freezes it."""
    if ticket.customer_id is None:
        raise TimeEntryNotBillable()
    entry.billed_minutes = billed_minutes(entry.minutes)
    entry.billed_at = datetime.now(UTC)
    await session.flush()
    await outbox.emit(
        session,
        BILLABLE_EVENT,
        # The case's own fields too: live streams show the event only to those who see
        # the case (tickets.access.visible); contracts reads the billable item's.
        event_data(
            ticket,
            kind=BILLED_AS,
            minutes=entry.minutes,
            occurred_at=entry.worked_at.isoformat(),
            description=f"{ticket.number}: {entry.activity}"
            + (f" ({entry.note})" if entry.note else ""),
            time_entry_id=str(entry.id),
        ),
        subject=ticket.number,
    )


async def create(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    data: TimeEntryCreate,
) -> TimeEntry:
    ticket = await _case(session, principal, ticket_id, write=True)
    now = datetime.now(UTC)
    entry = TimeEntry(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        agent_id=principal.subject,
        agent_email=principal.email,
        minutes=data.minutes,
        activity=data.activity.value,
        billable=data.billable,
        worked_at=_checked_time(data.worked_at, now),
        note=data.note,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    if entry.billable:
        await _bill(session, outbox, ticket, entry)
    else:
        await session.flush()
    return entry


async def _entry(
    session: AsyncSession, ticket: Ticket, entry_id: uuid.UUID, *, lock: bool = False
) -> TimeEntry:
    query = select(TimeEntry).where(TimeEntry.id == entry_id, TimeEntry.ticket_id == ticket.id)
    entry = await session.scalar(query.with_for_update() if lock else query)
    if entry is None:
        raise TimeEntryNotFound()
    return entry


async def update(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    ticket_id: uuid.UUID,
    entry_id: uuid.UUID,
    data: TimeEntryUpdate,
) -> TimeEntry:
    """Changes an entry not billed yet (409 ``TIME_ENTRY_BILLED`` otherwise); made
    billable, it is billed now."""
    ticket = await _case(session, principal, ticket_id, write=True)
    entry = await _entry(session, ticket, entry_id, lock=True)
    if entry.billed_at is not None:
        raise TimeEntryBilled()
    given = data.model_dump(exclude_unset=True)
    for name in ("minutes", "note", "billable"):
        if name in given and (given[name] is not None or name == "note"):
            setattr(entry, name, given[name])
    if given.get("activity") is not None:
        entry.activity = given["activity"].value
    if given.get("worked_at") is not None:
        entry.worked_at = _checked_time(given["worked_at"], datetime.now(UTC))
    entry.updated_at = datetime.now(UTC)
    if entry.billable:
        await _bill(session, outbox, ticket, entry)
    else:
        await session.flush()
    return entry


async def delete(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, entry_id: uuid.UUID
) -> None:
    ticket = await _case(session, principal, ticket_id, write=True)
    entry = await _entry(session, ticket, entry_id, lock=True)
    if entry.billed_at is not None:
        raise TimeEntryBilled()
    await session.delete(entry)
    await session.flush()


async def list_entries(
    session: AsyncSession,
    principal: Principal,
    ticket_id: uuid.UUID,
    *,
    billable: bool | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[TimeEntry], int, tuple[int, int, int]]:
    """A page of the case's entries (oldest work first), how many match, and the case's
    totals: minutes worked, billable minutes, minutes billed."""
    ticket = await _case(session, principal, ticket_id, write=False)
    where = [TimeEntry.ticket_id == ticket.id]
    if billable is not None:
        where.append(TimeEntry.billable.is_(billable))
    rows = (
        await session.scalars(
            select(TimeEntry)
            .where(*where)
            .order_by(TimeEntry.worked_at, TimeEntry.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = await session.scalar(select(func.count()).select_from(TimeEntry).where(*where)) or 0
    sums = (
        await session.execute(
            select(
                func.coalesce(func.sum(TimeEntry.minutes), 0),
                func.coalesce(
                    func.sum(case((TimeEntry.billable.is_(True), TimeEntry.minutes), else_=0)), 0
                ),
                func.coalesce(func.sum(TimeEntry.billed_minutes), 0),
            ).where(TimeEntry.ticket_id == ticket.id)
        )
    ).one()
    return rows, total, (int(sums[0]), int(sums[1]), int(sums[2]))
