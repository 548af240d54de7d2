"""What contracts does with other services' events (booked exactly once per event)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal, Role
from careplane_shared.errors import NotFound, ValidationFailed
from careplane_shared.events import CloudEvent, Inbox, Outbox
from contracts.agreements import quota
from contracts.agreements.exceptions import QuotaExhausted
from contracts.agreements.reopen_window import within_window
from contracts.billing import service as billing
from contracts.billing.schemas import BillableRecord
from contracts.clock import today
from contracts.models import Agreement, Plan

log = structlog.get_logger(__name__)

_SYSTEM = Principal(subject="contracts-inbox", role=Role.SERVICE)


def _uuid(data: dict[str, Any], name: str) -> uuid.UUID | None:
    value = data.get(name)
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _instant(data: dict[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is not None else None


async def _quota_agreement(session: AsyncSession, data: dict[str, Any]) -> Agreement | None:
    """Whose quota the case uses: its agreement's when that plan keeps one, else (Premium
    on Basic) the customer's prerequisite agreement that is active today."""
    agreement_id = _uuid(data, "agreement_id")
    if agreement_id is None:
        return None
    row = (
        await session.execute(
            select(Agreement, Plan)
            .join(Plan, Plan.id == Agreement.plan_id)
            .where(Agreement.id == agreement_id)
        )
    ).first()
    if row is None:
        return None
    agreement, plan = row
    if plan.yearly_quota is not None:
        return agreement
    if plan.prerequisite_plan_id is None:
        return None
    day = today()
    return await session.scalar(
        select(Agreement)
        .join(Plan, Plan.id == Agreement.plan_id)
        .where(
            Agreement.customer_id == agreement.customer_id,
            Agreement.plan_id == plan.prerequisite_plan_id,
            Agreement.status == "active",
            Agreement.starts_on <= day,
            Agreement.ends_on >= day,
            Plan.yearly_quota.is_not(None),
        )
        .order_by(Agreement.starts_on.desc())
        .limit(1)
    )


def register(inbox: Inbox, outbox: Outbox) -> None:
    @inbox.handler("ticket.closed")
    async def ticket_closed(session: AsyncSession, event: CloudEvent) -> None:
        """A resolved case takes one ticket from its agreement's yearly quota."""
        data = event.data or {}
        ticket_id = _uuid(data, "ticket_id")
        agreement = await _quota_agreement(session, data)
        if ticket_id is None or agreement is None or data.get("counts_against_quota") is False:
            return
        try:
            await quota.consume(
                session,
                outbox,
                agreement.id,
                ticket_id=ticket_id,
                key=f"event:{event.source}:{event.id}",
                by=f"event:{event.type}",
                occurred_at=event.time,
            )
        except QuotaExhausted:
            # The case was entitled when it opened; the quota ran out since. Nothing to book,
            # but support management must know.
            log.warning("quota_exhausted_on_close", ticket_id=str(ticket_id))
            await outbox.emit(
                session,
                "quota.consumption_refused",
                {"agreement_id": str(agreement.id), "ticket_id": str(ticket_id)},
                subject=str(agreement.id),
            )

    @inbox.handler("ticket.reopened")
    async def ticket_reopened(session: AsyncSession, event: CloudEvent) -> None:
        """A case reopened within its plan's reopen window gives its ticket back until it
        is resolved again; reopened later, the ticket stays used."""
        data = event.data or {}
        ticket_id = _uuid(data, "ticket_id")
        agreement = await _quota_agreement(session, data)
        if ticket_id is None or agreement is None:
            return
        plan = await session.get(Plan, agreement.plan_id)
        reopened_at = event.time or datetime.now(UTC)
        window = plan.reopen_window_days if plan is not None else 14
        if not within_window(_instant(data, "closed_at"), reopened_at, window):
            log.info("quota_not_reversed_after_window", ticket_id=str(ticket_id), days=window)
            return
        await quota.reverse(
            session,
            outbox,
            agreement.id,
            ticket_id=ticket_id,
            key=f"event:{event.source}:{event.id}",
            by=f"event:{event.type}",
        )

    @inbox.handler("ticket.billable_activity")
    async def billable_activity(session: AsyncSession, event: CloudEvent) -> None:
        """Emergency calls, on-site visits, service requests and other-support sessions."""
        data = dict(event.data or {})
        data.setdefault("occurred_at", (event.time or datetime.now(UTC)).isoformat())
        data["idempotency_key"] = f"event:{event.source}:{event.id}"
        try:
            record = BillableRecord.model_validate(
                {k: v for k, v in data.items() if k in BillableRecord.model_fields}
            )
        except ValidationError as exc:
            log.error("billable_activity_invalid", event_id=event.id, errors=exc.errors())
            return
        try:
            await billing.record(session, outbox, _SYSTEM, record)
        except (NotFound, ValidationFailed) as exc:
            # An unknown customer or a foreign agreement will not change on a retry: refusing
            # the event would only have the sender post it again forever.
            log.error("billable_activity_refused", event_id=event.id, code=exc.code)
