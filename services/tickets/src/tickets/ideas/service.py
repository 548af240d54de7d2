"""Ideas: listed and read (a customer's callers see the public ones), voted for once per
contact, planned and shipped by staff. Shipping tells everyone who asked or voted
(``idea.shipped`` carries their contact ids; notify mails each in their language).

Every change runs in the request's transaction with its event in the outbox, so an event
is never emitted for a change that was not stored, nor a change stored without its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, PrincipalKind
from careplane_shared.errors import Conflict
from careplane_shared.events import Outbox
from tickets import access
from tickets.ideas.exceptions import AlreadyVoted, ContactsVote, IdeaNotFound, VoteNotFound
from tickets.ideas.models import Idea, IdeaCase, IdeaVote
from tickets.ideas.rules import (
    IdeaRuleError,
    IdeaStatus,
    check_open_for_change,
    check_plan,
    told_when_shipped,
)
from tickets.ideas.schemas import IdeaCreate, IdeaRead
from tickets.models import Ticket

# The most cases one idea's case list shows (later ones are left out).
MAX_CASES = 200


@dataclass(frozen=True, slots=True)
class IdeaFilter:
    status: tuple[IdeaStatus, ...] = ()
    product_id: uuid.UUID | None = None
    search: str | None = None


def _seen_by(principal: Principal) -> ColumnElement[bool]:
    """Staff and the vendor's integrations see every idea; a customer's callers the public."""
    return Idea.public.is_(True) if principal.is_customer else true()


def _refused(exc: IdeaRuleError) -> Conflict:
    return Conflict(str(exc), code=exc.code)


def actor_of(principal: Principal) -> str:
    return principal.email or principal.subject


async def get_idea(
    session: AsyncSession,
    *,
    principal: Principal,
    idea_id: uuid.UUID,
    lock: bool = False,
    share: bool = False,
) -> Idea:
    """``lock``: for a change of the idea; ``share``: for a vote, which must not slip in
    while the idea ships (votes do not wait for each other)."""
    query = select(Idea).where(Idea.id == idea_id, _seen_by(principal))
    if lock or share:
        query = query.with_for_update(read=not lock)
    idea = await session.scalar(query)
    if idea is None:
        raise IdeaNotFound()
    return idea


def _filtered(query: Select[Any], principal: Principal, f: IdeaFilter) -> Select[Any]:
    query = query.where(_seen_by(principal))
    if f.status:
        query = query.where(Idea.status.in_([s.value for s in f.status]))
    if f.product_id is not None:
        query = query.where(Idea.product_id == f.product_id)
    if f.search:
        pattern = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Idea.title.ilike(pattern), Idea.description.ilike(pattern)))
    return query


async def list_ideas(
    session: AsyncSession, *, principal: Principal, f: IdeaFilter, limit: int, offset: int
) -> tuple[Sequence[Idea], int]:
    """Most voted first, then newest."""
    total = await session.scalar(_filtered(select(func.count(Idea.id)), principal, f)) or 0
    votes = (
        select(func.count()).where(IdeaVote.idea_id == Idea.id).correlate(Idea).scalar_subquery()
    )
    rows = await session.scalars(
        _filtered(select(Idea), principal, f)
        .order_by(votes.desc(), Idea.created_at.desc(), Idea.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), total


def _contact_of(principal: Principal) -> uuid.UUID | None:
    """The calling contact, when the caller is a customer's person."""
    if principal.kind is not PrincipalKind.CUSTOMER:
        return None
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        return None


async def views(
    session: AsyncSession, principal: Principal, ideas: Sequence[Idea]
) -> list[IdeaRead]:
    """Ideas with their vote and case counts and whether the caller voted: two queries
    whatever the number of ideas."""
    if not ideas:
        return []
    ids = [i.id for i in ideas]
    contact = _contact_of(principal)
    mine = (
        func.bool_or(IdeaVote.contact_id == contact) if contact is not None else func.bool_or(False)
    )
    vote_rows = await session.execute(
        select(IdeaVote.idea_id, func.count(), mine)
        .where(IdeaVote.idea_id.in_(ids))
        .group_by(IdeaVote.idea_id)
    )
    votes = {idea_id: (count, bool(voted)) for idea_id, count, voted in vote_rows}
    asked_rows = await session.execute(
        select(IdeaCase.idea_id, func.count())
        .where(IdeaCase.idea_id.in_(ids))
        .group_by(IdeaCase.idea_id)
    )
    asked = {idea_id: count for idea_id, count in asked_rows}
    return [
        IdeaRead(
            id=i.id,
            title=i.title,
            description=i.description,
            product_id=i.product_id,
            status=IdeaStatus(i.status),
            public=i.public,
            planned_version=i.planned_version,
            shipped_version=i.shipped_version,
            shipped_at=i.shipped_at,
            created_at=i.created_at,
            votes=votes.get(i.id, (0, False))[0],
            asked=asked.get(i.id, 0),
            voted=votes.get(i.id, (0, False))[1],
        )
        for i in ideas
    ]


def idea_data(idea: Idea, **extra: Any) -> dict[str, Any]:
    """The payload of every ``idea.*`` event. An idea belongs to no customer."""
    return {
        "idea_id": str(idea.id),
        "title": idea.title,
        "product_id": str(idea.product_id) if idea.product_id else None,
        "status": idea.status,
        "public": idea.public,
        "customer_id": None,
        **extra,
    }


