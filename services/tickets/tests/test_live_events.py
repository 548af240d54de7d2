"""Live case events over Server-Sent Events, on committed transactions and a real socket:
one LISTEN connection per process fanned out to every stream, the limits per caller, per
customer and per process, streams that end with the token or the account, replay after
Last-Event-ID."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from careplane_shared.testing import bearer, password_token, serve_on_loopback
from careplane_shared.testing.pieces import TICKETS
from careplane_shared.testing.service import verifier_of
from careplane_shared.testing.transport import SerialTransport
from tickets.live_hub import APPLICATION_NAME, LAGGING, LiveHub

ANA = "ana@acme-water.example"  # customer administrator, Acme Water
CORA = "cora@cobalt.example"  # customer administrator, Cobalt Logistics
AGENT = "agent@example.com"
ADMIN = "admin@example.com"
# Every wait in these tests is bounded by this.
WAIT = 10.0


@pytest.fixture
def contracts_serial(contracts_app: FastAPI) -> SerialTransport:
    """The in-process contracts, for tickets and the test alike: they take turns."""
    return SerialTransport.to(contracts_app)


@pytest.fixture
async def contracts(contracts_serial: SerialTransport) -> AsyncIterator[httpx.AsyncClient]:
    """The test's own client of the in-process contracts, taking turns with tickets'."""
    async with httpx.AsyncClient(transport=contracts_serial, base_url="http://contracts") as c:
        yield c


@pytest.fixture
async def tokens(contracts: httpx.AsyncClient) -> dict[str, str]:
    return {email: await password_token(contracts, email) for email in (ANA, CORA, AGENT, ADMIN)}


@dataclass
class Served:
    app: FastAPI
    url: str
    database_url: str

    @property
    def hub(self) -> LiveHub:
        hub: LiveHub = self.app.state.live_hub
        return hub


ServeTickets = Callable[..., AbstractAsyncContextManager[Served]]


@pytest.fixture
async def tickets_live_db_url(provision_database) -> str:
    return str(await provision_database("tickets_live", TICKETS.service_dir))


@pytest.fixture
def serve_tickets(
    tickets_live_db_url: str, contracts_app: FastAPI, contracts_serial: SerialTransport, tmp_path
) -> ServeTickets:
    """``async with serve_tickets(**settings) as served``: tickets on its own database with real
    commits (NOTIFY is delivered on commit), served by uvicorn on 127.0.0.1, with the real
    contracts app answering entitlement checks and ``/v1/me``."""

    @asynccontextmanager
    async def serve(**overrides: Any) -> AsyncIterator[Served]:
        settings = TICKETS.settings(
            tickets_live_db_url,
            **{
                "http_retries": 0,
                "outbox_targets": {},
                "token_url": "http://contracts/auth/token",
                "attachments_dir": tmp_path,
                **overrides,
            },
        )
        transport = None if "contracts_url" in overrides else contracts_serial
        async with (
            TICKETS.app(
                settings, token_verifier=verifier_of(contracts_app), contracts_transport=transport
            ) as app,
            serve_on_loopback(app) as base_url,
        ):
            yield Served(app, base_url, tickets_live_db_url)

    return serve


@pytest.fixture
async def live_server(serve_tickets: ServeTickets) -> AsyncIterator[Served]:
    async with serve_tickets() as served:
        yield served


# -- reading a stream ------------------------------------------------------------------------


@dataclass
class Message:
    event: str
    data: dict[str, Any]
    id: str | None


class Stream:
    """One open event stream, read message by message (comments skipped)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self) -> Message | None:
        """The next message; None once the stream has ended."""
        event, event_id, data = "message", None, []
        async with asyncio.timeout(WAIT):
            async for line in self.lines:
                if not line:
                    if data:
                        return Message(event, json.loads("\n".join(data)), event_id)
                    event, event_id, data = "message", None, []
                elif line.startswith(":"):
                    continue
                else:
                    name, _, value = line.partition(": ")
                    if name == "data":
                        data.append(value)
                    elif name == "event":
                        event = value
                    elif name == "id":
                        event_id = value
        return None

    async def events(self, count: int) -> list[Message]:
        return [await self._must_next() for _ in range(count)]

    async def _must_next(self) -> Message:
        message = await self.next()
        assert message is not None, "the stream ended"
        return message


@asynccontextmanager
async def open_stream(
    base_url: str,
    token: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[Stream]:
    """An open stream, past its ``: connected`` line (the hub LISTENs by then)."""
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(WAIT)) as client,
        client.stream(
            "GET",
            f"{base_url}/v1/tickets/events/stream",
            headers={**bearer(token), **(headers or {})},
            params=params,
        ) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response)
        async with asyncio.timeout(WAIT):
            first = await anext(stream.lines)
        assert first == ": connected"
        yield stream


