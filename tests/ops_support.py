"""What the operations tests share: the three services running in-process on rolled-back
connections, a sampling round, and their /metrics read back as samples."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncConnection

from careplane_shared.testing import asgi_client
from careplane_shared.testing.pieces import CONTRACTS, GATEWAY, NOTIFY, TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase

Labels = frozenset[tuple[str, str]]

# Where each service's outbox goes, so that the sampler knows destinations with nothing due.
OUTBOX_TARGETS = {
    "tickets": {
        "contracts": "http://contracts:8000/v1/events",
        "notify": "http://notify:8000/v1/events",
    },
    "contracts": {
        "tickets": "http://tickets:8000/v1/events",
        "notify": "http://notify:8000/v1/events",
    },
    "notify": {},
}


@dataclass
class Running:
    """A running service: its app, a client of it and the test's connection it writes on."""

    app: FastAPI
    client: httpx.AsyncClient
    connection: AsyncConnection

    async def sample(self) -> None:
        await self.app.state.metrics_sampler.run_once(self.app.state.database.sessionmaker)


@asynccontextmanager
async def running_services(
    provision: ProvisionDatabase, tmp_path: Path
) -> AsyncIterator[dict[str, Running]]:
    """tickets, contracts and notify, each on its own migrated database inside a transaction
    that is rolled back at the end, with their workers off (the test samples by itself)."""
    extra = {
        "tickets": {"attachments_dir": tmp_path / "attachments"},
        "contracts": {
            "jwt_private_key_file": tmp_path / "jwt.pem",
            "license_private_key_file": tmp_path / "license.pem",
        },
        "notify": {},
    }
    async with AsyncExitStack() as stack:
        running = {}
        for kit in (TICKETS, CONTRACTS, NOTIFY):
            database = await stack.enter_async_context(kit.database(provision))
            connection = await stack.enter_async_context(database.rolled_back())
            settings = kit.settings(
                database, outbox_targets=OUTBOX_TARGETS[kit.name], **extra[kit.name]
            )
            app = await stack.enter_async_context(kit.app(settings, connection))
            client = await stack.enter_async_context(asgi_client(app))
            running[kit.name] = Running(app, client, connection)
        yield running


@asynccontextmanager
async def running_gateway() -> AsyncIterator[httpx.AsyncClient]:
    async with GATEWAY.client(GATEWAY.settings()) as client:
        yield client


async def samples(client: httpx.AsyncClient) -> dict[str, dict[Labels, float]]:
    """/metrics as {sample name: {labels: value}}, read with Prometheus' own parser."""
    response = await client.get("/metrics")
    response.raise_for_status()
    found: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return found


def labels(**values: str) -> Labels:
    return frozenset(values.items())
