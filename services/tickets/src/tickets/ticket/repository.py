"""The statements that read cases: one case (optionally locked), several, a filtered page,
the triage queue and the cases waiting for their entitlement; and the one that writes a
new case whole.

Every read a caller makes goes through the one visibility rule in :mod:`tickets.access`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Text, bindparam, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, load_only

from careplane_shared.auth import Principal
from tickets import access
from tickets.models import SlaTimer, Ticket, TicketEvent, ticket_number_seq
from tickets.ticket import clocks
from tickets.ticket.exceptions import TicketNotFound
from tickets.ticket.inserts import given, insert_rows, row_arrays, table_of
from tickets.ticket.rules import Status


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


# Built once: a statement built per call costs more to build and to key for SQLAlchemy's
# compiled cache than to run (these two serve every read and change of one case).
_BY_ID = select(Ticket).where(Ticket.id == bindparam("ticket_id"))
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update()
_BY_NUMBER = select(Ticket).where(Ticket.number == bindparam("number"))


async def get_ticket(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID, lock: bool = False
) -> Ticket:
    """The case, if the caller may see it (``TICKET_NOT_FOUND`` otherwise, the same answer
    as for a case that does not exist); ``lock``: held ``FOR UPDATE`` to change it."""
    query = _BY_ID_FOR_UPDATE if lock else _BY_ID
    ticket = await session.scalar(query, {"ticket_id": ticket_id})
    if ticket is None or not access.may_see_ticket(principal, ticket):
        raise TicketNotFound()
    return ticket


async def get_by_number(session: AsyncSession, *, principal: Principal, number: str) -> Ticket:
    ticket = await session.scalar(_BY_NUMBER, {"number": number})
    if ticket is None or not access.may_see_ticket(principal, ticket):
        raise TicketNotFound()
    return ticket


async def visible_tickets(
    session: AsyncSession, *, principal: Principal, ids: Sequence[uuid.UUID]
) -> list[Ticket]:
    """Those of ``ids`` the caller may see, in no particular order."""
    rows = await session.scalars(
        select(Ticket).where(Ticket.id.in_(ids), access.visible_clause(principal))
    )
    return list(rows)


def _filtered(query: Any, *, principal: Principal, f: TicketFilter) -> Any:
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
    session: AsyncSession,
    *,
    principal: Principal,
    f: TicketFilter,
    limit: int,
    offset: int,
    only: Sequence[QueryableAttribute[Any]] = (),
) -> tuple[Sequence[Ticket], int]:
    """Newest first; the page and the total. ``only``: the columns to load (default: all)."""
    query = _filtered(select(Ticket), principal=principal, f=f)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if only:
        query = query.options(load_only(*only))
    items = (
        await session.scalars(
            query.order_by(Ticket.received_at.desc(), Ticket.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total


async def triage(
    session: AsyncSession,
    *,
    principal: Principal,
    f: TicketFilter,
    limit: int,
    offset: int,
    only: Sequence[QueryableAttribute[Any]] = (),
) -> tuple[Sequence[Ticket], int]:
    """Open cases, most severe first, then by least time left before a breach. ``only``:
    the columns to load (default: all)."""
    query = _filtered(select(Ticket), principal=principal, f=f).where(
        Ticket.status != Status.CLOSED.value
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if only:
        query = query.options(load_only(*only))
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


async def history(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID
) -> list[TicketEvent]:
    """The case's history as the caller may read it: internal entries only for those who
    see internal notes."""
    ticket = await get_ticket(session, principal=principal, ticket_id=ticket_id)
    entries = await clocks.history_of(session, ticket.id)
    if not access.sees_internal(principal):
        entries = [e for e in entries if not e.internal]
    return entries


@lru_cache(maxsize=16)
def _open_statement(
    case: tuple[str, ...], history: tuple[str, ...], timers: tuple[str, ...]
) -> Executable:
    """The statement :func:`insert_opened` runs, for the columns given of a case, of its
    history entries and of its timers (none: no timers)."""
    tickets = table_of(Ticket)
    sequence = select(ticket_number_seq.next_value().label("value")).cte("number_value")
    digits = cast(sequence.c.value, Text)
    number = select(
        bindparam("number_prefix", type_=Text)
        + func.lpad(digits, func.greatest(6, func.length(digits)), "0")
    ).scalar_subquery()
    values = {key: bindparam(f"case_{key}", type_=tickets.c[key].type) for key in case}
    # Written by sibling statements of the same command: the foreign keys to the case are
    # checked at its end, once the case is there.
    writes = [insert_rows(table_of(TicketEvent), history, name="history").cte("history")]
    if timers:
        writes.append(insert_rows(table_of(SlaTimer), timers, name="timers").cte("timers"))
    decided = [c for c in tickets.columns if c.key not in case]
    return insert(tickets).values(**values, number=number).returning(*decided).add_cte(*writes)


async def insert_opened(
    session: AsyncSession,
    ticket: Ticket,
    *,
    number_prefix: str,
    history: Sequence[TicketEvent],
    timers: Sequence[Mapping[str, Any]],
) -> None:
    """Writes a new case with its first history entries and its timers in one statement,
    one round trip, numbered from the case number sequence as
    ``{prefix}-{year received}-{number, at least 6 digits}``.

    ``ticket`` stays out of the session (nothing is flushed, nothing read back later):
    what the database decides (the number, the timestamps, the column defaults) comes
    back through ``RETURNING`` and is set on it.
    """
    case = given(ticket)
    entries = [given(entry) for entry in history]
    statement = _open_statement(tuple(case), tuple(entries[0]), tuple(timers[0]) if timers else ())
    parameters = {f"case_{key}": value for key, value in case.items()}
    parameters["number_prefix"] = f"{number_prefix}-{ticket.received_at.year}-"
    parameters.update(row_arrays(entries, name="history"))
    if timers:
        parameters.update(row_arrays(timers, name="timers"))
    row = (await session.execute(statement, parameters)).one()
    for key, value in row._mapping.items():
        setattr(ticket, key, value)


async def lock_pending(session: AsyncSession, *, limit: int) -> Sequence[Ticket]:
    """Up to ``limit`` cases waiting for their entitlement, oldest first, locked and
    skipped by any other worker."""
    return (
        await session.scalars(
            select(Ticket)
            .where(Ticket.entitlement_status == "pending")
            .order_by(Ticket.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
