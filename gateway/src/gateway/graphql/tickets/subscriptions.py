"""Live case events: ``ticketEvents``, relayed from the tickets service's event stream.

Each subscription holds one Server-Sent Events stream open at tickets
(``GET /v1/tickets/events/stream``) with the subscriber's own token, so tickets decides what
the subscriber may see, exactly as for a REST call. The stream is closed as soon as the
subscription ends: the client completes it, the socket closes, the stream breaks, or the
token expires (tickets checked it once, when the stream opened; no event goes out on a token
past its ``exp``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, Any

import jwt
import strawberry
import structlog

from gateway.graphql.arguments import optional_uuid_arg
from gateway.graphql.context import Info
from gateway.graphql.errors import gateway_error
from gateway.graphql.tickets.types import TicketEvent
from gateway.upstream import SERVICE_UNAVAILABLE

log = structlog.get_logger(__name__)

EVENTS_PATH = "/v1/tickets/events/stream"
TOKEN_EXPIRED = "TOKEN_EXPIRED"


def token_expiry(authorization: str | None) -> float | None:
    """When the bearer token expires (its ``exp``, in epoch seconds), if it says. Read, not
    verified: tickets verified the token when the stream opened, and this only ends the
    subscription sooner."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    expiry = claims.get("exp")
    return float(expiry) if isinstance(expiry, int | float) else None


def _event_of(data: str) -> TicketEvent | None:
    try:
        return TicketEvent.from_live(json.loads(data))
    except (ValueError, KeyError, TypeError) as exc:
        # One malformed event is no reason to end everyone's subscription.
        log.warning("ticket_event_unreadable", error=repr(exc))
        return None


@strawberry.type
class TicketsSubscription:
    @strawberry.subscription(
        description=(
            "Case events as they happen (ticket.* and sla.*), until the subscription is "
            "completed. A customer's callers receive their own customer's cases only; "
            "`ticketId` narrows it to one case. Events are not replayed: one that happens "
            "while no subscription is open is not sent later (read the case's `history`). "
            "If the event stream to the tickets service breaks, the subscription ends with "
            "SERVICE_UNAVAILABLE or SERVICE_TIMEOUT; once the token expires, with "
            "TOKEN_EXPIRED instead of the next event: subscribe again (with a fresh token)."
        )
    )
    async def ticket_events(
        self,
        info: Info,
        ticket_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this case's events.")
        ] = None,
    ) -> AsyncGenerator[TicketEvent, None]:
        case = optional_uuid_arg(ticket_id, "ticketId")
        params: dict[str, Any] | None = {"ticket_id": case} if case else None
        context = info.context
        expiry = token_expiry(context.authorization)
        stream = context.tickets.events(
            EVENTS_PATH, params=params, idle_timeout=context.events_idle_timeout
        )
        async with aclosing(stream) as messages:
            async for message in messages:
                if expiry is not None and time.time() >= expiry:
                    raise gateway_error(
                        TOKEN_EXPIRED,
                        "The bearer token has expired; subscribe again with a fresh one.",
                    )
                event = _event_of(message.data)
                if event is None:
                    continue
                # One event, one set of loaders: its fields are resolved as one request's are.
                context.renew_loaders()
                yield event
        raise gateway_error(
            SERVICE_UNAVAILABLE,
            "The tickets service closed the event stream; subscribe again.",
            service="tickets",
        )
