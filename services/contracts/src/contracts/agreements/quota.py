"""The quota ledger (seed 003): append-only entries, remaining quota derived from them.

Bookings against one agreement serialize on its row (``SELECT ... FOR UPDATE``), so
concurrent consumption can never take more than is left; each booking carries an
idempotency key (an event id or a client's key) so a repeat is recognized, not rebooked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import Outbox
from contracts.agreements.exceptions import AgreementNotFound, NoQuota, QuotaExhausted
from contracts.agreements.schemas import ConsumeResult, QuotaKind, QuotaSummary
from contracts.models import Agreement, BillableItem, Plan, QuotaEntry


async def remaining_by_agreement(
    session: AsyncSession, agreement_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not agreement_ids:
        return {}
    rows = await session.execute(
        select(QuotaEntry.agreement_id, func.coalesce(func.sum(QuotaEntry.amount), 0))
        .where(QuotaEntry.agreement_id.in_(agreement_ids))
        .group_by(QuotaEntry.agreement_id)
    )
    remaining = {agreement_id: 0 for agreement_id in agreement_ids}
    remaining.update({row[0]: int(row[1]) for row in rows})
    return remaining


async def remaining(session: AsyncSession, agreement_id: uuid.UUID) -> int:
    return (await remaining_by_agreement(session, [agreement_id]))[agreement_id]


async def _locked(session: AsyncSession, agreement_id: uuid.UUID) -> tuple[Agreement, Plan]:
    row = (
        await session.execute(
            select(Agreement, Plan)
            .join(Plan, Plan.id == Agreement.plan_id)
            .where(Agreement.id == agreement_id)
            .with_for_update(of=Agreement)
        )
    ).first()
    if row is None:
        raise AgreementNotFound()
    return row[0], row[1]


async def _existing(session: AsyncSession, key: str | None) -> QuotaEntry | None:
    if key is None:
        return None
    return await session.scalar(select(QuotaEntry).where(QuotaEntry.idempotency_key == key))


async def _ticket_key(
    session: AsyncSession, agreement_id: uuid.UUID, ticket_id: uuid.UUID, kind: str, other: str
) -> str:
    """The default booking key of a ticket: once per resolution (consume) and once per
    reopening (reversal). A ticket resolved, reopened and resolved again is booked again,
    so each booking's key counts the bookings of the other kind made before it."""
    before = await session.scalar(
        select(func.count())
        .select_from(QuotaEntry)
        .where(
            QuotaEntry.agreement_id == agreement_id,
            QuotaEntry.ticket_id == ticket_id,
            QuotaEntry.kind == other,
        )
    )
    if kind == "reversal":
        before = max((before or 0) - 1, 0)  # the first reversal follows the first consume
    return f"{kind}:{ticket_id}" + (f":{before}" if before else "")


def _entry(
    agreement: Agreement,
    kind: QuotaKind,
    amount: int,
    *,
    key: str | None = None,
    ticket_id: uuid.UUID | None = None,
    note: str | None = None,
    by: str | None = None,
) -> QuotaEntry:
    return QuotaEntry(
        id=uuid.uuid4(),
        agreement_id=agreement.id,
        customer_id=agreement.customer_id,
        kind=kind.value,
        amount=amount,
        ticket_id=ticket_id,
        idempotency_key=key,
        note=note,
        created_by=by,
        created_at=datetime.now(UTC),
    )


