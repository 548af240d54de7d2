from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from careplane_shared.auth import StaffPrincipal
from careplane_shared.db import DbSession
from careplane_shared.pagination import Page, PageParamsDep
from notify.access import EVERYONE
from notify.deps import ContractsDep, ReaderScopeDep, SettingsDep
from notify.maintenance import service
from notify.maintenance.schemas import (
    MaintenanceCancel,
    MaintenanceKind,
    MaintenanceStatus,
    MaintenanceWindowCreate,
    MaintenanceWindowDetail,
    MaintenanceWindowRead,
)

router = APIRouter(prefix="/v1/maintenance-windows", tags=["maintenance"])


@router.post(
    "",
    response_model=MaintenanceWindowDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Announce a maintenance window.",
)
async def create_window(
    body: MaintenanceWindowCreate,
    session: DbSession,
    principal: StaffPrincipal,
    settings: SettingsDep,
    contracts: ContractsDep,
) -> MaintenanceWindowDetail:
    """Mails every affected customer's registered contacts (one mail per customer, in its
    language, with times in its timezone) an `.ics` calendar file (METHOD:PUBLISH, times in
    UTC). Affected: the `customer_ids` given, or every customer with an active agreement (on
    `product_id`, when given). 503 `CONTRACTS_UNAVAILABLE` when the customers cannot be read:
    then nothing was recorded or sent."""
    window = await service.create_window(
        session, principal, body, contracts=contracts, settings=settings
    )
    return await service.get_window(session, EVERYONE, window.id)


@router.get("", response_model=Page[MaintenanceWindowRead], summary="Maintenance windows.")
async def list_windows(
    session: DbSession,
    scope: ReaderScopeDep,
    page: PageParamsDep,
    status: MaintenanceStatus | None = None,
    kind: MaintenanceKind | None = None,
    ending_after: Annotated[
        datetime | None, Query(description="Only windows still running or to come then.")
    ] = None,
) -> Page[MaintenanceWindowRead]:
    """Latest start first. Staff see every window; a customer those it was told of."""
    items, total = await service.list_windows(
        session,
        scope,
        status=status,
        kind=kind,
        ending_after=ending_after,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/{window_id}", response_model=MaintenanceWindowDetail, summary="One maintenance window."
)
async def get_window(
    window_id: uuid.UUID, session: DbSession, scope: ReaderScopeDep
) -> MaintenanceWindowDetail:
    """With each customer told: the addresses, the notice's and the cancellation's delivery
    and when each was accepted."""
    return await service.get_window(session, scope, window_id)


@router.post(
    "/{window_id}/cancel",
    response_model=MaintenanceWindowDetail,
    summary="Cancel a maintenance window.",
)
async def cancel_window(
    window_id: uuid.UUID,
    body: MaintenanceCancel,
    session: DbSession,
    principal: StaffPrincipal,
    settings: SettingsDep,
) -> MaintenanceWindowDetail:
    """Mails everyone who got the notice a cancellation with a METHOD:CANCEL `.ics` (the
    same UID, SEQUENCE + 1), so calendars that imported the window drop it. A window
    cancelled before is a 409 `ALREADY_CANCELLED`."""
    await service.cancel_window(
        session, principal, EVERYONE, window_id, reason=body.reason, settings=settings
    )
    return await service.get_window(session, EVERYONE, window_id)