async def refused(base_url: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=WAIT) as client:
        return await client.get(f"{base_url}/v1/tickets/events/stream", headers=bearer(token))


async def open_case(
    base_url: str, token: str, demo_ids: dict[str, str], subject: str
) -> dict[str, Any]:
    case = {
        "product_id": demo_ids["tideway"],
        "version": "3.1",
        "subject": subject,
        "description": "Heard live.",
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=WAIT) as client:
        response = await client.post("/v1/tickets", json=case, headers=bearer(token))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def reply(base_url: str, token: str, ticket_id: str, body: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=WAIT) as client:
        response = await client.post(
            f"/v1/tickets/{ticket_id}/messages", json={"body": body}, headers=bearer(token)
        )
    assert response.status_code == 201, response.text


async def until(condition: Callable[[], bool | Awaitable[bool]]) -> None:
    """Waits (bounded) until ``condition()`` is true: for state nothing announces."""
    async with asyncio.timeout(WAIT):
        while True:
            value = condition()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return
            await asyncio.sleep(0.02)


async def hub_backends(database_url: str) -> int:
    """Backends of the tickets database that belong to a live hub."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = $1",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
    return count


async def hub_backends_reach(database_url: str, expected: int) -> None:
    """Waits (bounded) until the database shows ``expected`` hub backends: a backend whose
    client closed leaves pg_stat_activity a moment later."""

    async def reached() -> bool:
        return await hub_backends(database_url) == expected

    await until(reached)


def short_lived(contracts_app: FastAPI, token: str, seconds: int) -> str:
    """The same account's token, signed by contracts again to expire in a moment."""
    claims = jwt.decode(token, options={"verify_signature": False})
    signed: str = contracts_app.state.signing_key.sign(
        {**claims, "exp": int(time.time()) + seconds}
    )
    return signed


# -- the tests --------------------------------------------------------------------------------


async def test_subscribers_hear_their_own_customers_case_events_as_they_commit(
    live_server: Served, tokens: dict[str, str], demo_ids: dict[str, str]
) -> None:
    async with (
        open_stream(live_server.url, tokens[ANA]) as ana,
        open_stream(live_server.url, tokens[AGENT]) as agent,
    ):
        mine = await open_case(live_server.url, tokens[ANA], demo_ids, "Live")
        theirs = await open_case(live_server.url, tokens[CORA], demo_ids, "Live elsewhere")
        await reply(live_server.url, tokens[AGENT], mine["id"], "Hi")

        heard_by_agent = await agent.events(3)
        # Cora's case and the reply came after Ana's case: had Ana heard Cora's, it would
        # come before the reply.
        heard_by_ana = await ana.events(2)

    assert [(m.event, m.data["data"]["number"]) for m in heard_by_ana] == [
        ("ticket.opened", mine["number"]),
        ("ticket.replied", mine["number"]),
    ]
    assert all(m.id == m.data["id"] for m in heard_by_ana)
    assert [(m.event, m.data["data"]["number"]) for m in heard_by_agent] == [
        ("ticket.opened", mine["number"]),
        ("ticket.opened", theirs["number"]),
        ("ticket.replied", mine["number"]),
    ]


async def test_the_stream_needs_a_token(live_server: Served) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{live_server.url}/v1/tickets/events/stream")
    assert response.status_code == 401


async def test_many_streams_share_one_database_connection(
    live_server: Served, tokens: dict[str, str], demo_ids: dict[str, str]
) -> None:
    async with AsyncExitStack() as stack:
        streams = [
            await stack.enter_async_context(open_stream(live_server.url, tokens[email]))
            for email in (ANA, ANA, CORA, AGENT, AGENT, ADMIN)
        ]
        assert live_server.hub.open_streams == 6
        await hub_backends_reach(live_server.database_url, 1)
        assert live_server.hub.connections_opened == 1

        case = await open_case(live_server.url, tokens[ANA], demo_ids, "Heard six times over")
        heard = [await stream.events(1) for stream in (streams[0], streams[1], *streams[3:])]
        assert {m.data["data"]["number"] for [m] in heard} == {case["number"]}
    # Every stream closed frees its place; the one connection stays for the next.
    await until(lambda: live_server.hub.open_streams == 0)
    await hub_backends_reach(live_server.database_url, 1)


async def test_the_hub_closes_its_connection_with_the_app(
    serve_tickets: ServeTickets, tokens: dict[str, str]
) -> None:
    async with serve_tickets() as served, open_stream(served.url, tokens[AGENT]):
        await hub_backends_reach(served.database_url, 1)
    await hub_backends_reach(served.database_url, 0)


