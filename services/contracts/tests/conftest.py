from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from careplane_shared.testing import asgi_client
from careplane_shared.testing.pieces import CONTRACTS
from careplane_shared.testing.plugin import ProvisionDatabase
from careplane_shared.testing.service import ServiceDatabase
from contracts.config import ContractsSettings


@pytest.fixture(scope="session")
async def contracts_database(
    provision_database: ProvisionDatabase,
) -> AsyncIterator[ServiceDatabase]:
    async with CONTRACTS.database(provision_database) as database:
        yield database


@pytest.fixture
async def connection(contracts_database: ServiceDatabase) -> AsyncIterator[AsyncConnection]:
    async with contracts_database.rolled_back() as connection:
        yield connection


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session


@pytest.fixture(scope="session")
def contracts_settings(
    contracts_database: ServiceDatabase, tmp_path_factory: pytest.TempPathFactory
) -> ContractsSettings:
    keys = tmp_path_factory.mktemp("keys")
    return CONTRACTS.settings(contracts_database, jwt_private_key_file=keys / "jwt.pem")


@pytest.fixture
async def app(
    contracts_settings: ContractsSettings, connection: AsyncConnection
) -> AsyncIterator[FastAPI]:
    async with CONTRACTS.app(contracts_settings, connection) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


@pytest.fixture
async def staff(session: AsyncSession) -> dict[str, str]:
    """The demo staff accounts (password ``careplane``), inside the test's transaction."""
    from contracts.seed import STAFF, seed_staff

    await seed_staff(session)
    await session.commit()
    return {role: email for email, _, role in STAFF}


@pytest.fixture
async def demo(session: AsyncSession) -> None:
    """The whole demo data set of docs/domain.md section 5, inside the test's transaction."""
    from contracts.seed import seed_demo

    await seed_demo(session)
    await session.commit()


# -- helpers of the API tests (customers, products, plans, agreements, quota, keys, billing) --


@pytest.fixture
async def sign_in(
    app: FastAPI, session: AsyncSession, contracts_settings: ContractsSettings
) -> Callable[[str], Awaitable[dict[str, str]]]:
    """``await sign_in(email)`` → bearer headers for a staff account or contact, with the
    very claims ``POST /auth/token`` issues once the password is checked. argon2 is slow
    on purpose, and the API tests sign in a lot; test_auth.py covers the password grant."""
    from careplane_shared.testing import bearer
    from contracts.identity import repository
    from contracts.identity.signing import access_token_claims

    async def headers(email: str) -> dict[str, str]:
        staff = await repository.staff_by_email(session, email)
        if staff is not None:
            subject, role, customer_id = str(staff.id), staff.role, None
        else:
            found = await repository.contact_by_email(session, email)
            assert found is not None, f"no account {email}"
            contact = found[0]
            subject, customer_id = str(contact.id), contact.customer_id
            role = "CUSTOMER_ADMIN" if contact.is_admin else "CONTACT"
        claims = access_token_claims(
            contracts_settings,
            subject=subject,
            role=role,
            customer_id=customer_id,
            email=email,
            scopes=[],
        )
        return bearer(app.state.signing_key.sign(claims))

    return headers


@pytest.fixture
async def service_headers(
    client: httpx.AsyncClient, contracts_settings: ContractsSettings
) -> dict[str, str]:
    """A service account's token (client_credentials), as tickets holds one."""
    client_id, secret = next(iter(contracts_settings.service_clients.items()))
    response = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def demo_ids(session: AsyncSession, demo: None) -> SimpleNamespace:
    """Ids of the demo data: customers by name, contacts by email, plans by code, the
    Tideway product, agreements by (customer name, plan code)."""
    from contracts.models import Agreement, Contact, Customer, Plan, Product

    customers = {
        name: id_ for name, id_ in await session.execute(select(Customer.name, Customer.id))
    }
    plans = {code: id_ for code, id_ in await session.execute(select(Plan.code, Plan.id))}
    contacts = {mail: id_ for mail, id_ in await session.execute(select(Contact.email, Contact.id))}
    names = {v: k for k, v in customers.items()}
    codes = {v: k for k, v in plans.items()}
    agreements = {
        (names[customer_id], codes[plan_id]): agreement_id
        for agreement_id, customer_id, plan_id in await session.execute(
            select(Agreement.id, Agreement.customer_id, Agreement.plan_id)
        )
    }
    product = await session.scalar(select(Product.id).where(Product.code == "tideway"))
    return SimpleNamespace(
        customers=customers,
        contacts=contacts,
        plans=plans,
        product=product,
        agreements=agreements,
    )


