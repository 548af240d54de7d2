"""Products, their major versions and releases, and the lifecycle milestones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import Principal
from careplane_shared.events import Outbox
from contracts.exceptions import FieldNotNullable
from contracts.models import MajorVersion, Product, Release
from contracts.products.exceptions import (
    MajorVersionNotFound,
    MilestonesInvalid,
    OverrideReasonRequired,
    ProductCodeTaken,
    ReleaseExists,
    ReleaseMajorMismatch,
    VersionExists,
)
from contracts.products.exceptions import ProductNotFound as ProductNotFound  # re-exported
from contracts.products.lifecycle import (
    Lifecycle,
    MajorVersionDates,
    MilestoneError,
    Phase,
    check_announcement_notice,
    check_derived_order,
    check_order,
    lifecycles,
)
from contracts.products.schemas import (
    MajorVersionCreate,
    MajorVersionRead,
    MilestoneChange,
    ProductCreate,
    ReleaseCreate,
    ReleaseRead,
    SupportedVersion,
)


def _dates(version: MajorVersion) -> MajorVersionDates:
    return MajorVersionDates(
        major=version.major,
        ga=version.ga,
        eos=version.eos,
        eoms_override=version.eoms_override,
        eol_override=version.eol_override,
    )


async def list_products(session: AsyncSession) -> Sequence[Product]:
    return (await session.scalars(select(Product).order_by(Product.name))).all()


async def get_product(session: AsyncSession, product_id: uuid.UUID) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFound()
    return product


async def create_product(session: AsyncSession, data: ProductCreate) -> Product:
    if await session.scalar(select(Product.id).where(Product.code == data.code)):
        raise ProductCodeTaken()
    product = Product(id=uuid.uuid4(), **data.model_dump())
    session.add(product)
    await session.flush()
    return product


async def major_versions(session: AsyncSession, product_id: uuid.UUID) -> list[MajorVersion]:
    return list(
        (
            await session.scalars(
                select(MajorVersion)
                .where(MajorVersion.product_id == product_id)
                .order_by(MajorVersion.major)
            )
        ).all()
    )


async def product_lifecycles(session: AsyncSession, product_id: uuid.UUID) -> dict[int, Lifecycle]:
    versions = await major_versions(session, product_id)
    return {lc.major: lc for lc in lifecycles([_dates(v) for v in versions])}


async def lifecycle_view(
    session: AsyncSession, product_id: uuid.UUID, at: date
) -> list[MajorVersionRead]:
    await get_product(session, product_id)
    versions = await major_versions(session, product_id)
    by_major = {lc.major: lc for lc in lifecycles([_dates(v) for v in versions])}
    releases = (
        await session.execute(
            select(Release, MajorVersion.major)
            .join(MajorVersion, MajorVersion.id == Release.major_version_id)
            .where(MajorVersion.product_id == product_id)
            .order_by(Release.version)
        )
    ).all()
    result = []
    for version in versions:
        lc = by_major[version.major]
        result.append(
            MajorVersionRead(
                major=version.major,
                ga=lc.ga,
                eos=lc.eos,
                eoms=lc.eoms,
                eol=lc.eol,
                eoms_derived=lc.eoms_derived,
                eol_derived=lc.eol_derived,
                override_reason=version.override_reason,
                release_state=version.release_state,
                phase=lc.phase_at(at).value,
                releases=[
                    ReleaseRead.model_validate(r) for r, major in releases if major == version.major
                ],
            )
        )
    return result


async def _apply(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    product: Product,
    before: dict[int, Lifecycle],
    force_reason: str | None,
    today: date,
) -> None:
    """Checks the 6-month notice for every version whose milestones move (a new major's GA
    moves the previous one's EOMS too) and emits one event per changed version."""
    after = await product_lifecycles(session, product.id)
    for major, lifecycle in sorted(after.items()):
        try:
            check_derived_order(lifecycle)
            changed = check_announcement_notice(
                before.get(major), lifecycle, today, forced_reason=force_reason
            )
        except MilestoneError as exc:
            raise MilestonesInvalid(exc) from exc
        if not changed:
            continue
        old = before.get(major)
        await outbox.emit(
            session,
            "lifecycle.milestones_changed",
            {
                "product_id": str(product.id),
                "product_name": product.name,
                "major": major,
                "changed": [m.value for m in changed],
                "before": {
                    m.value: (d.isoformat() if d else None) for m, d in old.milestones().items()
                }
                if old
                else None,
                "after": {
                    m.value: (d.isoformat() if d else None)
                    for m, d in lifecycle.milestones().items()
                },
                "forced_reason": force_reason,
                "changed_by": principal.email or principal.subject,
            },
            subject=f"{product.id}/{major}",
        )


def _check_override_reason(version: MajorVersion) -> None:
    overridden = version.eoms_override is not None or version.eol_override is not None
    if overridden and not (version.override_reason and version.override_reason.strip()):
        raise OverrideReasonRequired()


async def add_major_version(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    product_id: uuid.UUID,
    data: MajorVersionCreate,
    today: date,
) -> MajorVersion:
    product = await get_product(session, product_id)
    before = await product_lifecycles(session, product_id)
    if data.major in before:
        raise VersionExists()
    version = MajorVersion(
        id=uuid.uuid4(),
        product_id=product_id,
        **data.model_dump(exclude={"force_reason"}),
    )
    try:
        check_order(_dates(version))
    except MilestoneError as exc:
        raise MilestonesInvalid(exc) from exc
    _check_override_reason(version)
    session.add(version)
    await session.flush()
    await _apply(session, outbox, principal, product, before, data.force_reason, today)
    return version


async def change_milestones(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    product_id: uuid.UUID,
    major: int,
    data: MilestoneChange,
    today: date,
) -> MajorVersion:
    product = await get_product(session, product_id)
    version = await session.scalar(
        select(MajorVersion)
        .where(MajorVersion.product_id == product_id, MajorVersion.major == major)
        .with_for_update()
    )
    if version is None:
        raise MajorVersionNotFound()
    before = await product_lifecycles(session, product_id)
    for name, value in data.model_dump(exclude_unset=True, exclude={"force_reason"}).items():
        if name in ("ga", "release_state") and value is None:
            raise FieldNotNullable(name)
        setattr(version, name, value)
    try:
        check_order(_dates(version))
    except MilestoneError as exc:
        raise MilestonesInvalid(exc) from exc
    _check_override_reason(version)
    await session.flush()
    await _apply(session, outbox, principal, product, before, data.force_reason, today)
    return version


async def add_release(
    session: AsyncSession, product_id: uuid.UUID, major: int, data: ReleaseCreate
) -> Release:
    await get_product(session, product_id)
    version = await session.scalar(
        select(MajorVersion).where(
            MajorVersion.product_id == product_id, MajorVersion.major == major
        )
    )
    if version is None:
        raise MajorVersionNotFound()
    if int(data.version.split(".")[0]) != major:
        raise ReleaseMajorMismatch(data.version, major)
    exists = await session.scalar(
        select(func.count())
        .select_from(Release)
        .where(Release.major_version_id == version.id, Release.version == data.version)
    )
    if exists:
        raise ReleaseExists()
    release = Release(id=uuid.uuid4(), major_version_id=version.id, **data.model_dump())
    session.add(release)
    await session.flush()
    return release


async def supported_versions(
    session: AsyncSession, product_id: uuid.UUID, at: date
) -> list[SupportedVersion]:
    view = await lifecycle_view(session, product_id, at)
    supported = (Phase.MAINSTREAM.value, Phase.EXTENDED.value)
    return [
        SupportedVersion(
            version=release.version,
            major=version.major,
            phase=version.phase,
            release_state=release.release_state,
        )
        for version in view
        if version.phase in supported
        for release in version.releases
    ]


def parse_major(version: str) -> int | None:
    head = version.strip().split(".")[0]
    return int(head) if head.isdigit() else None


def release_known(version: str, releases: Sequence[str]) -> bool:
    """``3`` (a major), ``3.1`` (a release) and ``3.1.4`` (a patch of 3.1) are known when
    the major's releases include it; ``3.7`` is not."""
    text = version.strip()
    if text.isdigit():
        return True
    return any(text == r or text.startswith(r + ".") for r in releases)