async def test_a_caller_holds_a_few_streams_at_most(
    serve_tickets: ServeTickets, tokens: dict[str, str]
) -> None:
    async with serve_tickets(live_streams_per_principal=2, live_streams_per_process=3) as served:
        async with open_stream(served.url, tokens[ANA]), open_stream(served.url, tokens[ANA]):
            over = await refused(served.url, tokens[ANA])
            # Another caller still gets one, up to the process's limit.
            async with open_stream(served.url, tokens[CORA]):
                full = await refused(served.url, tokens[AGENT])

        assert over.status_code == 429
        assert over.json()["error"]["code"] == "TOO_MANY_STREAMS"
        assert over.json()["error"]["details"] == {"limit": 2, "per": "principal"}
        assert int(over.headers["retry-after"]) >= 1
        assert full.status_code == 429
        assert full.json()["error"]["code"] == "TOO_MANY_STREAMS"
        assert full.json()["error"]["details"] == {"limit": 3, "per": "process"}
        assert int(full.headers["retry-after"]) >= 1

        # Closed streams give their places back.
        await until(lambda: served.hub.open_streams == 0)
        async with open_stream(served.url, tokens[ANA]), open_stream(served.url, tokens[ANA]):
            assert served.hub.streams_of(_subject(tokens[ANA])) == 2


