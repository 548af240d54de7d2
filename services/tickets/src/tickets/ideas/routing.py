"""Where a feature-request case goes (seed rules [001][003]): staff decide, once per case.

- ``sales``: the customer asks for a customization it would pay for. The case stays with
  support while sales prepares a price proposal: ``feature_request.to_sales`` tells sales
  (notify mails the sales addresses); the case's status does not move.
- ``development``: a suggestion for every user. It becomes an idea (or is merged into an
  existing one) and the case closes. A new idea is worded by staff (``idea``), never the
  case's own text: every customer's contacts may read a public idea, and a case's subject
  and description are its customer's. Its requester is one of the askers told when the idea
  ships. The closing does not count against the customer's ticket quota: the case asked for
  a product change, not for support.

A customer's caller never routes its own case (403 ROLE_FORBIDDEN).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.errors import Conflict
from careplane_shared.events import Outbox
from tickets import access
from tickets.ideas import service as ideas
from tickets.ideas.exceptions import AlreadyRouted, RouteInvalid
from tickets.ideas.models import FeatureRequestRoute, Idea
from tickets.ideas.rules import (
    FeatureRoute,
    IdeaRuleError,
    IdeaStatus,
    check_open_for_change,
    check_routable,
)
from tickets.ideas.schemas import FeatureRouteRequest
from tickets.models import Ticket
from tickets.ticket import repository
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import Status
from tickets.ticket.transitions import Emit, TicketChange, entry, move


@dataclass(frozen=True, slots=True)
class Routed:
    decision: FeatureRequestRoute
    change: TicketChange
    idea: Idea | None


def _check_request(body: FeatureRouteRequest) -> None:
    if body.route is FeatureRoute.SALES and (body.idea_id or body.idea):
        raise RouteInvalid("Sales takes no idea.")
    if body.route is FeatureRoute.DEVELOPMENT and (body.idea_id is None) == (body.idea is None):
        raise RouteInvalid()


async def _idea_for(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket: Ticket,
    body: FeatureRouteRequest,
) -> tuple[Idea, bool]:
    """The idea the case joins, and whether it is new."""
    if body.idea_id is not None:
        idea = await ideas.get_idea(session, principal=principal, idea_id=body.idea_id, lock=True)
        try:
            check_open_for_change(IdeaStatus(idea.status))
        except IdeaRuleError as exc:
            raise Conflict(str(exc), code=exc.code) from exc
        return idea, False
    assert body.idea is not None  # _check_request
    data = body.idea
    if data.product_id is None:
        data = data.model_copy(update={"product_id": ticket.product_id})
    return await ideas.add_idea(session, outbox, by=ideas.actor_of(principal), data=data), True


async def route(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    body: FeatureRouteRequest,
    policy: TicketPolicy,
) -> Routed:
    access.ensure_staff(principal, "route feature requests")
    _check_request(body)
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    try:
        check_routable(ticket.type, ticket.status)
    except IdeaRuleError as exc:
        raise Conflict(str(exc), code=exc.code) from exc
    if await session.get(FeatureRequestRoute, ticket.id) is not None:
        raise AlreadyRouted()
    now = datetime.now(UTC)
    by = ideas.actor_of(principal)
    decision = FeatureRequestRoute(
        ticket_id=ticket.id, route=body.route.value, note=body.note, routed_by=by, routed_at=now
    )
    if body.route is FeatureRoute.SALES:
        session.add(decision)
        change = await move(
            session,
            outbox,
            ticket=ticket,
            policy=policy,
            at=now,
            by=principal,
            # The note is staff's word to sales: kept with the decision, not in the
            # history the customer reads.
            entries=[entry(ticket, "ROUTED", at=now, by=principal, to_value="sales")],
            emits=[Emit("feature_request.to_sales", {"note": body.note, "routed_by": by})],
        )
        return Routed(decision, change, None)

    idea, created = await _idea_for(session, outbox, principal=principal, ticket=ticket, body=body)
    decision.idea_id = idea.id
    session.add(decision)
    await ideas.link_case(
        session,
        idea=idea,
        ticket_id=ticket.id,
        contact_id=ticket.contact_id,
        customer_id=ticket.customer_id,
        by=by,
    )
    resolution = (
        f"Recorded as an idea for development: {idea.title}. You will be told when it ships."
    )
    previous = ticket.status
    ticket.resolution = resolution
    change = await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=principal,
        to=Status.CLOSED,
        reason=resolution,
        entries=[
            entry(
                ticket,
                "ROUTED",
                at=now,
                by=principal,
                to_value="development",
                reason="new idea" if created else "merged into an idea",
            )
        ],
        emits=[
            Emit("ticket.status_changed", {"previous_status": previous, "reason": resolution}),
            Emit(
                "ticket.closed",
                {"resolution": resolution, "counts_against_quota": False, "idea_id": str(idea.id)},
            ),
        ],
    )
    return Routed(decision, change, idea)
