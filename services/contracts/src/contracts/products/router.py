from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession, ReadSession
from contracts.clock import today
from contracts.deps import Manager, OutboxDep
from contracts.products import service
from contracts.products.schemas import (
    MajorVersionCreate,
    MajorVersionRead,
    MilestoneChange,
    ProductCreate,
    ProductRead,
    ReleaseCreate,
    ReleaseRead,
    SupportedVersion,
)

# The same bounds as a major version has when it is created.
MajorNumber = Annotated[int, Path(ge=0, le=10_000, description="A major version number.")]

router = APIRouter(prefix="/v1/products", tags=["products"])

AtDate = Annotated[
    date | None, Query(description="The date to evaluate phases at (default today).")
]


@router.get("", response_model=list[ProductRead], summary="List products.")
async def list_products(session: ReadSession, _: CurrentPrincipal) -> list[ProductRead]:
    return [ProductRead.model_validate(p) for p in await service.list_products(session)]


@router.post(
    "", response_model=ProductRead, status_code=status.HTTP_201_CREATED, summary="Add a product."
)
async def create_product(session: DbSession, _: Manager, body: ProductCreate) -> ProductRead:
    return ProductRead.model_validate(await service.create_product(session, body))


@router.get("/{product_id}", response_model=ProductRead, summary="One product.")
async def get_product(
    session: ReadSession, _: CurrentPrincipal, product_id: uuid.UUID
) -> ProductRead:
    return ProductRead.model_validate(await service.get_product(session, product_id))


@router.get(
    "/{product_id}/lifecycle",
    response_model=list[MajorVersionRead],
    summary="Major versions with GA, EOS, EOMS, EOL and the phase at a date.",
)
async def lifecycle(
    session: ReadSession, _: CurrentPrincipal, product_id: uuid.UUID, at: AtDate = None
) -> list[MajorVersionRead]:
    """EOMS = max(EOS + 1 year, next major's GA + 2 years); EOL = max(EOMS + 1 year,
    GA + 5 years); either may be overridden per version with a reason."""
    return await service.lifecycle_view(session, product_id, at or today())


@router.get(
    "/{product_id}/supported-versions",
    response_model=list[SupportedVersion],
    summary="Releases still supported at a date (mainstream or extended).",
)
async def supported_versions(
    session: ReadSession, _: CurrentPrincipal, product_id: uuid.UUID, at: AtDate = None
) -> list[SupportedVersion]:
    return await service.supported_versions(session, product_id, at or today())


@router.post(
    "/{product_id}/versions",
    response_model=list[MajorVersionRead],
    status_code=status.HTTP_201_CREATED,
    summary="Add a major version; answers the product's whole lifecycle.",
)
async def add_major_version(
    session: DbSession,
    outbox: OutboxDep,
    principal: Manager,
    product_id: uuid.UUID,
    body: MajorVersionCreate,
) -> list[MajorVersionRead]:
    """A new major's GA can move the previous major's EOMS: every moved milestone less than
    6 months ahead is refused (422 `MILESTONE_NOTICE_TOO_SHORT`) unless `force_reason` is given."""
    await service.add_major_version(session, outbox, principal, product_id, body, today())
    return await service.lifecycle_view(session, product_id, today())


@router.patch(
    "/{product_id}/versions/{major}",
    response_model=list[MajorVersionRead],
    summary="Change a major version's milestones; answers the product's whole lifecycle.",
)
async def change_milestones(
    session: DbSession,
    outbox: OutboxDep,
    principal: Manager,
    product_id: uuid.UUID,
    major: MajorNumber,
    body: MilestoneChange,
) -> list[MajorVersionRead]:
    """Each version whose milestones moved emits `lifecycle.milestones_changed`, from which
    notify plans the announcements."""
    await service.change_milestones(session, outbox, principal, product_id, major, body, today())
    return await service.lifecycle_view(session, product_id, today())


@router.post(
    "/{product_id}/versions/{major}/releases",
    response_model=ReleaseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a release (minor version) to a major version.",
)
async def add_release(
    session: DbSession, _: Manager, product_id: uuid.UUID, major: MajorNumber, body: ReleaseCreate
) -> ReleaseRead:
    return ReleaseRead.model_validate(await service.add_release(session, product_id, major, body))
