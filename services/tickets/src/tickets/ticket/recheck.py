"""The entitlement recheck: cases accepted while contracts was unreachable are asked for
again in the background, by a worker beside the SLA timer worker.

A case is never lost: entitled cases open, refused ones are closed with the reasons on
record. A case staff closed while it waited only gets the answer on record: the close
stands, and its ``ticket.closed`` (which named no agreement, so no quota was booked) is not
sent again. A case accepted without a customer (opened by staff or a vendor key) is
announced (opened, and its public messages so far) to its customer's own webhooks and
chat channels once the answer names it. The cases are claimed ``FOR UPDATE SKIP
LOCKED``, so replicas cooperate.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.errors import CareplaneError
from careplane_shared.events import Outbox
from tickets.clients.contracts import ContractsClient, ContractsUnavailable
from tickets.models import Message, Ticket
from tickets.ticket import repository
from tickets.ticket.entitlement import apply_entitlement
from tickets.ticket.events import CUSTOMER_ONLY, event_data
from tickets.ticket.exceptions import PriorityUnknown
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import Status
from tickets.ticket.transitions import Emit, move

log = structlog.get_logger(__name__)


async def recheck_pending(
    session: AsyncSession,
    *,
    outbox: Outbox,
    contracts: ContractsClient,
    policy: TicketPolicy,
    limit: int = 20,
    stop: asyncio.Event | None = None,
) -> int:
    """Asks contracts again about up to ``limit`` pending cases (in the caller's
    transaction); returns how many were settled. Stops at the first that contracts cannot
    answer, and once ``stop`` is set (the worker stopping): the settled ones are kept, the
    row locks of the others end with the transaction.

    A case a customer's caller opened is asked for on that customer's behalf (its
    ``customer_id`` is already the opener's): a contact of another customer comes back as
    an unknown one and the case is closed as ``CONTACT_NOT_FOUND``, still the opener's,
    with nothing of the other customer on record."""
    pending = await repository.lock_pending(session, limit=limit)
    now = datetime.now(UTC)
    settled = 0
    for ticket in pending:
        if stop is not None and stop.is_set():
            break
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
        if ticket.status == Status.CLOSED.value:
            # Staff closed it while it waited: the answer is recorded and the close stands
            # (neither reopened by a confirmation nor closed, and announced, twice).
            await _closed_meanwhile(session, outbox, ticket=ticket, answer=answer)
        elif answer["entitled"]:
            await _open(session, outbox, ticket=ticket, answer=answer, policy=policy, now=now)
        else:
            await _close(session, outbox, ticket=ticket, answer=answer, policy=policy, now=now)
        settled += 1
    return settled


async def _announce_to_customer(
    session: AsyncSession, ticket: Ticket, answer: dict[str, Any]
) -> list[Emit]:
    """``ticket.opened`` again, and ``ticket.replied`` for each public message so far, for
    the customer's own webhooks and chat channels only (``customer_only``), when the answer
    names the customer of a case accepted without one (opened by staff or a vendor key):
    those events named no customer, so only the vendor's targets and the mail got them."""
    if ticket.customer_id is not None or not answer.get("customer_id"):
        return []
    extra = {
        "channel": ticket.channel,
        "entitlement_status": "entitled" if answer["entitled"] else "refused",
    }
    said = await session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.internal.is_(False))
        .order_by(Message.created_at)
    )
    replies = [
        Emit(
            "ticket.replied",
            {
                "message_id": str(message.id),
                "author_kind": message.author_kind,
                "body": message.body,
                CUSTOMER_ONLY: True,
            },
        )
        for message in said
    ]
    return [Emit("ticket.opened", {**extra, CUSTOMER_ONLY: True}), *replies]


async def _closed_meanwhile(
    session: AsyncSession, outbox: Outbox, *, ticket: Ticket, answer: dict[str, Any]
) -> None:
    """Records the answer; a customer it names for the first time hears that the case
    opened and closed (its ``ticket.closed`` counts against no quota: the case was closed
    before it opened)."""
    announce = await _announce_to_customer(session, ticket, answer)
    if announce:
        closed = {"resolution": ticket.resolution, "counts_against_quota": False}
        announce.append(Emit("ticket.closed", {**closed, CUSTOMER_ONLY: True}))
    _record(ticket, answer)
    for emit in announce:
        await outbox.emit(
            session, emit.type, event_data(ticket, **emit.extra), subject=ticket.number
        )


def _record(ticket: Ticket, answer: dict[str, Any]) -> None:
    """Takes contracts' answer onto the case, entitled or refused."""
    if not answer["entitled"]:
        ticket.entitlement_status = "refused"
        ticket.entitlement = {"reasons": answer.get("reasons", [])}
        if answer.get("customer_id"):
            ticket.customer_id = uuid.UUID(answer["customer_id"])
        return
    try:
        apply_entitlement(ticket, answer, requested_priority=ticket.priority)
    except PriorityUnknown:
        # The priority asked for is not one of the plan's: the plan's default.
        apply_entitlement(ticket, answer, requested_priority=None)


async def _open(
    session: AsyncSession,
    outbox: Outbox,
    *,
    ticket: Ticket,
    answer: dict[str, Any],
    policy: TicketPolicy,
    now: datetime,
) -> None:
    announce = await _announce_to_customer(session, ticket, answer)
    _record(ticket, answer)
    await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=None,
        to=Status.OPEN,
        reason="entitlement confirmed",
        emits=[*announce, Emit("ticket.status_changed", {"previous_status": Status.NEW.value})],
    )


async def _close(
    session: AsyncSession,
    outbox: Outbox,
    *,
    ticket: Ticket,
    answer: dict[str, Any],
    policy: TicketPolicy,
    now: datetime,
) -> None:
    announce = await _announce_to_customer(session, ticket, answer)
    _record(ticket, answer)
    ticket.resolution = "Not entitled: " + ", ".join(answer.get("reasons", []))
    await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=None,
        to=Status.CLOSED,
        reason=ticket.resolution,
        emits=[
            *announce,
            Emit(
                "ticket.closed",
                {"resolution": ticket.resolution, "counts_against_quota": False},
            ),
        ],
    )


async def run_recheck_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    stop: asyncio.Event,
    *,
    contracts: ContractsClient,
    policy: TicketPolicy,
    every_seconds: float,
) -> None:
    """Rechecks the pending cases every ``every_seconds`` until stopped; an error is
    logged and the next round tries again."""
    while not stop.is_set():
        try:
            async with sessionmaker() as session, session.begin():
                await recheck_pending(
                    session, outbox=outbox, contracts=contracts, policy=policy, stop=stop
                )
        except Exception:
            log.exception("entitlement_recheck_error")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
