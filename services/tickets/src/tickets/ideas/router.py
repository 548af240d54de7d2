"""Ideas (``/v1/ideas``) and the routing of a feature-request case
(``/v1/tickets/{ticket_id}/feature-request``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import CurrentPrincipal, Principal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from tickets.deps import OutboxDep, PolicyDep, ReadSession
from tickets.ideas import routing, service
from tickets.ideas.models import Idea
from tickets.ideas.rules import FeatureRoute, IdeaStatus
from tickets.ideas.schemas import (
    FeatureRouteRead,
    FeatureRouteRequest,
    IdeaCreate,
    IdeaPlan,
    IdeaRead,
    IdeaShip,
)
from tickets.ideas.service import IdeaFilter
from tickets.ticket.router import changed_view
from tickets.ticket.schemas import TicketSummary

router = APIRouter(prefix="/v1", tags=["ideas"])


async def _filter(
    status: Annotated[list[IdeaStatus] | None, Query(description="Any of these.")] = None,
    product_id: uuid.UUID | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> IdeaFilter:
    return IdeaFilter(status=tuple(status or ()), product_id=product_id, search=search)


async def _one(session: AsyncSession, principal: Principal, idea: Idea) -> IdeaRead:
    return (await service.views(session, principal, [idea]))[0]


@router.get("/ideas", response_model=Page[IdeaRead], summary="Ideas, most voted first.")
async def list_ideas(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    filters: Annotated[IdeaFilter, Depends(_filter)],
) -> Page[IdeaRead]:
    """A customer's callers see the public ideas; `voted` says whether the calling contact
    voted for each."""
    found, total = await service.list_ideas(
        session, principal=principal, f=filters, limit=page.limit, offset=page.offset
    )
    return page.of(await service.views(session, principal, found), total)


@router.post(
    "/ideas",
    response_model=IdeaRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record an idea (staff).",
)
async def create_idea(
    session: DbSession, outbox: OutboxDep, principal: CurrentPrincipal, body: IdeaCreate
) -> IdeaRead:
    idea = await service.create_idea(session, outbox, principal=principal, data=body)
    return await _one(session, principal, idea)


@router.get("/ideas/{idea_id}", response_model=IdeaRead, summary="One idea.")
async def get_idea(
    session: ReadSession, principal: CurrentPrincipal, idea_id: uuid.UUID
) -> IdeaRead:
    idea = await service.get_idea(session, principal=principal, idea_id=idea_id)
    return await _one(session, principal, idea)


@router.get(
    "/ideas/{idea_id}/cases",
    response_model=list[TicketSummary],
    summary="The cases that asked for an idea (those the caller may see).",
)
async def idea_cases(
    session: ReadSession, principal: CurrentPrincipal, idea_id: uuid.UUID
) -> list[TicketSummary]:
    found = await service.idea_cases(session, principal=principal, idea_id=idea_id)
    return [TicketSummary.model_validate(t) for t in found]


@router.post(
    "/ideas/{idea_id}/votes",
    response_model=IdeaRead,
    status_code=status.HTTP_201_CREATED,
    summary="Vote for an idea (a contact, once).",
)
async def vote(session: DbSession, principal: CurrentPrincipal, idea_id: uuid.UUID) -> IdeaRead:
    """A second vote by the same contact is 409 `ALREADY_VOTED`; a shipped idea is 409
    `IDEA_SHIPPED`; only a customer's contacts vote (403 `VOTE_FORBIDDEN`)."""
    idea = await service.vote(session, principal=principal, idea_id=idea_id)
    return await _one(session, principal, idea)


@router.delete(
    "/ideas/{idea_id}/votes",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take one's vote back.",
)
async def unvote(session: DbSession, principal: CurrentPrincipal, idea_id: uuid.UUID) -> Response:
    """404 `VOTE_NOT_FOUND` when the contact had not voted."""
    await service.unvote(session, principal=principal, idea_id=idea_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/ideas/{idea_id}/plan", response_model=IdeaRead, summary="Plan an idea (staff).")
async def plan(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    idea_id: uuid.UUID,
    body: IdeaPlan,
) -> IdeaRead:
    idea = await service.plan(
        session, outbox, principal=principal, idea_id=idea_id, version=body.version
    )
    return await _one(session, principal, idea)


@router.post(
    "/ideas/{idea_id}/ship", response_model=IdeaRead, summary="Mark an idea shipped (staff)."
)
async def ship(
    session: DbSession,
    outbox: OutboxDep,
    principal: CurrentPrincipal,
    idea_id: uuid.UUID,
    body: IdeaShip,
) -> IdeaRead:
    """Everyone who asked for it (its cases' requesters) or voted is told, by mail in their
    language (`idea.shipped`). A shipped idea is 409 `IDEA_SHIPPED`."""
    idea = await service.ship(
        session, outbox, principal=principal, idea_id=idea_id, version=body.version
    )
    return await _one(session, principal, idea)


@router.post(
    "/tickets/{ticket_id}/feature-request",
    response_model=FeatureRouteRead,
    summary="Route a feature-request case to sales or development (staff).",
)
async def route_feature_request(
    session: DbSession,
    outbox: OutboxDep,
    policy: PolicyDep,
    principal: CurrentPrincipal,
    ticket_id: uuid.UUID,
    body: FeatureRouteRequest,
) -> FeatureRouteRead:
    """`sales`: a paid customization; sales is told to make a price proposal
    (`feature_request.to_sales`) and the case stays open. `development`: a suggestion for
    every user; it becomes a new idea worded by staff (`idea`: never the case's own text,
    which other customers would read), or joins an existing one (`idea_id`), and the case
    closes. Once per case (409 `FEATURE_REQUEST_ROUTED`); only
    a feature-request case (409 `NOT_A_FEATURE_REQUEST`)."""
    routed = await routing.route(
        session, outbox, principal=principal, ticket_id=ticket_id, body=body, policy=policy
    )
    decision = routed.decision
    return FeatureRouteRead(
        ticket_id=decision.ticket_id,
        route=FeatureRoute(decision.route),
        note=decision.note,
        routed_by=decision.routed_by,
        routed_at=decision.routed_at,
        idea=await _one(session, principal, routed.idea) if routed.idea else None,
        ticket=await changed_view(session, routed.change),
    )