async def integration_key_token(contracts: httpx.AsyncClient, admin_token: str) -> str:
    """A new API key bound to the customer administrator's customer, and its token."""
    response = await contracts.post(
        "/v1/api-keys",
        json={"name": "live reader", "scopes": ["tickets:read"]},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201, response.text
    key = response.json()
    response = await contracts.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key["client_id"],
            "client_secret": key["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_a_customer_holds_a_few_streams_at_most_whatever_its_keys(
    serve_tickets: ServeTickets, tokens: dict[str, str], contracts: httpx.AsyncClient
) -> None:
    # Ana and two API keys of her customer: three principals, one customer.
    keys = [await integration_key_token(contracts, tokens[ANA]) for _ in range(2)]
    async with serve_tickets(
        live_streams_per_principal=2, live_streams_per_customer=3, live_streams_per_process=8
    ) as served:
        async with AsyncExitStack() as stack:
            for token in (tokens[ANA], tokens[ANA], keys[0]):
                await stack.enter_async_context(open_stream(served.url, token))
            # A key with no stream of its own yet is refused: its customer's places are taken.
            over = await refused(served.url, keys[1])
            # Another customer, and staff (no customer), still get theirs.
            for token in (tokens[CORA], tokens[AGENT], tokens[AGENT], tokens[ADMIN]):
                await stack.enter_async_context(open_stream(served.url, token))
            assert served.hub.open_streams == 7
            customer = jwt.decode(tokens[ANA], options={"verify_signature": False})["customer_id"]
            assert served.hub.streams_of_customer(str(customer)) == 3

        assert over.status_code == 429
        assert over.json()["error"]["code"] == "TOO_MANY_STREAMS"
        assert over.json()["error"]["details"] == {"limit": 3, "per": "customer"}
        assert int(over.headers["retry-after"]) >= 1

        # Closed streams give the customer's places back.
        await until(lambda: served.hub.open_streams == 0)
        async with open_stream(served.url, keys[1]), open_stream(served.url, keys[1]):
            assert served.hub.streams_of(_subject(keys[1])) == 2


def _subject(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


async def test_a_stream_ends_by_itself_when_its_token_expires(
    live_server: Served, tokens: dict[str, str], contracts_app: FastAPI
) -> None:
    token = short_lived(contracts_app, tokens[ANA], seconds=3)

    async with open_stream(live_server.url, token) as stream:
        # No event comes in the meantime: the stream ends on its own.
        ended = await stream.next()
        after = await stream.next()

    assert ended is not None and ended.event == "stream.end"
    assert ended.data["code"] == "TOKEN_EXPIRED"
    assert after is None
    await until(lambda: live_server.hub.open_streams == 0)


async def test_a_stream_ends_once_the_contact_is_deactivated(
    serve_tickets: ServeTickets,
    tokens: dict[str, str],
    demo_ids: dict[str, str],
    contracts: httpx.AsyncClient,
) -> None:
    async with (
        serve_tickets(live_recheck_seconds=0.2) as served,
        open_stream(served.url, tokens[ANA]) as stream,
        open_stream(served.url, tokens[CORA]) as other,
    ):
        response = await contracts.patch(
            f"/v1/contacts/{demo_ids[ANA]}", json={"active": False}, headers=bearer(tokens[ADMIN])
        )
        assert response.status_code == 200, response.text

        ended = await stream.next()
        after = await stream.next()
        # Cora's stream goes on.
        case = await open_case(served.url, tokens[CORA], demo_ids, "Still heard")
        [heard] = await other.events(1)

        assert ended is not None and ended.event == "stream.end"
        assert ended.data["code"] == "ACCOUNT_INACTIVE"
        assert after is None
        assert heard.data["data"]["number"] == case["number"]
        # A new stream on the same token is refused at once.
        again = await refused(served.url, tokens[ANA])
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "ACCOUNT_INACTIVE"


async def test_a_contracts_outage_does_not_end_streams(
    serve_tickets: ServeTickets, tokens: dict[str, str], demo_ids: dict[str, str]
) -> None:
    """Contracts answering 503 to every call (a real server on 127.0.0.1): the account
    checks fail, the stream goes on, and a case accepted meanwhile is heard."""
    asked: list[str] = []

    async def down(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        asked.append(scope["path"])
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async with (
        serve_on_loopback(down) as contracts_url,
        serve_tickets(
            live_recheck_seconds=0.1,
            contracts_url=contracts_url,
            token_url=f"{contracts_url}/auth/token",
        ) as served,
        open_stream(served.url, tokens[ANA]) as stream,
    ):
        await until(lambda: asked.count("/v1/me") >= 3)
        case = await open_case(served.url, tokens[ANA], demo_ids, "Opened while contracts is down")
        [heard] = await stream.events(1)

    assert heard.event == "ticket.opened"
    assert heard.data["data"]["number"] == case["number"]


async def test_a_slow_subscriber_is_dropped_without_holding_up_the_others(
    serve_tickets: ServeTickets, tokens: dict[str, str], demo_ids: dict[str, str]
) -> None:
    async with (
        serve_tickets(live_queue_size=2) as served,
        open_stream(served.url, tokens[AGENT]) as reader,
    ):
        # A subscriber of the same hub that never reads.
        slow, _ = served.hub.subscribe("slow", lambda data: True)
        try:
            cases = [
                await open_case(served.url, tokens[ANA], demo_ids, f"Case {n}") for n in range(4)
            ]
            heard = await reader.events(4)
        finally:
            slow.close()

    assert [m.data["data"]["number"] for m in heard] == [c["number"] for c in cases]
    assert slow.ended is LAGGING
    # What it had queued it still gets, then the end.
    assert [(await slow.get()) is None for _ in range(3)] == [False, False, True]


async def test_a_stream_resumes_after_its_last_event_id(
    live_server: Served, tokens: dict[str, str], demo_ids: dict[str, str]
) -> None:
    async with open_stream(live_server.url, tokens[AGENT]) as agent:
        first = await open_case(live_server.url, tokens[ANA], demo_ids, "Before the break")
        [seen] = await agent.events(1)
    # Missed while no stream was open: one of Ana's, one of Cora's, a reply to Ana's.
    missed = await open_case(live_server.url, tokens[ANA], demo_ids, "During the break")
    await open_case(live_server.url, tokens[CORA], demo_ids, "Not Ana's")
    await reply(live_server.url, tokens[AGENT], first["id"], "While you were away")

    async with open_stream(
        live_server.url, tokens[ANA], headers={"Last-Event-ID": str(seen.id)}
    ) as ana:
        replayed = await ana.events(2)
        live = await open_case(live_server.url, tokens[ANA], demo_ids, "After the break")
        [heard] = await ana.events(1)
    async with open_stream(
        live_server.url, tokens[ANA], params={"after": "not-a-recent-event"}
    ) as late:
        [gap] = await late.events(1)

    assert [(m.event, m.data["data"]["number"]) for m in replayed] == [
        ("ticket.opened", missed["number"]),
        ("ticket.replied", first["number"]),
    ]
    assert heard.data["data"]["number"] == live["number"]
    assert gap.event == "stream.gap"
    assert gap.data["code"] == "REPLAY_UNAVAILABLE"


async def test_streams_end_and_the_hub_reconnects_when_its_connection_drops(
    live_server: Served, tokens: dict[str, str], demo_ids: dict[str, str]
) -> None:
    async with open_stream(live_server.url, tokens[AGENT]) as before:
        dsn = make_url(live_server.database_url).set(drivername="postgresql")
        admin = await asyncpg.connect(dsn.render_as_string(False))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = $1",
                APPLICATION_NAME,
            )
        finally:
            await admin.close()
        ended = await before.next()
        assert ended is not None and ended.event == "stream.end"
        assert ended.data["code"] == "STREAM_INTERRUPTED"
        assert await before.next() is None

    async with open_stream(live_server.url, tokens[AGENT]) as after:
        case = await open_case(live_server.url, tokens[ANA], demo_ids, "Heard after the drop")
        [heard] = await after.events(1)
    assert heard.data["data"]["number"] == case["number"]
    assert live_server.hub.connections_opened == 2
