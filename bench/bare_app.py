"""The baseline of docs/performance.md: bare FastAPI + SQLAlchemy asyncio + asyncpg, one
uvicorn worker, inserting one row and returning it (and reading one row by id).

Started by the benches as `uvicorn bare_app:app` with BARE_DATABASE_URL set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, Text, insert, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
items = Table(
    "bare_items",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
)
engine = create_async_engine(os.environ["BARE_DATABASE_URL"], pool_size=20)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


class ItemIn(BaseModel):
    subject: str
    body: str


@app.post("/items", status_code=201)
async def create(item: ItemIn) -> dict[str, str]:
    async with engine.begin() as connection:
        row = (
            await connection.execute(
                insert(items)
                .values(id=uuid.uuid4(), subject=item.subject, body=item.body)
                .returning(items)
            )
        ).one()
    return {"id": str(row.id), "subject": row.subject, "body": row.body}


@app.get("/items/{item_id}")
async def read(item_id: uuid.UUID) -> dict[str, str]:
    async with engine.connect() as connection:
        row = (await connection.execute(select(items).where(items.c.id == item_id))).one()
    return {"id": str(row.id), "subject": row.subject, "body": row.body}