async def summary(session: AsyncSession, agreement: Agreement, plan: Plan) -> QuotaSummary:
    row = (
        await session.execute(
            select(
                func.coalesce(
                    func.sum(
                        case(
                            (
                                QuotaEntry.kind.in_(["grant", "rollover_in", "purchase"]),
                                QuotaEntry.amount,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
                func.coalesce(
                    func.sum(
                        case(
                            (QuotaEntry.kind.in_(["consume", "reversal"]), -QuotaEntry.amount),
                            else_=0,
                        )
                    ),
                    0,
                ),
                func.coalesce(func.sum(QuotaEntry.amount), 0),
            ).where(QuotaEntry.agreement_id == agreement.id)
        )
    ).one()
    return QuotaSummary(
        agreement_id=agreement.id,
        yearly=plan.yearly_quota,
        granted=int(row[0]),
        consumed=int(row[1]),
        remaining=int(row[2]),
        when_exhausted=plan.when_exhausted,
        rollover=plan.quota_rollover,
    )


async def consume(
    session: AsyncSession,
    outbox: Outbox,
    agreement_id: uuid.UUID,
    *,
    ticket_id: uuid.UUID,
    key: str | None,
    by: str | None,
    occurred_at: datetime | None = None,
) -> ConsumeResult:
    """Books one resolved ticket. With the quota used up, the plan decides: refuse (409)
    or accept it as an extra, billable ticket."""
    agreement, plan = await _locked(session, agreement_id)
    if plan.yearly_quota is None:
        raise NoQuota()
    key = key or await _ticket_key(session, agreement.id, ticket_id, "consume", "reversal")
    left = await remaining(session, agreement.id)
    if (existing := await _existing(session, key)) is not None:
        return ConsumeResult(outcome="duplicate", remaining=left, entry_id=existing.id)
    billed = await session.scalar(
        select(BillableItem.id).where(BillableItem.idempotency_key == key)
    )
    if billed is not None:
        return ConsumeResult(outcome="duplicate", remaining=left, billable_item_id=billed)
    if left <= 0:
        if plan.when_exhausted != "billable":
            raise QuotaExhausted(details={"agreement_id": str(agreement.id)})
        item = BillableItem(
            id=uuid.uuid4(),
            customer_id=agreement.customer_id,
            agreement_id=agreement.id,
            kind="extra_ticket",
            quantity=Decimal(1),
            unit="ticket",
            ticket_id=ticket_id,
            description="Ticket resolved beyond the yearly quota",
            occurred_at=occurred_at or datetime.now(UTC),
            idempotency_key=key,
        )
        session.add(item)
        await session.flush()
        await outbox.emit(
            session,
            "quota.exceeded",
            {
                "agreement_id": str(agreement.id),
                "customer_id": str(agreement.customer_id),
                "ticket_id": str(ticket_id),
                "billable_item_id": str(item.id),
            },
            subject=str(agreement.id),
        )
        return ConsumeResult(outcome="billable", remaining=0, billable_item_id=item.id)
    entry = _entry(agreement, QuotaKind.CONSUME, -1, key=key, ticket_id=ticket_id, by=by)
    session.add(entry)
    await session.flush()
    await outbox.emit(
        session,
        "quota.consumed",
        {
            "agreement_id": str(agreement.id),
            "customer_id": str(agreement.customer_id),
            "ticket_id": str(ticket_id),
            "remaining": left - 1,
        },
        subject=str(agreement.id),
    )
    return ConsumeResult(outcome="consumed", remaining=left - 1, entry_id=entry.id)


async def reverse(
    session: AsyncSession,
    outbox: Outbox,
    agreement_id: uuid.UUID,
    *,
    ticket_id: uuid.UUID,
    key: str | None,
    by: str | None,
) -> ConsumeResult:
    """A reopened ticket gives back what its resolution took (once per consumption)."""
    agreement, _ = await _locked(session, agreement_id)
    key = key or await _ticket_key(session, agreement.id, ticket_id, "reversal", "consume")
    if (existing := await _existing(session, key)) is not None:
        return ConsumeResult(
            outcome="duplicate",
            remaining=await remaining(session, agreement.id),
            entry_id=existing.id,
        )
    net = await session.scalar(
        select(func.coalesce(func.sum(QuotaEntry.amount), 0)).where(
            QuotaEntry.agreement_id == agreement.id,
            QuotaEntry.ticket_id == ticket_id,
            QuotaEntry.kind.in_(["consume", "reversal"]),
        )
    )
    if not net:
        return ConsumeResult(
            outcome="nothing_to_reverse", remaining=await remaining(session, agreement.id)
        )
    entry = _entry(agreement, QuotaKind.REVERSAL, -int(net), key=key, ticket_id=ticket_id, by=by)
    session.add(entry)
    await session.flush()
    left = await remaining(session, agreement.id)
    await outbox.emit(
        session,
        "quota.reversed",
        {
            "agreement_id": str(agreement.id),
            "customer_id": str(agreement.customer_id),
            "ticket_id": str(ticket_id),
            "remaining": left,
        },
        subject=str(agreement.id),
    )
    return ConsumeResult(outcome="reversed", remaining=left, entry_id=entry.id)


async def purchase(
    session: AsyncSession,
    outbox: Outbox,
    agreement_id: uuid.UUID,
    amount: int,
    note: str | None,
    by: str | None,
) -> QuotaEntry:
    agreement, plan = await _locked(session, agreement_id)
    if plan.yearly_quota is None:
        raise NoQuota()
    entry = _entry(agreement, QuotaKind.PURCHASE, amount, note=note, by=by)
    session.add(entry)
    await session.flush()
    await outbox.emit(
        session,
        "quota.purchased",
        {
            "agreement_id": str(agreement.id),
            "customer_id": str(agreement.customer_id),
            "amount": amount,
        },
        subject=str(agreement.id),
    )
    return entry


async def exchange(
    session: AsyncSession,
    outbox: Outbox,
    agreement_id: uuid.UUID,
    amount: int,
    service: str,
    by: str | None,
) -> QuotaEntry:
    """Unused tickets exchanged for a premium service (seed 003)."""
    agreement, plan = await _locked(session, agreement_id)
    if plan.yearly_quota is None:
        raise NoQuota()
    left = await remaining(session, agreement.id)
    if amount > left:
        raise QuotaExhausted(
            f"Only {left} tickets are left to exchange.", details={"remaining": left}
        )
    entry = _entry(agreement, QuotaKind.EXCHANGE, -amount, note=service, by=by)
    session.add(entry)
    await session.flush()
    await outbox.emit(
        session,
        "quota.exchanged",
        {
            "agreement_id": str(agreement.id),
            "customer_id": str(agreement.customer_id),
            "amount": amount,
            "service": service,
        },
        subject=str(agreement.id),
    )
    return entry


def grant_entries(
    agreement: Agreement, plan: Plan, rolled_over: int, by: str | None
) -> list[QuotaEntry]:
    """Opening entries of a new agreement year: the yearly grant and any rollover."""
    if plan.yearly_quota is None:
        return []
    entries = [
        _entry(agreement, QuotaKind.GRANT, plan.yearly_quota, note=f"year {agreement.year}", by=by)
    ]
    if rolled_over > 0:
        entries.append(
            _entry(
                agreement,
                QuotaKind.ROLLOVER_IN,
                rolled_over,
                note="unused tickets of the previous year",
                by=by,
            )
        )
    return entries


def rollover_out_entry(previous: Agreement, amount: int, by: str | None) -> QuotaEntry:
    return _entry(previous, QuotaKind.ROLLOVER_OUT, -amount, note="moved to the next year", by=by)


async def list_entries(
    session: AsyncSession, agreement_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[QuotaEntry], int]:
    query = select(QuotaEntry).where(QuotaEntry.agreement_id == agreement_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = (
        await session.scalars(
            query.order_by(QuotaEntry.created_at, QuotaEntry.id).limit(limit).offset(offset)
        )
    ).all()
    return items, total
