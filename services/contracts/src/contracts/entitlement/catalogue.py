"""The catalogue as the entitlement check reads it, kept in process: products with their
major versions' lifecycles and releases, plans, and support centers; SLA policies parsed
and resolved against a center's calendar once, not at every check.

These change a few times a year and are read at every case opened, so each process holds
one snapshot of them per database and reads them again:

- when the snapshot is older than ``TTL_SECONDS``. With several processes (uvicorn
  workers, replicas) this is the bound: a change made through another process is seen by
  this one within ``TTL_SECONDS`` at most;
- as soon as this process writes one of them: a flush of a Product, MajorVersion,
  Release, Plan or SupportCenter drops the snapshot, and so do the commit or rollback that
  end its transaction (a snapshot read meanwhile by a session sharing that transaction
  cannot outlive it). Contracts writes these only through the ORM's unit of work; a bulk
  ``UPDATE`` or hand-written SQL on them is seen within the TTL, like another process's;
- when a check meets a plan or a support center the snapshot does not hold, or a product
  it does not hold that exists (created through another process since).

What must never be stale is not here: the customer's standing, its agreements and the
quota they have left are read from the database at every check
(:mod:`contracts.entitlement.repository`).
"""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from careplane_shared.sla_policy import CalendarSpec, SlaPolicy
from contracts.entitlement.rules import ContactRule, PlanFacts, WhenExhausted
from contracts.models import MajorVersion, Plan, Product, Release, SupportCenter
from contracts.products.lifecycle import Lifecycle, MajorVersionDates, lifecycles

TTL_SECONDS = 10.0

_CATALOGUE_TYPES = (Product, MajorVersion, Release, Plan, SupportCenter)
# Set on a connection whose transaction wrote catalogue rows, until it ends.
_WRITTEN = "contracts.catalogue_written"


@dataclass(frozen=True, slots=True)
class MajorVersionEntry:
    lifecycle: Lifecycle
    releases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanEntry:
    facts: PlanFacts
    case_visibility: str


@dataclass(frozen=True, slots=True)
class SupportCenterEntry:
    id: uuid.UUID
    code: str
    regions: frozenset[str]
    calendar: Mapping[str, Any]


class Catalogue:
    """One snapshot, never changed once read (a newer one replaces it)."""

    def __init__(
        self,
        *,
        generation: int,
        read_at: float,
        products: dict[uuid.UUID, dict[int, MajorVersionEntry]],
        plans: dict[uuid.UUID, PlanEntry],
        centers: list[SupportCenterEntry],
    ) -> None:
        self.generation = generation
        self.read_at = read_at
        self.products = products
        self.plans = plans
        # In code order: the first center serving a region is that region's (seed 000).
        self.centers = centers
        self._centers_by_id = {center.id: center for center in centers}
        self._policies: dict[tuple[uuid.UUID, uuid.UUID | None], dict[str, Any]] = {}

    def holds(self, plan_ids: Iterable[uuid.UUID], center_id: uuid.UUID | None) -> bool:
        return all(plan_id in self.plans for plan_id in plan_ids) and (
            center_id is None or center_id in self._centers_by_id
        )

    def center_for(
        self, support_center_id: uuid.UUID | None, region: str
    ) -> SupportCenterEntry | None:
        """The customer's own center, or the one serving its region."""
        if support_center_id is not None:
            return self._centers_by_id.get(support_center_id)
        return next((center for center in self.centers if region in center.regions), None)

    def resolved_policy(
        self, plan_id: uuid.UUID, center: SupportCenterEntry | None
    ) -> dict[str, Any]:
        """The plan's SLA policy with a center-based calendar made concrete (the snapshot
        tickets computes with), as JSON-ready data. Computed once per plan and center; the
        same dict is handed out each time, so it must not be changed."""
        key = (plan_id, center.id if center else None)
        policy = self._policies.get(key)
        if policy is None:
            plan_policy = SlaPolicy.model_validate(self.plans[plan_id].facts.sla_policy)
            calendar = CalendarSpec.model_validate(center.calendar) if center else None
            policy = plan_policy.resolved(calendar).model_dump(mode="json")
            self._policies[key] = policy
        return policy


class _Generation:
    """Counts the catalogue writes this process has seen: a snapshot read under an older
    count is not used again."""

    value = 0


