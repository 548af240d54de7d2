"""``Idempotency-Key`` for creating POSTs.

The key row is inserted in the request's own transaction before the work starts. A
concurrent request with the same key blocks on that insert until the first commits,
then replays its stored response; if the first rolled back, the second does the work.
So a retried create never creates twice, and no half-written record is ever visible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.auth import CurrentPrincipal
from careplane_shared.db import DbSession
from careplane_shared.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("owner", String(200), nullable=False),
        Column("key", String(MAX_KEY_LENGTH), nullable=False),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer),
        Column("response", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("owner", "key"),
    )


class IdempotentReplay(Exception):
    """Raised to answer with the response stored for a key that was already used."""

    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.body = body


async def replay_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IdempotentReplay)
    return JSONResponse(
        exc.body, status_code=exc.status_code, headers={"Idempotent-Replayed": "true"}
    )


@dataclass(slots=True)
class Idempotency:
    """Handed to a route; ``save`` stores the response so a retry gets the same answer."""

    table: Table | None
    owner: str
    key: str | None

    async def save(self, session: AsyncSession, status_code: int, body: Any) -> None:
        if self.table is None or self.key is None:
            return
        t = self.table
        await session.execute(
            update(t)
            .where(t.c.owner == self.owner, t.c.key == self.key)
            .values(status_code=status_code, response=body)
        )


def _request_hash(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


async def idempotency_key(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> Idempotency:
    table: Table = request.app.state.idempotency_table
    key = request.headers.get(HEADER)
    if key is None:
        return Idempotency(None, principal.subject, None)
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code="IDEMPOTENCY_KEY_INVALID",
        )
    request_hash = _request_hash(request.method, request.url.path, await request.body())
    inserted = await session.execute(
        insert(table)
        .values(
            owner=principal.subject,
            key=key,
            method=request.method,
            path=request.url.path,
            request_hash=request_hash,
        )
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(table.c.key)
    )
    if inserted.first() is None:
        stored = (
            await session.execute(
                select(table.c.request_hash, table.c.status_code, table.c.response).where(
                    table.c.owner == principal.subject, table.c.key == key
                )
            )
        ).one()
        if stored.request_hash != request_hash:
            raise ValidationFailed(
                f"This {HEADER} was already used for a different request.",
                code="IDEMPOTENCY_KEY_REUSED",
            )
        if stored.status_code is None:
            raise Conflict(
                f"A request with this {HEADER} is still being processed.",
                code="IDEMPOTENCY_KEY_IN_PROGRESS",
            )
        raise IdempotentReplay(stored.status_code, stored.response)
    return Idempotency(table, principal.subject, key)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency_key)]
