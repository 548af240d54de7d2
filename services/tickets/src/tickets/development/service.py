"""A defect handed to development and the fix development reports back.

Handing over records the tracker's issue (key and address) and moves the case to
WITH_DEVELOPMENT; the customer is told the status (``ticket.status_changed``). The fix comes
back from staff or the tracker's integration key (API) or from the tracker's signed webhook
(every case handed over as that issue): the case records the version and moves to PENDING,
and ``ticket.development_fixed`` tells the customer which version carries the fix.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, PrincipalKind
from careplane_shared.errors import Conflict
from careplane_shared.events import Outbox
from tickets import access
from tickets.development.exceptions import DevelopmentLinkNotFound
from tickets.development.models import DevelopmentLink
from tickets.development.rules import (
    AFTER_FIX,
    DevelopmentRuleError,
    check_fix,
    check_hand_over,
)
from tickets.development.schemas import DevelopmentRead
from tickets.models import Ticket
from tickets.ticket import repository
from tickets.ticket.policy import TicketPolicy
from tickets.ticket.rules import Status
from tickets.ticket.transitions import Emit, TicketChange, entry, move

# The scope an integration key (the tracker's) needs to report fixes.
DEVELOPMENT_WRITE = "development:write"
# The most cases one webhook call moves (one issue rarely has more).
MAX_CASES_PER_ISSUE = 500


@dataclass(frozen=True, slots=True)
class Developed:
    link: DevelopmentLink
    change: TicketChange


def view(principal: Principal, link: DevelopmentLink) -> DevelopmentRead:
    """The link as the caller may see it: the tracker's address is the vendor's."""
    return DevelopmentRead(
        ticket_id=link.ticket_id,
        issue_key=link.issue_key,
        issue_url=link.issue_url if principal.is_vendor_side else None,
        handed_at=link.handed_at,
        fixed_version=link.fixed_version,
        fixed_at=link.fixed_at,
        fix_note=link.fix_note,
    )


def ensure_may_report_fix(principal: Principal) -> None:
    """Staff, or the vendor's integration key (the tracker) with ``development:write`` or
    ``tickets:write``; never a customer's caller."""
    if principal.is_staff:
        return
    if principal.kind is PrincipalKind.VENDOR_INTEGRATION and (
        DEVELOPMENT_WRITE in principal.scopes or "tickets:write" in principal.scopes
    ):
        return
    raise access.RoleForbidden(
        "Only staff or the tracker's integration (development:write) report fixes."
    )


def _refused(exc: DevelopmentRuleError, ticket: Ticket) -> Conflict:
    return Conflict(str(exc), code=exc.code, details={"status": ticket.status})


async def get_link(
    session: AsyncSession, *, principal: Principal, ticket_id: uuid.UUID
) -> DevelopmentLink:
    ticket = await repository.get_ticket(session, principal=principal, ticket_id=ticket_id)
    link = await session.get(DevelopmentLink, ticket.id)
    if link is None:
        raise DevelopmentLinkNotFound()
    return link


async def hand_over(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    issue_key: str,
    issue_url: str,
    reason: str | None,
    policy: TicketPolicy,
) -> Developed:
    access.ensure_staff(principal, "hand cases to development")
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    previous = Status(ticket.status)
    try:
        check_hand_over(previous)
    except DevelopmentRuleError as exc:
        raise _refused(exc, ticket) from exc
    now = datetime.now(UTC)
    by = principal.email or principal.subject
    link = await session.get(DevelopmentLink, ticket.id)
    if link is None:
        link = DevelopmentLink(ticket_id=ticket.id)
        session.add(link)
    # A case handed over again (a fix that did not hold) names its new issue; the old fix
    # is forgotten.
    link.issue_key, link.issue_url, link.handed_by, link.handed_at = issue_key, issue_url, by, now
    link.fixed_version = link.fixed_at = link.fix_note = link.fixed_by = None
    change = await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=principal,
        to=Status.WITH_DEVELOPMENT,
        reason=reason,
        entries=[entry(ticket, "HANDED_TO_DEVELOPMENT", at=now, by=principal, to_value=issue_key)],
        emits=[
            Emit(
                "ticket.status_changed",
                {"previous_status": previous.value, "reason": reason, "issue_key": issue_key},
            )
        ],
    )
    return Developed(link, change)


async def _fix(
    session: AsyncSession,
    outbox: Outbox,
    *,
    ticket: Ticket,
    link: DevelopmentLink,
    version: str,
    note: str | None,
    by: Principal | None,
    by_label: str,
    policy: TicketPolicy,
) -> TicketChange:
    now = datetime.now(UTC)
    previous = ticket.status
    link.fixed_version, link.fixed_at, link.fix_note, link.fixed_by = version, now, note, by_label
    return await move(
        session,
        outbox,
        ticket=ticket,
        policy=policy,
        at=now,
        by=by,
        to=AFTER_FIX,
        reason=f"Fixed in {version}",
        entries=[entry(ticket, "DEVELOPMENT_FIXED", at=now, by=by, to_value=version, reason=note)],
        emits=[
            Emit(
                "ticket.development_fixed",
                {
                    "previous_status": previous,
                    "issue_key": link.issue_key,
                    "fixed_version": version,
                    "note": note,
                },
            )
        ],
    )


async def report_fix(
    session: AsyncSession,
    outbox: Outbox,
    *,
    principal: Principal,
    ticket_id: uuid.UUID,
    version: str,
    note: str | None,
    policy: TicketPolicy,
) -> Developed:
    """The fix of one case, by staff or the tracker's integration key."""
    ensure_may_report_fix(principal)
    ticket = await repository.get_ticket(
        session, principal=principal, ticket_id=ticket_id, lock=True
    )
    link = await session.get(DevelopmentLink, ticket.id, with_for_update=True)
    try:
        check_fix(Status(ticket.status))
    except DevelopmentRuleError as exc:
        raise _refused(exc, ticket) from exc
    if link is None:  # WITH_DEVELOPMENT set by hand, without a tracker reference
        raise DevelopmentLinkNotFound()
    change = await _fix(
        session,
        outbox,
        ticket=ticket,
        link=link,
        version=version,
        note=note,
        by=principal,
        by_label=principal.email or principal.subject,
        policy=policy,
    )
    return Developed(link, change)


async def tracker_fixed(
    session: AsyncSession,
    outbox: Outbox,
    *,
    issue_key: str,
    version: str,
    note: str | None,
    policy: TicketPolicy,
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The tracker says the issue is fixed: every case handed over as it and still with
    development moves on; a case already told of this very version is left as it is (the
    tracker sending again). Returns (moved, already)."""
    rows = await session.execute(
        select(DevelopmentLink, Ticket)
        .join(Ticket, Ticket.id == DevelopmentLink.ticket_id)
        .where(DevelopmentLink.issue_key == issue_key)
        .order_by(Ticket.id)
        .limit(MAX_CASES_PER_ISSUE)
        .with_for_update()
    )
    moved: list[uuid.UUID] = []
    already: list[uuid.UUID] = []
    for link, ticket in rows:
        if ticket.status != Status.WITH_DEVELOPMENT.value:
            if link.fixed_version == version:
                already.append(ticket.id)
            continue
        await _fix(
            session,
            outbox,
            ticket=ticket,
            link=link,
            version=version,
            note=note,
            by=None,
            by_label="tracker",
            policy=policy,
        )
        moved.append(ticket.id)
    return moved, already
