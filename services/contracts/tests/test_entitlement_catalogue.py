"""The entitlement check's catalogue snapshot (contracts.entitlement.catalogue): one
statement per warm check, catalogue writes of this process seen by the next check, writes
made behind its back (another process) seen once the snapshot is too old or when it lacks
what a check needs, and never a stale standing or quota."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.testing.sql import statements
from contracts.entitlement import catalogue
from contracts.models import MajorVersion, Plan, Product, Release, SupportCenter

pytestmark = pytest.mark.usefixtures("quick_demo_password")


@pytest.fixture
async def admin(staff, sign_in):
    return await sign_in(staff["ADMIN"])


@pytest.fixture
def check(client, admin, demo_ids):
    """``await check(email, version="3.1", product=...)`` → the answer's JSON (200 asserted)."""

    async def answer(email, version="3.1", product=None, expect=200):
        response = await client.post(
            "/v1/entitlements/check",
            json={
                "contact_id": str(demo_ids.contacts[email]),
                "product_id": str(product or demo_ids.product),
                "version": version,
            },
            headers=admin,
        )
        assert response.status_code == expect, response.text
        return response.json()

    return answer


async def test_a_warm_check_reads_the_database_once(check, connection):
    cold = await check("ana@acme-water.example")
    with statements(connection) as seen:
        warm = await check("ana@acme-water.example")
    assert warm == cold
    assert len(seen) == 1, seen
    assert "quota_entries" in seen[0] and "customers" in seen[0]


async def test_a_milestone_change_is_seen_by_the_next_check(
    client, check, staff, sign_in, demo_ids
):
    before = await check("ana@acme-water.example", "2.3")
    assert before["phase"] in ("MAINSTREAM", "EXTENDED")

    manager = await sign_in(staff["MANAGER"])
    response = await client.patch(
        f"/v1/products/{demo_ids.product}/versions/2",
        json={
            "eoms_override": "2024-07-01",
            "eol_override": "2024-07-02",
            "override_reason": "withdrawn early",
        },
        headers=manager,
    )
    assert response.status_code == 200, response.text

    after = await check("ana@acme-water.example", "2.3")
    assert (after["entitled"], after["phase"], after["reasons"]) == (
        False,
        "END_OF_LIFE",
        ["VERSION_END_OF_LIFE"],
    )


async def test_a_plan_change_is_seen_by_the_next_check(client, check, staff, sign_in):
    before = await check("cora@cobalt.example")
    manager = await sign_in(staff["MANAGER"])
    policy = {
        **before["sla_policy"],
        "targets": [{"metric": "FIRST_RESPONSE", "minutes": 15, "business_time": False}],
    }
    response = await client.patch(
        f"/v1/plans/{before['plan_id']}",
        json={"name": "Cobalt Renamed", "sla_policy": policy},
        headers=manager,
    )
    assert response.status_code == 200, response.text

    after = await check("cora@cobalt.example")
    assert after["plan_name"] == "Cobalt Renamed"
    assert [(t["metric"], t["minutes"]) for t in after["sla_policy"]["targets"]] == [
        ("FIRST_RESPONSE", 15)
    ]


async def test_a_catalogue_write_rolled_back_is_not_served(check, session):
    before = await check("cora@cobalt.example")
    savepoint = await session.begin_nested()
    plan = await session.get(Plan, uuid.UUID(before["plan_id"]))
    plan.name = "Never committed"
    await session.flush()
    # The app's requests share the test's transaction: they see the flushed name.
    assert (await check("cora@cobalt.example"))["plan_name"] == "Never committed"

    await savepoint.rollback()
    assert (await check("cora@cobalt.example"))["plan_name"] == before["plan_name"]


async def test_a_snapshot_read_inside_a_transaction_is_dropped_when_it_rolls_back(
    connection, monkeypatch
):
    """A session sharing a writer's transaction reads what it flushed; once that
    transaction rolls back, the next check must not be served the vanished rows."""
    monkeypatch.setattr(catalogue, "TTL_SECONDS", 3600.0)
    engine = connection.engine  # the test's database; its own transaction is not used here
    async with engine.connect() as writer:
        await writer.begin()
        async with AsyncSession(bind=writer) as session:
            product = Product(id=uuid.uuid4(), code=f"p-{uuid.uuid4().hex[:8]}", name="Doomed")
            session.add(product)
            await session.flush()
            inside = await catalogue.snapshot(session, product_id=product.id)
            assert product.id in inside.products
        await writer.rollback()

    async with AsyncSession(engine) as session:
        after = await catalogue.snapshot(session, product_id=product.id)
        assert product.id not in after.products
        assert await session.scalar(select(Product.id).where(Product.id == product.id)) is None


