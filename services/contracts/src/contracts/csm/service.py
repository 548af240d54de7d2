"""Setting and reading the Client Services Manager of a region; tickets asks for the one of
a case's customer when the customer escalates."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from contracts.csm.exceptions import ClientServicesManagerInvalid, ClientServicesManagerNotSet
from contracts.csm.models import ClientServicesManager
from contracts.csm.schemas import ClientServicesManagerRead
from contracts.customers.service import get_customer
from contracts.models import StaffUser


def _read(region: str, staff: StaffUser) -> ClientServicesManagerRead:
    return ClientServicesManagerRead(
        region=region, staff_user_id=staff.id, email=staff.email, name=staff.name
    )


async def list_managers(session: AsyncSession) -> list[ClientServicesManagerRead]:
    rows = await session.execute(
        select(ClientServicesManager.region, StaffUser)
        .join(StaffUser, StaffUser.id == ClientServicesManager.staff_user_id)
        .order_by(ClientServicesManager.region)
    )
    return [_read(region, staff) for region, staff in rows.all()]


async def set_manager(
    session: AsyncSession, *, region: str, staff_user_id: uuid.UUID
) -> ClientServicesManagerRead:
    """Replaces the region's manager (one per region); escalations already open keep the
    owner they were given."""
    staff = await session.get(StaffUser, staff_user_id)
    if staff is None or not staff.active:
        raise ClientServicesManagerInvalid(details={"staff_user_id": str(staff_user_id)})
    await session.execute(
        insert(ClientServicesManager)
        .values(region=region, staff_user_id=staff.id)
        .on_conflict_do_update(
            index_elements=[ClientServicesManager.region], set_={"staff_user_id": staff.id}
        )
    )
    return _read(region, staff)


async def manager_of_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> ClientServicesManagerRead:
    """A customer's own people may read theirs (they asked for that person); another
    customer's id answers as an unknown one."""
    customer = await get_customer(session, principal, customer_id)
    row = await session.execute(
        select(StaffUser)
        .join(ClientServicesManager, ClientServicesManager.staff_user_id == StaffUser.id)
        .where(ClientServicesManager.region == customer.region, StaffUser.active.is_(True))
    )
    staff = row.scalar_one_or_none()
    if staff is None:
        raise ClientServicesManagerNotSet(details={"region": customer.region})
    return _read(customer.region, staff)