async def create_idea(
    session: AsyncSession, outbox: Outbox, *, principal: Principal, data: IdeaCreate
) -> Idea:
    """Staff record an idea (a feature-request case routed to development makes one too)."""
    access.ensure_staff(principal, "record ideas")
    return await add_idea(session, outbox, by=actor_of(principal), data=data)


async def add_idea(session: AsyncSession, outbox: Outbox, *, by: str, data: IdeaCreate) -> Idea:
    idea = Idea(
        id=uuid.uuid4(),
        title=data.title,
        description=data.description,
        product_id=data.product_id,
        status=IdeaStatus.OPEN.value,
        public=data.public,
        created_by=by,
        created_at=datetime.now(UTC),
    )
    session.add(idea)
    await session.flush()
    await outbox.emit(session, "idea.created", idea_data(idea), subject=str(idea.id))
    return idea


async def vote(session: AsyncSession, *, principal: Principal, idea_id: uuid.UUID) -> Idea:
    """One vote per contact: a second one is 409 ALREADY_VOTED (the primary key decides,
    so two votes racing each other cannot both count)."""
    contact = _contact_of(principal)
    idea = await get_idea(session, principal=principal, idea_id=idea_id, share=True)
    if contact is None or principal.customer_id is None:
        raise ContactsVote()
    try:
        check_open_for_change(IdeaStatus(idea.status))
    except IdeaRuleError as exc:
        raise _refused(exc) from exc
    inserted = await session.execute(
        insert(IdeaVote)
        .values(idea_id=idea.id, contact_id=contact, customer_id=principal.customer_id)
        .on_conflict_do_nothing(index_elements=["idea_id", "contact_id"])
        .returning(IdeaVote.idea_id)
    )
    if inserted.first() is None:
        raise AlreadyVoted()
    return idea


async def unvote(session: AsyncSession, *, principal: Principal, idea_id: uuid.UUID) -> Idea:
    contact = _contact_of(principal)
    idea = await get_idea(session, principal=principal, idea_id=idea_id)
    if contact is None:
        raise ContactsVote()
    removed = await session.execute(
        delete(IdeaVote)
        .where(IdeaVote.idea_id == idea.id, IdeaVote.contact_id == contact)
        .returning(IdeaVote.idea_id)
    )
    if removed.first() is None:
        raise VoteNotFound()
    return idea


async def plan(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    idea_id: uuid.UUID,
    version: str | None,
) -> Idea:
    access.ensure_staff(principal, "plan ideas")
    idea = await get_idea(session, principal=principal, idea_id=idea_id, lock=True)
    try:
        check_plan(IdeaStatus(idea.status), version, idea.planned_version)
    except IdeaRuleError as exc:
        raise _refused(exc) from exc
    idea.status = IdeaStatus.PLANNED.value
    idea.planned_version = version
    await session.flush()
    await outbox.emit(
        session, "idea.planned", idea_data(idea, version=version), subject=str(idea.id)
    )
    return idea


async def ship(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    idea_id: uuid.UUID,
    version: str,
) -> Idea:
    """Staff mark the idea shipped in ``version``; ``idea.shipped`` names everyone who asked
    (the requesters of its cases) or voted, each once."""
    access.ensure_staff(principal, "ship ideas")
    idea = await get_idea(session, principal=principal, idea_id=idea_id, lock=True)
    try:
        check_open_for_change(IdeaStatus(idea.status))
    except IdeaRuleError as exc:
        raise _refused(exc) from exc
    now = datetime.now(UTC)
    idea.status = IdeaStatus.SHIPPED.value
    idea.shipped_version = version
    idea.shipped_at = now
    await session.flush()
    askers = await session.scalars(
        select(IdeaCase.contact_id)
        .where(IdeaCase.idea_id == idea.id)
        .order_by(IdeaCase.created_at, IdeaCase.ticket_id)
    )
    voters = await session.scalars(
        select(IdeaVote.contact_id)
        .where(IdeaVote.idea_id == idea.id)
        .order_by(IdeaVote.created_at, IdeaVote.contact_id)
    )
    await outbox.emit(
        session,
        "idea.shipped",
        idea_data(
            idea,
            version=version,
            shipped_at=now.isoformat(),
            contact_ids=told_when_shipped(askers.all(), voters.all()),
        ),
        subject=str(idea.id),
    )
    return idea


async def link_case(
    session: AsyncSession,
    *,
    idea: Idea,
    ticket_id: uuid.UUID,
    contact_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    by: str,
) -> None:
    session.add(
        IdeaCase(
            ticket_id=ticket_id,
            idea_id=idea.id,
            contact_id=contact_id,
            customer_id=customer_id,
            linked_by=by,
            created_at=datetime.now(UTC),
        )
    )
    await session.flush()


async def idea_cases(
    session: AsyncSession, *, principal: Principal, idea_id: uuid.UUID
) -> Sequence[Ticket]:
    """The cases that asked for the idea, as far as the caller may see them (a customer's
    callers: their own customer's, by the cases' own rule), oldest first."""
    idea = await get_idea(session, principal=principal, idea_id=idea_id)
    rows = await session.scalars(
        select(Ticket)
        .join(IdeaCase, IdeaCase.ticket_id == Ticket.id)
        .where(IdeaCase.idea_id == idea.id, access.visible_clause(principal))
        .order_by(IdeaCase.created_at, Ticket.id)
        .limit(MAX_CASES)
    )
    return rows.all()
