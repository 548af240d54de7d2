"""``/v1/oncall-shifts``: the on-call rota per support center. Managers and admins write
it; the vendor's side reads it; customers never see it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime

from careplane_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from tickets.deps import ContractsDep, ReadSession
from tickets.oncall import service
from tickets.oncall.schemas import (
    OnCallNow,
    RotaCalendar,
    RotaDay,
    ShiftCreate,
    ShiftRead,
    ShiftUpdate,
)

router = APIRouter(prefix="/v1/oncall-shifts", tags=["on-call rota"])

RotaManager = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.MANAGER))]


@router.get("", response_model=Page[ShiftRead], summary="On-call shifts, oldest start first.")
async def list_shifts(
    session: ReadSession,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    support_center: str | None = None,
    staff_email: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[ShiftRead]:
    """Shifts that overlap ``[since, until)``."""
    rows, total = await service.list_shifts(
        session,
        principal,
        support_center=support_center,
        staff_email=staff_email,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of([ShiftRead.model_validate(r) for r in rows], total)


@router.post(
    "",
    response_model=ShiftRead,
    status_code=status.HTTP_201_CREATED,
    summary="Put someone on call for a support center (managers and admins).",
)
async def create_shift(
    session: DbSession, contracts: ContractsDep, principal: RotaManager, body: ShiftCreate
) -> ShiftRead:
    """422 ``SUPPORT_CENTER_UNKNOWN`` for a center contracts does not know."""
    return ShiftRead.model_validate(await service.create(session, contracts, principal, body))


@router.get("/on-call", response_model=OnCallNow, summary="Who is on call for a center at a time.")
async def on_call(
    session: ReadSession,
    contracts: ContractsDep,
    principal: CurrentPrincipal,
    support_center: Annotated[str, Query(min_length=1, max_length=50)],
    at: AwareDatetime | None = None,
) -> OnCallNow:
    service.ensure_vendor_side(principal)
    when = at or datetime.now(UTC)
    timezone = await service.timezone_of(contracts, support_center)
    staff, shifts = await service.on_call(session, support_center, when)
    return OnCallNow(
        support_center=support_center,
        at=when,
        timezone=timezone,
        local_time=when.astimezone(ZoneInfo(timezone)),
        staff=staff,
        shifts=[ShiftRead.model_validate(s) for s in shifts],
    )


@router.get(
    "/calendar",
    response_model=RotaCalendar,
    summary="The rota of a center on its own calendar days (its timezone).",
)
async def rota_calendar(
    session: ReadSession,
    contracts: ContractsDep,
    principal: CurrentPrincipal,
    support_center: Annotated[str, Query(min_length=1, max_length=50)],
    start: Annotated[
        date | None,
        Query(ge=date(2000, 1, 1), le=date(2100, 12, 31), description="First local day."),
    ] = None,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> RotaCalendar:
    """Each local day with the shifts that touch it and the minutes nobody covers."""
    service.ensure_vendor_side(principal)
    timezone = await service.timezone_of(contracts, support_center)
    first = start or datetime.now(ZoneInfo(timezone)).date()
    laid_out, rows = await service.calendar(session, support_center, timezone, first, days)
    return RotaCalendar(
        support_center=support_center,
        timezone=timezone,
        days=[
            RotaDay(
                day=d.day,
                starts_at=d.starts_at,
                ends_at=d.ends_at,
                uncovered_minutes=d.uncovered_minutes,
                shifts=[ShiftRead.model_validate(rows[s.ref]) for s in d.shifts if s.ref],
            )
            for d in laid_out
        ],
    )


@router.get("/{shift_id}", response_model=ShiftRead, summary="One on-call shift.")
async def get_shift(
    session: ReadSession, principal: CurrentPrincipal, shift_id: uuid.UUID
) -> ShiftRead:
    return ShiftRead.model_validate(await service.get(session, principal, shift_id))


@router.patch("/{shift_id}", response_model=ShiftRead, summary="Change a shift.")
async def update_shift(
    session: DbSession, principal: RotaManager, shift_id: uuid.UUID, body: ShiftUpdate
) -> ShiftRead:
    return ShiftRead.model_validate(await service.update(session, principal, shift_id, body))


@router.delete("/{shift_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a shift.")
async def delete_shift(session: DbSession, principal: RotaManager, shift_id: uuid.UUID) -> Response:
    await service.delete(session, principal, shift_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
