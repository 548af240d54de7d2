"""The on-call rota per support center: shifts written by managers and admins, read by
the vendor's side; who is on call when, and the rota on the center's calendar."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from tickets.clients.contracts import ContractsClient, ContractsUnavailable
from tickets.oncall import rules
from tickets.oncall.exceptions import (
    ContractsUnreachable,
    ShiftNotFound,
    ShiftWindowInvalid,
    SupportCenterUnknown,
    VendorSideOnly,
)
from tickets.oncall.schemas import ShiftCreate, ShiftUpdate
from tickets.visits.models import OnCallShift

MAX_SHIFT = timedelta(days=7)


def ensure_vendor_side(principal: Principal) -> None:
    if principal.is_customer:
        raise VendorSideOnly()


def as_rule(shift: OnCallShift) -> rules.Shift:
    return rules.Shift(
        shift.support_center, shift.staff_email, shift.starts_at, shift.ends_at, shift.id
    )


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ShiftWindowInvalid()
    if not starts_at < ends_at <= starts_at + MAX_SHIFT:
        raise ShiftWindowInvalid()


async def center_timezones(contracts: ContractsClient) -> dict[str, str]:
    """Each support center's code and its calendar's timezone."""
    try:
        centers = await contracts.center_calendars()
    except ContractsUnavailable as exc:
        raise ContractsUnreachable() from exc
    return {c["code"]: c["timezone"] for c in centers}


async def timezone_of(contracts: ContractsClient, support_center: str) -> str:
    timezone = (await center_timezones(contracts)).get(support_center)
    if timezone is None:
        raise SupportCenterUnknown(details={"support_center": support_center})
    return timezone


async def create(
    session: AsyncSession, contracts: ContractsClient, principal: Principal, data: ShiftCreate
) -> OnCallShift:
    _check_window(data.starts_at, data.ends_at)
    await timezone_of(contracts, data.support_center)
    shift = OnCallShift(
        id=uuid.uuid4(),
        support_center=data.support_center,
        staff_email=str(data.staff_email).lower(),
        staff_id=data.staff_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        note=data.note,
        created_by=principal.email or principal.subject,
    )
    session.add(shift)
    await session.flush()
    await session.refresh(shift)
    return shift


async def get(session: AsyncSession, principal: Principal, shift_id: uuid.UUID) -> OnCallShift:
    ensure_vendor_side(principal)
    shift = await session.get(OnCallShift, shift_id)
    if shift is None:
        raise ShiftNotFound()
    return shift


async def update(
    session: AsyncSession, principal: Principal, shift_id: uuid.UUID, data: ShiftUpdate
) -> OnCallShift:
    shift = await get(session, principal, shift_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    starts_at = changes.get("starts_at") or shift.starts_at
    ends_at = changes.get("ends_at") or shift.ends_at
    _check_window(starts_at, ends_at)
    for name, value in changes.items():
        if value is None and name in ("staff_email", "starts_at", "ends_at"):
            continue
        setattr(shift, name, str(value).lower() if name == "staff_email" else value)
    await session.flush()
    return shift


async def delete(session: AsyncSession, principal: Principal, shift_id: uuid.UUID) -> None:
    shift = await get(session, principal, shift_id)
    await session.delete(shift)
    await session.flush()


async def list_shifts(
    session: AsyncSession,
    principal: Principal,
    *,
    support_center: str | None,
    staff_email: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[OnCallShift], int]:
    """Shifts that overlap [since, until), oldest start first."""
    ensure_vendor_side(principal)
    where = []
    if support_center:
        where.append(OnCallShift.support_center == support_center)
    if staff_email:
        where.append(OnCallShift.staff_email == staff_email.lower())
    if since is not None:
        where.append(OnCallShift.ends_at > since)
    if until is not None:
        where.append(OnCallShift.starts_at < until)
    total = await session.scalar(select(func.count()).select_from(OnCallShift).where(*where))
    rows = await session.scalars(
        select(OnCallShift)
        .where(*where)
        .order_by(OnCallShift.starts_at, OnCallShift.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), total or 0


async def shifts_covering(
    session: AsyncSession, support_center: str | None, at: datetime
) -> list[OnCallShift]:
    where = [OnCallShift.starts_at <= at, OnCallShift.ends_at > at]
    if support_center is not None:
        where.append(OnCallShift.support_center == support_center)
    rows = await session.scalars(select(OnCallShift).where(*where).order_by(OnCallShift.starts_at))
    return list(rows.all())


async def on_call(
    session: AsyncSession, support_center: str | None, at: datetime
) -> tuple[list[str], list[OnCallShift]]:
    """Who is on call for the center at ``at`` (the addresses alerts go to)."""
    shifts = await shifts_covering(session, support_center, at)
    return rules.on_call_at([as_rule(s) for s in shifts], support_center, at), shifts


async def calendar(
    session: AsyncSession, support_center: str, timezone: str, first: date, days: int
) -> tuple[list[rules.Day], dict[uuid.UUID, OnCallShift]]:
    start, _ = rules.day_bounds(first, ZoneInfo(timezone))
    _, end = rules.day_bounds(first + timedelta(days=days - 1), ZoneInfo(timezone))
    rows = (
        await session.scalars(
            select(OnCallShift)
            .where(
                OnCallShift.support_center == support_center,
                OnCallShift.starts_at < end,
                OnCallShift.ends_at > start,
            )
            .order_by(OnCallShift.starts_at)
        )
    ).all()
    by_id = {s.id: s for s in rows}
    return rules.calendar_days([as_rule(s) for s in rows], timezone, first, days), by_id
