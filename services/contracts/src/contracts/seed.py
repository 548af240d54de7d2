"""Demo data of ../shared/DOMAIN.md section 5, loaded idempotently by `make run`.

Every demo password is ``careplane``: for the dev profile only.
"""

from __future__ import annotations

import asyncio
import os
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from contracts.identity.secrets import hash_password
from contracts.models import StaffUser

DEMO_PASSWORD = "careplane"

STAFF = [
    ("admin@example.com", "Ada Admin", "ADMIN"),
    ("manager@example.com", "Max Manager", "MANAGER"),
    ("agent@example.com", "Alex Agent", "AGENT"),
]

DEMO_ACCOUNTS: list[tuple[str, str]] = [(email, role.lower()) for email, _, role in STAFF]


async def seed_staff(session: AsyncSession) -> None:
    password_hash: str | None = None
    for email, name, role in STAFF:
        exists = await session.scalar(
            select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
        )
        if exists is not None:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        session.add(
            StaffUser(
                id=uuid.uuid4(), email=email, name=name, role=role, password_hash=password_hash
            )
        )


async def seed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await seed_staff(session)
    finally:
        await engine.dispose()


def main() -> None:
    url = os.environ.get("CONTRACTS_DATABASE_URL")
    if not url:
        raise SystemExit("set CONTRACTS_DATABASE_URL")
    asyncio.run(seed(url))


if __name__ == "__main__":
    main()