async def test_a_change_made_behind_the_orms_back_is_seen_once_the_snapshot_is_too_old(
    check, session, monkeypatch
):
    """What another process writes: no listener of this one sees it, the TTL bounds it."""
    monkeypatch.setattr(catalogue, "TTL_SECONDS", 3600.0)
    before = await check("cora@cobalt.example")
    await session.execute(
        update(Plan).where(Plan.id == uuid.UUID(before["plan_id"])).values(name="Elsewhere")
    )
    assert (await check("cora@cobalt.example"))["plan_name"] == before["plan_name"]

    monkeypatch.setattr(catalogue, "TTL_SECONDS", 0.0)
    assert (await check("cora@cobalt.example"))["plan_name"] == "Elsewhere"


async def test_a_product_or_center_made_elsewhere_is_found_at_once(
    client, check, session, staff, sign_in, demo_ids, monkeypatch
):
    monkeypatch.setattr(catalogue, "TTL_SECONDS", 3600.0)
    await check("ana@acme-water.example")  # a warm snapshot without what follows

    product, major = uuid.uuid4(), uuid.uuid4()
    await session.execute(
        insert(Product).values(id=product, code=f"p-{product.hex[:8]}", name="Made elsewhere")
    )
    await session.execute(
        insert(MajorVersion).values(id=major, product_id=product, major=7, ga=date(2025, 1, 1))
    )
    await session.execute(
        insert(Release).values(id=uuid.uuid4(), major_version_id=major, version="7.2")
    )
    answer = await check("ana@acme-water.example", "7.2", product=product)
    assert (answer["phase"], answer["major_version"]) == ("MAINSTREAM", 7)
    # Acme's agreement does not cover it: the product is known, the contact not entitled.
    assert answer["reasons"] == ["NO_ACTIVE_AGREEMENT"]

    unknown = await check("ana@acme-water.example", product=uuid.uuid4(), expect=404)
    assert unknown["error"]["code"] == "PRODUCT_NOT_FOUND"

    center = uuid.uuid4()
    await session.execute(
        insert(SupportCenter).values(
            id=center,
            code=f"c-{center.hex[:8]}",
            name="Made elsewhere",
            regions=[],
            calendar={"timezone": "Pacific/Auckland", "always_open": True},
        )
    )
    customer = demo_ids.customers["Acme Water"]
    manager = await sign_in(staff["MANAGER"])
    response = await client.patch(
        f"/v1/customers/{customer}", json={"support_center_id": str(center)}, headers=manager
    )
    assert response.status_code == 200, response.text
    answer = await check("ana@acme-water.example")
    assert answer["support_center"] == f"c-{center.hex[:8]}"
    assert answer["sla_policy"]["calendar"]["timezone"] == "Pacific/Auckland"


async def test_standing_and_quota_are_never_served_stale(
    client, check, staff, sign_in, demo_ids, service_headers, monkeypatch
):
    monkeypatch.setattr(catalogue, "TTL_SECONDS", 3600.0)
    before = await check("dan@delta.example", "3")
    assert (before["entitled"], before["quota_remaining"]) == (True, 40)

    basic = demo_ids.agreements[("Delta Secure", "infotecs-basic")]
    response = await client.post(
        f"/v1/agreements/{basic}/quota/consume",
        json={"ticket_id": str(uuid.uuid4())},
        headers=service_headers,
    )
    assert response.status_code == 200, response.text
    assert (await check("dan@delta.example", "3"))["quota_remaining"] == 39

    manager = await sign_in(staff["MANAGER"])
    response = await client.patch(
        f"/v1/customers/{demo_ids.customers['Delta Secure']}",
        json={"standing": "suspended"},
        headers=manager,
    )
    assert response.status_code == 200, response.text
    after = await check("dan@delta.example", "3")
    assert (after["entitled"], after["reasons"]) == (False, ["CUSTOMER_SUSPENDED"])