@pytest.fixture
def outbox(session: AsyncSession) -> Callable[[str], Awaitable[list[dict[str, Any]]]]:
    """``await outbox(type)`` → the ``data`` of each event of that type written so far,
    once per event (the outbox holds one row per destination), oldest first."""
    from contracts.models import outbox_events

    async def events(event_type: str) -> list[dict[str, Any]]:
        rows = (
            await session.execute(
                select(outbox_events.c.id, outbox_events.c.envelope).where(
                    outbox_events.c.type == event_type
                )
            )
        ).all()
        unique = {row.id: row.envelope for row in rows}
        return [e.get("data") for e in sorted(unique.values(), key=lambda e: e["time"])]

    return events


SIMPLE_SLA_POLICY: dict[str, Any] = {
    "calendar": {
        "timezone": "Europe/Amsterdam",
        "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holiday_country": "NL",
    },
    "priorities": ["NORMAL", "HIGH"],
    "default_priority": "NORMAL",
    "targets": [{"metric": "FIRST_RESPONSE", "minutes": 480, "business_time": True}],
}


@pytest.fixture
def new_plan() -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await new_plan(client, headers, yearly=5, when_exhausted="refuse")`` → a plan made
    through ``POST /v1/plans`` (a manager's headers), with a quota when ``yearly`` is given."""

    async def create(
        client: httpx.AsyncClient,
        headers: dict[str, str],
        *,
        yearly: int | None = None,
        when_exhausted: str = "refuse",
        rollover: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": f"plan-{uuid.uuid4().hex[:10]}",
            "name": "Test plan",
            "sla_policy": SIMPLE_SLA_POLICY,
            **fields,
        }
        if yearly is not None:
            body["quota"] = {
                "yearly": yearly,
                "rollover": rollover,
                "when_exhausted": when_exhausted,
            }
        response = await client.post("/v1/plans", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return create


@pytest.fixture
async def committed_app(
    provision_database: ProvisionDatabase, contracts_settings: ContractsSettings
) -> AsyncIterator[FastAPI]:
    """The app on a database of its own where every request really commits (for races
    that a single rolled-back test transaction cannot show). Nothing is rolled back, so
    tests using it make their own rows with fresh names."""
    url = await provision_database("contracts_concurrency", CONTRACTS.service_dir)
    settings = contracts_settings.model_copy(update={"database_url": url})
    async with CONTRACTS.app(settings) as app:
        yield app


@pytest.fixture(scope="session")
def demo_password_hash() -> str:
    from careplane_shared.testing import DEMO_PASSWORD
    from contracts.identity.secrets import hash_password

    return hash_password(DEMO_PASSWORD)


@pytest.fixture
def quick_demo_password(monkeypatch: pytest.MonkeyPatch, demo_password_hash: str) -> None:
    """Demo accounts get the demo password's hash made once per run instead of once per
    test (argon2 is slow on purpose). Use it before ``staff``/``demo``: a module's
    ``pytestmark = pytest.mark.usefixtures("quick_demo_password")`` does."""
    import contracts.seed
    from careplane_shared.testing import DEMO_PASSWORD

    real = contracts.seed.hash_password

    def hash_password(password: str) -> str:
        return demo_password_hash if password == DEMO_PASSWORD else real(password)

    monkeypatch.setattr(contracts.seed, "hash_password", hash_password)
