"""Demo data: one Client Services Manager per demo region, each a staff account of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.csm.models import ClientServicesManager
from contracts.csm.service import set_manager
from contracts.models import StaffUser

MANAGERS = (
    ("AMERICAS", "csm.americas@example.com", "Carla Americas (Client Services)"),
    ("EMEA", "csm.emea@example.com", "Colin Emea (Client Services)"),
    ("APAC", "csm.apac@example.com", "Chloe Apac (Client Services)"),
)


async def seed_client_services_managers(
    session: AsyncSession, password_hash: Callable[[], str]
) -> None:
    """Idempotent: an existing account is kept, a region that has a manager keeps it."""
    for region, email, name in MANAGERS:
        staff_id = await session.scalar(
            select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
        )
        if staff_id is None:
            staff_id = uuid.uuid4()
            session.add(
                StaffUser(
                    id=staff_id,
                    email=email,
                    name=name,
                    role="MANAGER",
                    password_hash=password_hash(),
                )
            )
            await session.flush()
        if await session.get(ClientServicesManager, region) is None:
            await set_manager(session, region=region, staff_user_id=staff_id)
