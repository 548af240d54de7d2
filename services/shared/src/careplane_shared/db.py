"""Database engine, session scope and the naming convention every service's tables use.

One request, one transaction: the ``DbSession`` dependency opens it, services only
flush, and the commit happens when the route function returns, before the response
is sent (``Depends(scope="function")``), so a client never sees a success that was
not stored.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from careplane_shared.settings import DatabaseSettings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Services subclass this once, with their own ``metadata = new_metadata()``."""

    __abstract__ = True


@dataclass(slots=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def connect_args(settings: DatabaseSettings) -> dict[str, Any]:
    """asyncpg's connection arguments. Without an ``sslmode`` (or ``ssl``) in the URL or
    ``PGSSLMODE``, asyncpg asks the server for TLS first ("prefer"): an extra round trip
    and a TLS context built at every new connection. On the loopback, where TLS protects
    nothing, the connection is made in plain unless the URL or ``PGSSLMODE`` asks for TLS."""
    args: dict[str, Any] = {"server_settings": {"application_name": settings.service_name}}
    url = make_url(settings.database_url)
    asks_for_tls = {"ssl", "sslmode"} & set(url.query) or "PGSSLMODE" in os.environ
    if url.host in LOOPBACK_HOSTS and not asks_for_tls:
        args["ssl"] = False
    return args


def create_database(settings: DatabaseSettings) -> Database:
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_pre_ping=settings.database_pool_pre_ping,
        pool_recycle=settings.database_pool_recycle_seconds,
        echo=settings.database_echo,
        connect_args=connect_args(settings),
    )
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = get_database(request).sessionmaker
    async with maker() as session, session.begin():
        yield session


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads: its statements run without a transaction,
    which saves the BEGIN and COMMIT round trips (as many as the reads themselves on a
    one-query route). Nothing is lost: under PostgreSQL's READ COMMITTED every statement
    sees its own snapshot anyway, and nothing is written.

    Like ``DbSession`` it closes when the route function returns, before the response
    is sent: its connection goes back to the pool at once. A sessionmaker bound to a
    connection (tests: the test's own transaction) is used as it is: its reads see what
    the test wrote, and its savepoint is released as ``DbSession`` releases it (the commit
    sends nothing on an engine's connection, which has no transaction)."""
    maker = get_database(request).sessionmaker
    async with maker() as session:
        if isinstance(session.bind, AsyncEngine):
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
        await session.commit()


DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
