"""Loads the demo data of docs/domain.md section 5 idempotently (`make run`).

Every demo password is ``careplane``: for the dev profile only. Agreements commence 60
days before the data is first loaded; later loads find everything in place and change
nothing.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from careplane_shared.sla_policy import CalendarSpec, SlaPolicy
from contracts import demo
from contracts.agreements.quota import grant_entries
from contracts.agreements.service import pricing_rule
from contracts.agreements.terms import price_for_year, term_for_year
from contracts.clock import today
from contracts.csm.demo import seed_client_services_managers
from contracts.identity.secrets import hash_password
from contracts.models import (
    Agreement,
    Contact,
    Customer,
    MajorVersion,
    Plan,
    Product,
    Release,
    StaffUser,
    SupportCenter,
    agreement_products,
)

DEMO_PASSWORD = "careplane"

STAFF = [
    ("admin@example.com", "Ada Admin", "ADMIN"),
    ("manager@example.com", "Max Manager", "MANAGER"),
    ("agent@example.com", "Alex Agent", "AGENT"),
]

DEMO_ACCOUNTS: list[tuple[str, str]] = [
    *[(email, role.lower()) for email, _, role in STAFF],
    *[
        (
            email,
            f"{'customer admin' if is_admin else 'contact'}, {customer['name']}"
            f" ({' + '.join(customer['plans'])}"
            f"{', expired' if customer.get('expired') else ''}"
            f"{', suspended' if customer['standing'] == 'suspended' else ''})",
        )
        for customer in demo.CUSTOMERS
        for email, _, is_admin in customer["contacts"]
    ],
]


class _Hashes:
    """argon2 is slow on purpose: hash the demo password once per load, and only if needed."""

    def __init__(self) -> None:
        self._hash: str | None = None

    def get(self) -> str:
        self._hash = self._hash or hash_password(DEMO_PASSWORD)
        return self._hash


async def seed_staff(session: AsyncSession, hashes: _Hashes | None = None) -> None:
    hashes = hashes or _Hashes()
    for email, name, role in STAFF:
        exists = await session.scalar(
            select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
        )
        if exists is None:
            session.add(
                StaffUser(
                    id=uuid.uuid4(), email=email, name=name, role=role, password_hash=hashes.get()
                )
            )
    await session.flush()


async def _support_centers(session: AsyncSession) -> None:
    for spec in demo.SUPPORT_CENTERS:
        if await session.scalar(select(SupportCenter.id).where(SupportCenter.code == spec["code"])):
            continue
        calendar = CalendarSpec.model_validate(spec["calendar"]).model_dump(mode="json")
        session.add(SupportCenter(id=uuid.uuid4(), **{**spec, "calendar": calendar}))
    await session.flush()


async def _plans(session: AsyncSession) -> dict[str, Plan]:
    plans = {p.code: p for p in (await session.scalars(select(Plan))).all()}
    for spec in demo.PLANS:
        if spec["code"] in plans:
            continue
        quota: dict[str, Any] = spec.get("quota") or {}
        pricing: dict[str, Any] = spec.get("pricing") or {}
        prerequisite = spec.get("prerequisite")
        plan = Plan(
            id=uuid.uuid4(),
            code=spec["code"],
            name=spec["name"],
            description=spec["description"],
            sla_policy=SlaPolicy.model_validate(spec["sla_policy"]).model_dump(mode="json"),
            channels=spec["channels"],
            services=spec["services"],
            contact_rule=spec["contact_rule"],
            case_visibility=spec.get("case_visibility", "customer"),
            yearly_quota=quota.get("yearly"),
            quota_rollover=quota.get("rollover", False),
            when_exhausted=quota.get("when_exhausted", "refuse"),
            first_year_percent=pricing.get("first_year_percent"),
            later_years_percent=pricing.get("later_years_percent"),
            upgrade_percent=pricing.get("upgrade_percent"),
            prerequisite_plan_id=plans[prerequisite].id if prerequisite else None,
            active=True,
        )
        session.add(plan)
        plans[plan.code] = plan
        await session.flush()
    return plans


async def _product(session: AsyncSession) -> Product:
    spec = demo.PRODUCT
    product = await session.scalar(select(Product).where(Product.code == spec["code"]))
    if product is None:
        product = Product(
            id=uuid.uuid4(), code=spec["code"], name=spec["name"], description=spec["description"]
        )
        session.add(product)
        await session.flush()
    for major_spec in spec["majors"]:
        major = await session.scalar(
            select(MajorVersion).where(
                MajorVersion.product_id == product.id, MajorVersion.major == major_spec["major"]
            )
        )
        if major is None:
            major = MajorVersion(
                id=uuid.uuid4(),
                product_id=product.id,
                major=major_spec["major"],
                ga=date.fromisoformat(major_spec["ga"]),
                eos=date.fromisoformat(major_spec["eos"]) if major_spec["eos"] else None,
                release_state="Production",
            )
            session.add(major)
            await session.flush()
        known = set(
            (
                await session.scalars(
                    select(Release.version).where(Release.major_version_id == major.id)
                )
            ).all()
        )
        for version in major_spec["releases"]:
            if version not in known:
                session.add(Release(id=uuid.uuid4(), major_version_id=major.id, version=version))
    await session.flush()
    return product


async def _customers(
    session: AsyncSession,
    plans: dict[str, Plan],
    product: Product,
    hashes: _Hashes,
    first_day: date,
) -> None:
    for spec in demo.CUSTOMERS:
        customer = await session.scalar(
            select(Customer).where(Customer.external_id == spec["external_id"])
        )
        if customer is None:
            customer = Customer(
                id=uuid.uuid4(),
                name=spec["name"],
                external_id=spec["external_id"],
                region=spec["region"],
                timezone=spec["timezone"],
                language=spec["language"],
                standing=spec["standing"],
            )
            session.add(customer)
            await session.flush()
        for email, name, is_admin in spec["contacts"]:
            exists = await session.scalar(
                select(Contact.id).where(func.lower(Contact.email) == email)
            )
            if exists is None:
                session.add(
                    Contact(
                        id=uuid.uuid4(),
                        customer_id=customer.id,
                        email=email,
                        name=name,
                        is_admin=is_admin,
                        registered=True,
                        active=True,
                        password_hash=hashes.get(),
                    )
                )
        for code in spec["plans"]:
            plan = plans[code]
            exists = await session.scalar(
                select(Agreement.id).where(
                    Agreement.customer_id == customer.id, Agreement.plan_id == plan.id
                )
            )
            if exists is not None:
                continue
            expired = bool(spec.get("expired"))
            commencement = first_day - timedelta(days=365 if expired else 0)
            term = term_for_year(commencement, 1)
            rule = pricing_rule(plan)
            agreement = Agreement(
                id=uuid.uuid4(),
                customer_id=customer.id,
                plan_id=plan.id,
                anchor_date=commencement,
                year=1,
                term_months=12,
                starts_on=term.starts_on,
                ends_on=term.ends_on,
                status="expired" if expired else "active",
                license_price=demo.LICENSE_PRICE,
                currency="EUR",
                price=price_for_year(rule, demo.LICENSE_PRICE, 1) if rule else None,
            )
            session.add(agreement)
            await session.flush()
            await session.execute(
                agreement_products.insert().values(agreement_id=agreement.id, product_id=product.id)
            )
            session.add_all(grant_entries(agreement, plan, 0, "demo data"))
        await session.flush()


async def seed_demo(session: AsyncSession, *, loaded_on: date | None = None) -> None:
    hashes = _Hashes()
    first_day = (loaded_on or today()) - timedelta(days=demo.COMMENCED_DAYS_AGO)
    await seed_staff(session, hashes)
    await seed_client_services_managers(session, hashes.get)
    await _support_centers(session)
    plans = await _plans(session)
    product = await _product(session)
    await _customers(session, plans, product, hashes, first_day)


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await seed_demo(session)
    finally:
        await engine.dispose()


def main() -> None:
    url = os.environ.get("CONTRACTS_DATABASE_URL")
    if not url:
        raise SystemExit("set CONTRACTS_DATABASE_URL")
    asyncio.run(seed(url))


if __name__ == "__main__":
    main()
