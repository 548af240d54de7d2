"""Quiet hours and the digest interval for staff mail that is not urgent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from careplane_shared.auth import Principal, Role, StaffPrincipal, require_roles
from careplane_shared.db import DbSession
from notify.deps import SettingsDep
from notify.digest import service
from notify.digest.schemas import DigestSettingsRead, DigestSettingsUpdate

router = APIRouter(prefix="/v1/staff-digest", tags=["staff digest"])

Manager = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.MANAGER))]


@router.get("", response_model=DigestSettingsRead, summary="Quiet hours and digest settings.")
async def get_settings(
    session: DbSession, settings: SettingsDep, _: StaffPrincipal
) -> DigestSettingsRead:
    """SLA breaches and emergencies always go at once; other staff mail (SLA warnings,
    notices) waits for the end of quiet hours and, with a digest interval, goes out as one
    digest mail per address and interval."""
    return await service.read_settings(session, settings)


@router.put("", response_model=DigestSettingsRead, summary="Change quiet hours and digests.")
async def put_settings(
    body: DigestSettingsUpdate, session: DbSession, settings: SettingsDep, principal: Manager
) -> DigestSettingsRead:
    """Administrators and managers. Applies to staff mail arriving from now on; what is
    already held keeps its release time."""
    return await service.update_settings(
        session, settings, body, updated_by=principal.email or principal.subject
    )
