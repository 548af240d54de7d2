"""Quiet hours and the digest interval for staff mail that is not urgent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from careplane_shared.auth import Principal, Role, StaffPrincipal, require_roles
from careplane_shared.db import DbSession
from notify.deps import SettingsDep
from notify.digest import service
from notify.digest.policy import DigestPolicy, in_quiet_hours
from notify.digest.schemas import DigestSettingsRead, DigestSettingsUpdate
from notify.models import DigestItem, StaffDigestSettings

router = APIRouter(prefix="/v1/staff-digest", tags=["staff digest"])

Manager = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.MANAGER))]


async def _read(session: DbSession, settings: SettingsDep) -> DigestSettingsRead:
    policy: DigestPolicy = await service.load_policy(session, settings)
    row = await session.get(StaffDigestSettings, 1, populate_existing=True)
    held, next_release = (
        await session.execute(
            select(func.count(), func.min(DigestItem.release_at)).where(
                DigestItem.delivery_id.is_(None)
            )
        )
    ).one()
    return DigestSettingsRead(
        timezone=policy.timezone,
        quiet_start=policy.quiet_start,
        quiet_end=policy.quiet_end,
        digest_minutes=policy.digest_minutes,
        in_quiet_hours=in_quiet_hours(policy, datetime.now(UTC)),
        held=held,
        next_release_at=next_release,
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
    )


@router.get("", response_model=DigestSettingsRead, summary="Quiet hours and digest settings.")
async def get_settings(
    session: DbSession, settings: SettingsDep, _: StaffPrincipal
) -> DigestSettingsRead:
    """SLA breaches and emergencies always go at once; other staff mail (SLA warnings,
    notices) waits for the end of quiet hours and, with a digest interval, goes out as one
    digest mail per address and interval."""
    return await _read(session, settings)


@router.put("", response_model=DigestSettingsRead, summary="Change quiet hours and digests.")
async def put_settings(
    body: DigestSettingsUpdate, session: DbSession, settings: SettingsDep, principal: Manager
) -> DigestSettingsRead:
    """Administrators and managers. Applies to staff mail arriving from now on; what is
    already held keeps its release time."""
    statement = insert(StaffDigestSettings).values(
        id=1, **body.model_dump(), updated_by=principal.email or principal.subject
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={
                **{name: statement.excluded[name] for name in DigestSettingsUpdate.model_fields},
                "updated_by": statement.excluded.updated_by,
                "updated_at": func.now(),
            },
        )
    )
    return await _read(session, settings)