# One snapshot per database (engine) the process talks to.
_snapshots: weakref.WeakKeyDictionary[Engine, Catalogue] = weakref.WeakKeyDictionary()


def invalidate() -> None:
    """Every snapshot of this process is read again at its next use."""
    _Generation.value += 1


def _engine(session: AsyncSession) -> Engine:
    return session.get_bind().engine


def _fresh(catalogue: Catalogue | None) -> bool:
    return (
        catalogue is not None
        and catalogue.generation == _Generation.value
        and time.monotonic() - catalogue.read_at < TTL_SECONDS
    )


async def _read(session: AsyncSession) -> Catalogue:
    generation, read_at = _Generation.value, time.monotonic()
    releases = (
        select(func.array_agg(Release.version))
        .where(Release.major_version_id == MajorVersion.id)
        .scalar_subquery()
    )
    version_rows = await session.execute(
        select(
            Product.id,
            MajorVersion.major,
            MajorVersion.ga,
            MajorVersion.eos,
            MajorVersion.eoms_override,
            MajorVersion.eol_override,
            releases,
        ).outerjoin(MajorVersion, MajorVersion.product_id == Product.id)
    )
    dates: dict[uuid.UUID, list[tuple[MajorVersionDates, tuple[str, ...]]]] = {}
    for product_id, major, ga, eos, eoms, eol, names in version_rows:
        versions = dates.setdefault(product_id, [])
        if major is not None:
            versions.append((MajorVersionDates(major, ga, eos, eoms, eol), tuple(names or ())))
    products = {}
    for product_id, versions in dates.items():
        released = {given.major: names for given, names in versions}
        products[product_id] = {
            lifecycle.major: MajorVersionEntry(lifecycle, released[lifecycle.major])
            for lifecycle in lifecycles([given for given, _ in versions])
        }
    plans = {
        plan.id: PlanEntry(
            facts=PlanFacts(
                id=plan.id,
                code=plan.code,
                name=plan.name,
                contact_rule=ContactRule(plan.contact_rule),
                yearly_quota=plan.yearly_quota,
                when_exhausted=WhenExhausted(plan.when_exhausted),
                prerequisite_plan_id=plan.prerequisite_plan_id,
                sla_policy=plan.sla_policy,
            ),
            case_visibility=plan.case_visibility,
        )
        for plan in await session.execute(
            select(
                Plan.id,
                Plan.code,
                Plan.name,
                Plan.contact_rule,
                Plan.yearly_quota,
                Plan.when_exhausted,
                Plan.prerequisite_plan_id,
                Plan.sla_policy,
                Plan.case_visibility,
            )
        )
    }
    centers = [
        SupportCenterEntry(center.id, center.code, frozenset(center.regions), center.calendar)
        for center in await session.execute(
            select(
                SupportCenter.id, SupportCenter.code, SupportCenter.regions, SupportCenter.calendar
            ).order_by(SupportCenter.code)
        )
    ]
    catalogue = Catalogue(
        generation=generation, read_at=read_at, products=products, plans=plans, centers=centers
    )
    _snapshots[_engine(session)] = catalogue
    return catalogue


async def snapshot(
    session: AsyncSession,
    *,
    product_id: uuid.UUID,
    plan_ids: Iterable[uuid.UUID] = (),
    center_id: uuid.UUID | None = None,
) -> Catalogue:
    """The current snapshot, read again when stale or when it lacks the given plans or
    center, or the product while the product exists (an unknown product id costs one
    small query, never a reading of the whole catalogue)."""
    current = _snapshots.get(_engine(session))
    if current is None or not _fresh(current):
        return await _read(session)
    if not current.holds(plan_ids, center_id):
        return await _read(session)
    if product_id not in current.products and await session.scalar(
        select(Product.id).where(Product.id == product_id)
    ):
        return await _read(session)
    return current


# -- invalidation -------------------------------------------------------------------------------


def _mark_written(connection: Connection) -> None:
    connection.info[_WRITTEN] = True
    invalidate()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(instance, _CATALOGUE_TYPES) for instance in changed):
        _mark_written(session.connection())


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(connection: Connection) -> None:
    if connection.info.pop(_WRITTEN, False):
        invalidate()


@event.listens_for(Engine, "rollback_savepoint")
def _savepoint_rolled_back(connection: Connection, _name: str, _context: object) -> None:
    if connection.info.get(_WRITTEN):
        invalidate()
