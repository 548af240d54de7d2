"""Live case events over Server-Sent Events, on committed transactions and a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import httpx
import pytest

from careplane_shared.auth import StaticKeySource, TokenVerifier
from careplane_shared.testing import running_app, serve_on_loopback
from tickets.config import TicketsSettings
from tickets.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
async def live_server(provision_database, contracts_app, tmp_path):
    """Tickets on its own database with real commits (NOTIFY is delivered on commit),
    served by uvicorn on 127.0.0.1, with the real contracts app answering entitlement."""
    url = await provision_database("tickets_live", SERVICE_DIR)
    settings = TicketsSettings(
        env="test",
        database_url=url,
        run_workers=False,
        log_json=False,
        outbox_targets={},
        token_url="http://contracts/auth/token",
        attachments_dir=tmp_path,
    )
    app = create_app(settings, contracts_transport=httpx.ASGITransport(app=contracts_app))
    app.state.token_verifier = TokenVerifier(
        StaticKeySource(contracts_app.state.signing_key.jwks),
        issuer="careplane",
        audience="careplane",
    )
    async with running_app(app), serve_on_loopback(app) as base_url:
        yield base_url


async def _listen(base_url, headers, received, ready, params=None):
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=30.0)) as client,
        client.stream(
            "GET", f"{base_url}/v1/tickets/events/stream", headers=headers, params=params
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith(": connected"):
                ready.set()
            if line.startswith("data: "):
                received.append(json.loads(line.removeprefix("data: ")))


async def test_subscribers_hear_their_own_customers_case_events_as_they_commit(
    live_server, login, demo_ids
):
    ana = await login("ana@acme-water.example")
    cora = await login("cora@cobalt.example")
    agent = await login("agent@example.com")
    heard_by_ana: list[dict] = []
    heard_by_agent: list[dict] = []
    ready_ana, ready_agent = asyncio.Event(), asyncio.Event()
    listeners = [
        asyncio.create_task(_listen(live_server, ana, heard_by_ana, ready_ana)),
        asyncio.create_task(_listen(live_server, agent, heard_by_agent, ready_agent)),
    ]
    try:
        await asyncio.wait_for(asyncio.gather(ready_ana.wait(), ready_agent.wait()), 10)
        case = {
            "product_id": demo_ids["tideway"],
            "version": "3.1",
            "subject": "Live",
            "description": "Heard live.",
        }
        async with httpx.AsyncClient(base_url=live_server) as client:
            mine = (await client.post("/v1/tickets", json=case, headers=ana)).json()
            theirs = (await client.post("/v1/tickets", json=case, headers=cora)).json()
            await client.post(
                f"/v1/tickets/{mine['id']}/messages", json={"body": "Hi"}, headers=agent
            )
        for _ in range(100):
            if len(heard_by_agent) >= 3 and len(heard_by_ana) >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        for task in listeners:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    assert [(e["type"], e["data"]["number"]) for e in heard_by_ana] == [
        ("ticket.opened", mine["number"]),
        ("ticket.replied", mine["number"]),
    ]
    assert {e["data"]["number"] for e in heard_by_agent} == {mine["number"], theirs["number"]}


async def test_the_stream_needs_a_token(live_server):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{live_server}/v1/tickets/events/stream")
    assert response.status_code == 401
