"""Test helpers for every piece: real PostgreSQL, rolled-back transactions, in-process apps.

The pytest plugin (``careplane_shared.testing.plugin``) provisions the server; these
helpers build on it from each service's ``conftest.py``.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from careplane_shared.auth import Role, StaticKeySource, TokenVerifier
from careplane_shared.db import Database

DEMO_PASSWORD = "careplane"  # every demo account's password (docs/domain.md section 5)


@asynccontextmanager
async def rolled_back_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back at the end of the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()


@asynccontextmanager
async def running_app(
    app: FastAPI, connection: AsyncConnection | None = None
) -> AsyncIterator[FastAPI]:
    """Runs the app's real lifespan; with ``connection``, every request's transaction
    becomes a savepoint inside the test's own transaction, so the test sees the data
    and nothing outlives it."""
    async with app.router.lifespan_context(app):
        if connection is None:
            yield app
            return
        own = app.state.database
        app.state.database = Database(
            connection.engine,
            async_sessionmaker(
                bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
            ),
        )
        try:
            yield app
        finally:
            # The lifespan's shutdown disposes the app's own engine: without this, every test
            # left its pool's connections open (and disposed the shared test engine instead).
            app.state.database = own


@asynccontextmanager
async def asgi_client(
    app: FastAPI, base_url: str = "http://testserver", **kwargs: Any
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url, **kwargs) as client:
        yield client


class TokenMinter:
    """An issuer of our own for tests of a service in isolation (the external-OIDC path):
    its keys go into the service's verifier, its tokens carry whatever claims a test needs."""

    def __init__(self, issuer: str = "careplane-test", audience: str = "careplane") -> None:
        self.issuer = issuer
        self.audience = audience
        self.private_key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex
        raw = self.private_key.public_key().public_bytes_raw()
        self.jwks = {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
                    "kid": self.kid,
                    "alg": "EdDSA",
                    "use": "sig",
                }
            ]
        }

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(StaticKeySource(self.jwks), issuer=self.issuer, audience=self.audience)

    def mint(
        self,
        role: Role | str,
        *,
        subject: str | None = None,
        customer_id: uuid.UUID | str | None = None,
        ttl: int = 300,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or str(uuid.uuid4()),
            "iat": now,
            "exp": now + ttl,
            "role": str(role),
            **claims,
        }
        if customer_id is not None:
            payload["customer_id"] = str(customer_id)
        return jwt.encode(payload, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, role: Role | str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(role, **kwargs)}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def password_token(
    client: httpx.AsyncClient, email: str, password: str = DEMO_PASSWORD
) -> str:
    """A token from ``POST /auth/token`` (contracts or the gateway) for a password account."""
    response = await client.post(
        "/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


class TokenBox:
    """Tokens from a piece's ``/auth/token`` (the gateway's or contracts'), one password
    grant per account (argon2 is slow on purpose): ``await tokens("ana@acme-water.example")``."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cache: dict[str, str] = {}

    async def __call__(self, email: str) -> str:
        if email not in self.cache:
            self.cache[email] = await password_token(self.client, email)
        return self.cache[email]


@asynccontextmanager
async def serve_on_loopback(app: Any) -> AsyncIterator[str]:
    """Serves an ASGI app with uvicorn on a free 127.0.0.1 port; yields its base URL.

    For third-party stand-ins (webhook receivers, chat tools) and for real-socket tests."""
    import asyncio
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # at most 5 s
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)  # uvicorn offers no "started" event to wait on
    if not server.started:
        task.cancel()
        raise RuntimeError("the loopback server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
