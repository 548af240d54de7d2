"""``ticketEvents`` over real sockets: tickets and the gateway each served by uvicorn on
127.0.0.1, tickets on its own committed database (NOTIFY is delivered on commit), contracts
in-process with the demo data; subscribers speak graphql-transport-ws (or the older
graphql-ws) through the ``websockets`` package, with real tokens from contracts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from careplane_shared.testing import bearer, password_token
from tickets.live_hub import APPLICATION_NAME

from .conftest import ContractsDemo, LiveGatewayFactory

ANA = "ana@acme-water.example"  # customer administrator, Acme Water
CORA = "cora@cobalt.example"  # customer administrator, Cobalt Logistics
AGENT = "agent@example.com"

# Every wait in these tests is bounded by this.
WAIT = 10.0

EVENTS = """
subscription Events($ticketId: ID) {
  ticketEvents(ticketId: $ticketId) {
    id type time ticketId number status customerId contactId priority
    authorKind messageId message { body internal }
    ticket { id number subject status customer { name } }
  }
}
"""

OPEN = """
mutation Open($input: OpenTicketInput!) { openTicket(input: $input) { id number } }
"""

REPLY = """
mutation Reply($ticketId: ID!, $body: String!) {
  replyToTicket(ticketId: $ticketId, body: $body) { id }
}
"""


class Socket:
    """One websocket to the gateway's ``/graphql``, speaking one subscription protocol."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next protocol message, pings answered on the way."""
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.connection.recv(), WAIT)
            )
            if message["type"] == "ping":
                await self.send({"type": "pong"})
            elif message["type"] not in ("pong", "ka"):
                return message

    async def subscribe(
        self, operation_id: str, query: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        start = "subscribe" if self.connection.subprotocol == "graphql-transport-ws" else "start"
        await self.send(
            {
                "id": operation_id,
                "type": start,
                "payload": {"query": query, "variables": dict(variables or {})},
            }
        )

    async def next_event(self, operation_id: str) -> dict[str, Any]:
        """The next event of one subscription (a ``next``, or graphql-ws's ``data``)."""
        message = await self.receive()
        assert message["type"] in ("next", "data"), message
        assert message["id"] == operation_id
        assert "errors" not in message["payload"], message["payload"]
        event: dict[str, Any] = message["payload"]["data"]["ticketEvents"]
        return event


@asynccontextmanager
async def websocket(
    base_url: str,
    init: Mapping[str, Any] | None = None,
    *,
    protocol: str = "graphql-transport-ws",
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[Socket]:
    """A socket past ``connection_init`` (with ``init`` as its payload) and its ack."""
    url = base_url.replace("http://", "ws://", 1) + "/graphql"
    async with connect(
        url,
        subprotocols=[Subprotocol(protocol)],
        additional_headers=dict(headers or {}),
        proxy=None,
        open_timeout=WAIT,
        close_timeout=WAIT,
    ) as connection:
        assert connection.subprotocol == protocol
        socket = Socket(connection)
        await socket.send({"type": "connection_init", "payload": dict(init or {})})
        assert (await socket.receive())["type"] == "connection_ack"
        yield socket


class Streams:
    """How many event streams the served tickets holds open (its ``careplane_live_streams``
    gauge): what a subscription costs upstream. They all share one PostgreSQL connection."""

    def __init__(self, tickets_url: str, database_url: str) -> None:
        self.tickets_url = tickets_url
        self.dsn = make_url(database_url).set(drivername="postgresql")

    async def count(self) -> int:
        async with httpx.AsyncClient(timeout=WAIT) as client:
            response = await client.get(f"{self.tickets_url}/metrics")
        for family in text_string_to_metric_families(response.text):
            if family.name == "careplane_live_streams":
                return int(family.samples[0].value)
        raise AssertionError("tickets reports no careplane_live_streams")

    async def reach(self, expected: int) -> None:
        async def poll() -> None:
            # Nothing announces a stream closing at tickets: ask until it has.
            while await self.count() != expected:  # noqa: ASYNC110
                await asyncio.sleep(0.02)

        await asyncio.wait_for(poll(), WAIT)

    async def share_one_database_connection(self) -> None:
        """Waits (bounded) until tickets' database shows exactly one backend LISTENing for
        case events (one of an earlier test's tickets may linger a moment after it closed)."""

        async def poll() -> None:
            while await self.database_connections() != 1:  # noqa: ASYNC110
                await asyncio.sleep(0.02)

        await asyncio.wait_for(poll(), WAIT)

    async def database_connections(self) -> int:
        """Backends of tickets' database that LISTEN for case events."""
        connection = await asyncpg.connect(self.dsn.render_as_string(hide_password=False))
        try:
            count: int = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = $1",
                APPLICATION_NAME,
            )
        finally:
            await connection.close()
        return count


@pytest.fixture
async def streams(live_tickets_url: str, gateway_live_tickets_db_url: str) -> Streams:
    counter = Streams(live_tickets_url, gateway_live_tickets_db_url)
    # Streams of an earlier test close as its servers stop; start from none.
    await counter.reach(0)
    return counter


@pytest.fixture
async def http(live_gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_gateway_url, timeout=WAIT) as client:
        yield client


@pytest.fixture
async def tokens(http: httpx.AsyncClient, contracts_demo: ContractsDemo) -> dict[str, str]:
    """Tokens from the served gateway's own ``/auth/token``."""
    return {email: await password_token(http, email) for email in (ANA, CORA, AGENT)}


async def open_case(
    http: httpx.AsyncClient, token: str, demo: ContractsDemo, subject: str
) -> dict[str, Any]:
    variables = {
        "input": {
            "productId": demo.product_id,
            "version": "3.1",
            "subject": subject,
            "description": "Heard live through the gateway.",
        }
    }
    response = await http.post(
        "/graphql", json={"query": OPEN, "variables": variables}, headers=bearer(token)
    )
    body = response.json()
    assert "errors" not in body, body
    case: dict[str, Any] = body["data"]["openTicket"]
    return case


async def test_subscribers_hear_of_their_own_customers_cases_only(
    live_gateway_url: str,
    http: httpx.AsyncClient,
    tokens: dict[str, str],
    contracts_demo: ContractsDemo,
    streams: Streams,
) -> None:
    async with (
        websocket(live_gateway_url, {"Authorization": f"Bearer {tokens[ANA]}"}) as ana,
        websocket(live_gateway_url, {"authorization": f"Bearer {tokens[CORA]}"}) as cora,
    ):
        await ana.subscribe("a", EVENTS)
        await cora.subscribe("c", EVENTS)
        await streams.reach(2)
        # Two streams at tickets, one database connection behind them.
        await streams.share_one_database_connection()

        mine = await open_case(http, tokens[ANA], contracts_demo, "Pump telemetry stopped")
        # Cora's case commits after Ana's: had Ana's reached Cora, it would come first.
        theirs = await open_case(http, tokens[CORA], contracts_demo, "Route planner is slow")

        heard_by_ana = await ana.next_event("a")
        heard_by_cora = await cora.next_event("c")

        assert heard_by_ana["type"] == "ticket.opened"
        assert heard_by_ana["number"] == mine["number"]
        assert heard_by_ana["ticketId"] == mine["id"]
        assert heard_by_ana["status"] == "OPEN"
        assert heard_by_ana["customerId"] == contracts_demo.customers["Acme Water"]
        assert heard_by_ana["contactId"] == contracts_demo.contacts[ANA]
        assert heard_by_ana["priority"]
        assert heard_by_ana["message"] is None
        # The whole case, through the tickets loader with Ana's own token.
        assert heard_by_ana["ticket"] == {
            "id": mine["id"],
            "number": mine["number"],
            "subject": "Pump telemetry stopped",
            "status": "OPEN",
            "customer": {"name": "Acme Water"},
        }
        assert (heard_by_cora["type"], heard_by_cora["number"]) == (
            "ticket.opened",
            theirs["number"],
        )

        # Completing a subscription closes its stream at tickets; the other one stays.
        await ana.send({"id": "a", "type": "complete"})
        await streams.reach(1)
    # Closing the socket closes the rest.
    await streams.reach(0)


async def test_one_case_over_graphql_ws_with_the_token_in_the_handshake(
    live_gateway_url: str,
    http: httpx.AsyncClient,
    tokens: dict[str, str],
    contracts_demo: ContractsDemo,
    streams: Streams,
) -> None:
    followed = await open_case(http, tokens[ANA], contracts_demo, "Followed by the agent")
    other = await open_case(http, tokens[ANA], contracts_demo, "Not followed")

    async with websocket(
        live_gateway_url, protocol="graphql-ws", headers=bearer(tokens[AGENT])
    ) as agent:
        await agent.subscribe("f", EVENTS, {"ticketId": followed["id"]})
        await streams.reach(1)
        for case in (other, followed):
            response = await http.post(
                "/graphql",
                json={"query": REPLY, "variables": {"ticketId": case["id"], "body": "On it."}},
                headers=bearer(tokens[AGENT]),
            )
            assert "errors" not in response.json(), response.json()

        event = await agent.next_event("f")

        assert event["type"] == "ticket.replied"
        assert event["number"] == followed["number"]
        assert event["authorKind"] == "STAFF"
        assert event["message"] == {"body": "On it.", "internal": False}
        await agent.send({"id": "f", "type": "stop"})
        await streams.reach(0)


async def test_a_subscription_without_a_token_is_unauthenticated(
    live_gateway_url: str, streams: Streams
) -> None:
    async with websocket(live_gateway_url) as anonymous:
        await anonymous.subscribe("1", EVENTS)

        failed = await anonymous.receive()
        completed = await anonymous.receive()

    assert failed["type"] == "next" and failed["id"] == "1"
    [error] = failed["payload"]["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["extensions"]["service"] == "tickets"
    assert completed == {"id": "1", "type": "complete"}
    assert await streams.count() == 0


async def test_a_socket_carries_queries_with_the_token_of_its_connection_init(
    live_gateway_url: str, tokens: dict[str, str]
) -> None:
    async with websocket(live_gateway_url, {"Authorization": tokens[ANA]}) as ana:
        await ana.subscribe("me", "{ me { email role } }")
        answer = await ana.receive()
        assert await ana.receive() == {"id": "me", "type": "complete"}
        await ana.subscribe("bad", EVENTS, {"ticketId": "../v1/triage"})
        refused = await ana.receive()

    assert answer == {
        "id": "me",
        "type": "next",
        "payload": {"data": {"me": {"email": ANA, "role": "CUSTOMER_ADMIN"}}},
    }
    assert refused["type"] == "next" and refused["id"] == "bad"
    assert refused["payload"]["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


async def test_the_query_limits_apply_over_a_socket(
    serve_live_gateway: LiveGatewayFactory, tokens: dict[str, str], streams: Streams
) -> None:
    deep = "subscription { ticketEvents { ticket { product { name } } } }"
    async with (
        serve_live_gateway(graphql_max_depth=2) as base_url,
        websocket(base_url, {"Authorization": f"Bearer {tokens[AGENT]}"}) as agent,
    ):
        await agent.subscribe("deep", deep)
        refused = await agent.receive()

    assert refused["type"] == "error" and refused["id"] == "deep"
    [error] = refused["payload"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "exceeds maximum operation depth" in error["message"]
    assert await streams.count() == 0


async def test_a_silent_event_stream_ends_the_subscription_and_is_closed(
    serve_live_gateway: LiveGatewayFactory, tokens: dict[str, str], streams: Streams
) -> None:
    # Tickets writes a keep-alive every 15 s; a gateway that waits only half a second for one
    # takes the stream for dead.
    async with (
        serve_live_gateway(ticket_events_idle_timeout_seconds=0.5) as base_url,
        websocket(base_url, {"Authorization": f"Bearer {tokens[AGENT]}"}) as agent,
    ):
        await agent.subscribe("quiet", EVENTS)
        ended = await agent.receive()
        completed = await agent.receive()

        assert ended["type"] == "next" and ended["id"] == "quiet"
        [error] = ended["payload"]["errors"]
        assert error["extensions"]["code"] == "SERVICE_TIMEOUT"
        assert completed == {"id": "quiet", "type": "complete"}
        await streams.reach(0)


async def test_a_subscription_sent_as_a_plain_post_is_refused(
    gateway_client: httpx.AsyncClient, admin_token: str
) -> None:
    response = await gateway_client.post(
        "/graphql",
        json={"query": "subscription { ticketEvents { id } }"},
        headers=bearer(admin_token),
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "BAD_REQUEST",
        "message": "subscriptions are not allowed when using POST",
        "request_id": response.headers["x-request-id"],
    }


async def test_a_subscription_ends_by_itself_when_its_token_expires(
    live_gateway_url: str,
    tokens: dict[str, str],
    contracts_app: FastAPI,
    streams: Streams,
) -> None:
    # Ana's own token, signed by contracts again to expire in a moment.
    claims = jwt.decode(tokens[ANA], options={"verify_signature": False})
    short_lived = contracts_app.state.signing_key.sign({**claims, "exp": int(time.time()) + 3})

    async with websocket(live_gateway_url, {"Authorization": f"Bearer {short_lived}"}) as ana:
        await ana.subscribe("a", EVENTS)
        await streams.reach(1)

        # No event comes: the subscription ends on its own.
        ended = await ana.receive()
        completed = await ana.receive()

        assert ended["type"] == "next"
        [error] = ended["payload"]["errors"]
        assert error["extensions"]["code"] == "TOKEN_EXPIRED"
        assert completed == {"id": "a", "type": "complete"}
        await streams.reach(0)


@pytest.fixture
def quick_account_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tickets checks the accounts behind its streams every 0.2 s (before it starts)."""
    monkeypatch.setenv("TICKETS_LIVE_RECHECK_SECONDS", "0.2")


async def test_a_subscription_ends_once_the_contact_is_deactivated(
    quick_account_checks: None,
    live_gateway_url: str,
    http: httpx.AsyncClient,
    tokens: dict[str, str],
    contracts_demo: ContractsDemo,
    streams: Streams,
) -> None:
    admin = await password_token(http, "admin@example.com")
    async with (
        websocket(live_gateway_url, {"Authorization": f"Bearer {tokens[ANA]}"}) as ana,
        websocket(live_gateway_url, {"Authorization": f"Bearer {tokens[CORA]}"}) as cora,
    ):
        await ana.subscribe("a", EVENTS)
        await cora.subscribe("c", EVENTS)
        await streams.reach(2)
        response = await http.patch(
            f"/api/contracts/v1/contacts/{contracts_demo.contacts[ANA]}",
            json={"active": False},
            headers=bearer(admin),
        )
        assert response.status_code == 200, response.text

        ended = await ana.receive()
        completed = await ana.receive()
        await streams.reach(1)
        # Cora's subscription goes on.
        case = await open_case(http, tokens[CORA], contracts_demo, "Still heard by Cora")
        heard = await cora.next_event("c")

    assert ended["type"] == "next" and ended["id"] == "a"
    [error] = ended["payload"]["errors"]
    assert error["extensions"]["code"] == "ACCOUNT_INACTIVE"
    assert error["extensions"]["service"] == "tickets"
    assert completed == {"id": "a", "type": "complete"}
    assert heard["number"] == case["number"]


async def test_a_caller_holds_a_few_subscriptions_at_most(
    live_gateway_url: str, tokens: dict[str, str], streams: Streams
) -> None:
    async with websocket(live_gateway_url, {"Authorization": f"Bearer {tokens[ANA]}"}) as ana:
        for n in range(5):
            await ana.subscribe(str(n), EVENTS)
        await streams.reach(5)
        await ana.subscribe("one too many", EVENTS)

        refused = await ana.receive()
        completed = await ana.receive()
        # The five others are still open.
        assert await streams.count() == 5

    assert refused["type"] == "next" and refused["id"] == "one too many"
    [error] = refused["payload"]["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_STREAMS"
    assert error["extensions"]["status"] == 429
    assert completed == {"id": "one too many", "type": "complete"}
    await streams.reach(0)


# -- the gateway's limits over a socket ------------------------------------------------------

ME = "{ me { email } }"


async def answered(socket: Socket, operation_id: str) -> dict[str, Any]:
    """The one result of a query over a socket, and its ``complete``."""
    message = await socket.receive()
    assert message["type"] in ("next", "data") and message["id"] == operation_id, message
    assert await socket.receive() == {"id": operation_id, "type": "complete"}
    payload: dict[str, Any] = message["payload"]
    return payload


async def refused_socket(
    base_url: str,
    init: Mapping[str, Any],
    protocol: str,
    headers: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], int, str]:
    """A socket the gateway closes after its ``connection_init``: what it was told before
    the close, and the close's code and reason."""
    url = base_url.replace("http://", "ws://", 1) + "/graphql"
    messages: list[dict[str, Any]] = []
    async with connect(
        url,
        subprotocols=[Subprotocol(protocol)],
        additional_headers=dict(headers or {}),
        proxy=None,
        open_timeout=WAIT,
    ) as connection:
        await connection.send(json.dumps({"type": "connection_init", "payload": dict(init)}))
        try:
            for _ in range(5):
                messages.append(json.loads(await asyncio.wait_for(connection.recv(), WAIT)))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return messages, closed.rcvd.code, closed.rcvd.reason
    raise AssertionError(f"the socket stayed open: {messages}")


async def test_operations_over_a_socket_count_against_the_callers_rate_limit(
    serve_live_gateway: LiveGatewayFactory, tokens: dict[str, str]
) -> None:
    async with (
        serve_live_gateway(rate_limit_per_principal="3/minute") as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=WAIT) as client,
    ):
        first = await client.post("/graphql", json={"query": ME}, headers=bearer(tokens[AGENT]))
        async with (
            websocket(base_url, {"Authorization": tokens[AGENT]}) as agent,
            websocket(base_url, {"Authorization": tokens[ANA]}, protocol="graphql-ws") as ana,
        ):
            within = []
            for n in range(2):
                await agent.subscribe(f"me{n}", ME)
                within.append(await answered(agent, f"me{n}"))
            await agent.subscribe("over", ME)
            refused = await agent.receive()
            # The socket stays open; HTTP shares the count.
            await agent.send({"type": "ping"})
            pong = json.loads(await asyncio.wait_for(agent.connection.recv(), WAIT))
            over_http = await client.post(
                "/graphql", json={"query": ME}, headers=bearer(tokens[AGENT])
            )
            # Another caller counts for itself, over graphql-ws too, where every start counts
            # (a query there is refused by the protocol, but only after it was counted).
            others = []
            for n in range(3):
                await ana.subscribe(f"me{n}", ME)
                others.append((await ana.receive())["payload"]["extensions"]["code"])
            await ana.subscribe("over", ME)
            ana_refused = await ana.receive()

    assert first.status_code == 200
    assert within == [{"data": {"me": {"email": AGENT}}}] * 2
    assert refused["type"] == "error" and refused["id"] == "over", refused
    [error] = refused["payload"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == "3 per 1 minute"
    assert 1 <= error["extensions"]["retry_after"] <= 60
    assert pong == {"type": "pong"}
    assert over_http.status_code == 429
    assert over_http.json()["error"]["code"] == "RATE_LIMITED"
    assert others == ["GRAPHQL_VALIDATION_FAILED"] * 3
    assert ana_refused["type"] == "error" and ana_refused["id"] == "over", ana_refused
    assert ana_refused["payload"]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_caller_holds_a_few_sockets_at_most(
    serve_live_gateway: LiveGatewayFactory, tokens: dict[str, str]
) -> None:
    ana_init = {"Authorization": tokens[ANA]}
    async with serve_live_gateway(graphql_ws_max_sockets_per_principal=2) as base_url:
        async with (
            websocket(base_url, ana_init) as one,
            websocket(base_url, ana_init, protocol="graphql-ws"),
        ):
            transport_refused = await refused_socket(base_url, ana_init, "graphql-transport-ws")
            ws_refused = await refused_socket(base_url, ana_init, "graphql-ws")
            # A token in the handshake's header counts the same.
            header_refused = await refused_socket(
                base_url, {}, "graphql-transport-ws", bearer(tokens[ANA])
            )
            # Others are not held back, and the open sockets still work.
            async with websocket(base_url, {"Authorization": tokens[CORA]}) as cora:
                await cora.subscribe("me", ME)
                cora_answer = await answered(cora, "me")
            await one.subscribe("me", ME)
            ana_answer = await answered(one, "me")
        # Closed sockets give their places back (as soon as the gateway has seen them close).
        reopened = False
        for _ in range(100):
            try:
                async with websocket(base_url, ana_init), websocket(base_url, ana_init):
                    reopened = True
                    break
            except ConnectionClosed:
                await asyncio.sleep(0.05)

    [], code, reason = transport_refused
    assert code == 4429 and reason.startswith("TOO_MANY_SOCKETS: At most 2 open sockets")
    [message], code, _ = ws_refused
    assert message["type"] == "connection_error"
    assert message["payload"]["extensions"] == {"code": "TOO_MANY_SOCKETS", "max_sockets": 2}
    assert code == 4429
    assert header_refused[1] == 4429
    assert cora_answer == {"data": {"me": {"email": CORA}}}
    assert ana_answer == {"data": {"me": {"email": ANA}}}
    assert reopened


async def test_a_socket_handshake_counts_against_the_clients_address(
    serve_live_gateway: LiveGatewayFactory,
) -> None:
    async with (
        serve_live_gateway(rate_limit_per_address="2/minute") as base_url,
        websocket(base_url),
        websocket(base_url, protocol="graphql-ws"),
    ):
        with pytest.raises(InvalidStatus) as refused:
            async with websocket(base_url):
                pass

    response = refused.value.response
    assert response.status_code == 429
    assert json.loads(response.body)["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


async def test_operations_of_a_socket_without_a_valid_token_count_against_its_address(
    serve_live_gateway: LiveGatewayFactory,
) -> None:
    async with (
        serve_live_gateway(rate_limit_per_address="3/minute") as base_url,
        websocket(base_url, {"Authorization": "Bearer not.a.token"}) as forged,  # counts: 1
    ):
        codes = []
        for n in range(3):  # 2, 3, then over
            await forged.subscribe(f"me{n}", ME)
            message = await forged.receive()
            if message["type"] == "next":
                assert await forged.receive() == {"id": f"me{n}", "type": "complete"}
                codes.append(message["payload"]["errors"][0]["extensions"]["code"])
            else:
                codes.append(message["payload"][0]["extensions"]["code"])

    # The first two reach contracts, which refuses the token; the third is not let through.
    assert codes == ["TOKEN_INVALID", "TOKEN_INVALID", "RATE_LIMITED"]
