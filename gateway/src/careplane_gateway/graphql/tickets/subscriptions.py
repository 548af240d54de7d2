"""Live case events: ``ticketEvents``, relayed from the tickets service's event stream.

Each subscription holds one Server-Sent Events stream open at tickets
(``GET /v1/tickets/events/stream``) with the subscriber's own token, so tickets decides what
the subscriber may see and how many streams it may hold, exactly as for a REST call. The
subscription ends when that stream ends: tickets says why in a last ``stream.end`` message
(the token expired, the account was deactivated or its key revoked, the subscriber fell
behind), and that code is the subscription's error. It also ends by itself at the token's
``exp``, whether or not an event comes. The stream is closed as soon as the subscription
ends: the client completes it, the socket closes, the stream breaks or ends, or the token
expires.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, Any

import jwt
import strawberry
import structlog

from careplane_gateway.graphql.arguments import optional_uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.errors import gateway_error
from careplane_gateway.graphql.tickets.types import TicketEvent
from careplane_gateway.upstream import SERVICE_UNAVAILABLE

log = structlog.get_logger(__name__)

EVENTS_PATH = "/v1/tickets/events/stream"
TOKEN_EXPIRED = "TOKEN_EXPIRED"
# Tickets' own messages about the stream itself, not case events: ``stream.end`` (why it
# ends, ``{"code", "message"}``) and others a subscription has no use for.
STREAM_MESSAGES = "stream."
STREAM_END = "stream.end"


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


def _ended(data: str) -> Exception:
    """The error that ends a subscription whose stream tickets ended, with tickets' code."""
    try:
        reason = json.loads(data)
        code, message = str(reason["code"]), str(reason["message"])
    except (ValueError, KeyError, TypeError):
        code, message = SERVICE_UNAVAILABLE, "The tickets service ended the event stream."
    return gateway_error(code, message, service="tickets")


def _token_expired() -> Exception:
    return gateway_error(
        TOKEN_EXPIRED, "The bearer token has expired; subscribe again with a fresh one."
    )


@strawberry.type
class TicketsSubscription:
    @strawberry.subscription(
        description=(
            "Case events as they happen (ticket.* and sla.*), until the subscription is "
            "completed. A customer's callers receive their own customer's cases only; "
            "`ticketId` narrows it to one case. Events are not replayed: one that happens "
            "while no subscription is open is not sent later (read the case's `history`). "
            "A caller holds a few subscriptions at most (TOO_MANY_STREAMS beyond). The "
            "subscription ends with an error saying why: TOKEN_EXPIRED once the token "
            "expires, ACCOUNT_INACTIVE once the account is deactivated or the API key "
            "revoked, STREAM_LAGGING when events were not read fast enough, "
            "SERVICE_UNAVAILABLE or SERVICE_TIMEOUT when the event stream to the tickets "
            "service breaks: subscribe again (with a fresh token)."
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
        loop = asyncio.get_running_loop()
        # The token's exp on the loop's clock: the subscription ends then, event or not.
        deadline = None if expiry is None else loop.time() + (expiry - time.time())
        stream = context.tickets.events(
            EVENTS_PATH, params=params, idle_timeout=context.events_idle_timeout
        )
        async with aclosing(stream) as messages:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await anext(messages)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise _token_expired() from None
                if expiry is not None and time.time() >= expiry:
                    raise _token_expired()
                if message.event == STREAM_END:
                    raise _ended(message.data)
                if message.event.startswith(STREAM_MESSAGES):
                    continue
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
