"""A case opened through the four real pieces in one process, traced or not: the scenario of
the tracing test and of ``bench/trace_case.py`` (docs/tracing.md).

The gateway, tickets, contracts and notify run in-process on their own committed databases
(each with its own engine, so with real concurrency), wired by ASGI transports. A demo
contact registers a webhook to a receiver on 127.0.0.1 and opens a case through the
gateway's GraphQL; tickets' outbox relay then posts the events to notify's inbox, and
notify's delivery worker sends the case number mail (to notify's own SMTP sink) and the
webhook. With ``providers``, each piece is traced into its own provider
(:func:`careplane_shared.tracing.instrument_app`), as each process has one in production.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, TracerProvider

from careplane_shared.events import OutboxRelay
from careplane_shared.http import ClientCredentialsAuth
from careplane_shared.settings import dev_secret
from careplane_shared.testing import bearer, password_token, running_app, serve_on_loopback
from careplane_shared.testing.pieces import CONTRACTS, GATEWAY, NOTIFY, TICKETS
from careplane_shared.testing.ports import free_port
from careplane_shared.testing.service import verifier_of
from careplane_shared.tracing import instrument_app

CONTRACTS_URL = "http://contracts.internal"
TICKETS_URL = "http://tickets.internal"
NOTIFY_URL = "http://notify.internal"
PIECES = ("gateway", "tickets", "contracts", "notify")
OPEN = "mutation Open($input: OpenTicketInput!) { openTicket(input: $input) { id number } }"
# Each loop that drains a queue stops after this many rounds, whatever is left.
MAX_ROUNDS = 5

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Received:
    """What the webhook receiver on 127.0.0.1 was sent: (headers, body) per request."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append((headers, body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@dataclass
class CaseStack:
    """The running pieces, a client of the gateway and the webhook receiver."""

    apps: dict[str, FastAPI]
    gateway: httpx.AsyncClient
    receiver_url: str
    received: Received

    async def sign_in(self, email: str) -> dict[str, str]:
        return bearer(await password_token(self.gateway, email))

    async def register_webhook(self, headers: Mapping[str, str]) -> None:
        """The caller's customer's own endpoint, for ``ticket.opened``."""
        response = await self.gateway.post(
            "/api/notify/v1/webhook-endpoints",
            json={"url": f"{self.receiver_url}/hooks", "event_types": ["ticket.opened"]},
            headers=headers,
        )
        response.raise_for_status()

    async def open_case(self, headers: Mapping[str, str], product_id: str) -> dict[str, Any]:
        """A case opened with GraphQL's ``openTicket`` through the gateway."""
        variables = {
            "input": {
                "productId": product_id,
                "version": "3.1",
                "subject": "Alarm export stalls",
                "description": "The nightly alarm export stalls at 80%.",
                "priority": "HIGH",
            }
        }
        response = await self.gateway.post(
            "/graphql", json={"query": OPEN, "variables": variables}, headers=headers
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise AssertionError(f"openTicket failed: {response.text}")
        case: dict[str, Any] = body["data"]["openTicket"]
        return case

    async def product_id(self, headers: Mapping[str, str]) -> str:
        response = await self.gateway.get("/api/contracts/v1/products", headers=headers)
        response.raise_for_status()
        return str(response.json()[0]["id"])

    async def carry_events(self) -> None:
        """tickets' outbox relay posts what is pending to notify's inbox, then notify's
        delivery worker delivers what that wrote, as their background loops would."""
        tickets, notify = self.apps["tickets"], self.apps["notify"]
        async with httpx.AsyncClient(
            mounts={
                CONTRACTS_URL: httpx.ASGITransport(app=self.apps["contracts"]),
                NOTIFY_URL: httpx.ASGITransport(app=notify),
            },
            auth=ClientCredentialsAuth(
                f"{CONTRACTS_URL}/auth/token", "svc-tickets", dev_secret("svc-tickets")
            ),
        ) as client:
            relay = OutboxRelay(
                tickets.state.database.sessionmaker,
                tickets.state.outbox.table,
                client,
                tickets.state.settings.outbox_targets,
            )
            for _ in range(MAX_ROUNDS):
                if await relay.run_once() == 0:
                    break
        for _ in range(MAX_ROUNDS):
            if await notify.state.delivery_worker.run_once() == 0:
                break


@asynccontextmanager
async def case_stack(
    database_urls: Mapping[str, str],
    workdir: Path,
    providers: Mapping[str, TracerProvider] | None = None,
) -> AsyncIterator[CaseStack]:
    """The four pieces running on ``database_urls`` (by piece; contracts' holds the demo
    data), traced into ``providers`` (by piece) when given."""
    received = Received()
    contracts = CONTRACTS.app_factory(
        CONTRACTS.settings(database_urls["contracts"], jwt_private_key_file=workdir / "jwt.pem")
    )
    to_contracts = httpx.ASGITransport(app=contracts)
    wiring = {
        "contracts_url": CONTRACTS_URL,
        "token_url": f"{CONTRACTS_URL}/auth/token",
        "http_retries": 0,
    }
    tickets = TICKETS.app_factory(
        TICKETS.settings(
            database_urls["tickets"],
            attachments_dir=workdir / "attachments",
            outbox_targets={"notify": f"{NOTIFY_URL}/v1/events"},
            **wiring,
        ),
        contracts_transport=to_contracts,
    )
    notify = NOTIFY.app_factory(
        NOTIFY.settings(
            database_urls["notify"],
            tickets_url=TICKETS_URL,
            allow_private_targets=True,
            delivery_jitter=0.0,
            dev_mailbox_dir=workdir / "mailbox",
            smtp_port=free_port(),
            **wiring,
        ),
        contracts_transport=to_contracts,
        tickets_transport=httpx.ASGITransport(app=tickets),
    )
    gateway = GATEWAY.app_factory(
        GATEWAY.settings(
            contracts_url=CONTRACTS_URL, tickets_url=TICKETS_URL, notify_url=NOTIFY_URL
        ),
        transports={
            "contracts": to_contracts,
            "tickets": httpx.ASGITransport(app=tickets),
            "notify": httpx.ASGITransport(app=notify),
        },
    )
    apps = {"gateway": gateway, "tickets": tickets, "contracts": contracts, "notify": notify}
    for name, app in apps.items():
        if providers is not None:
            instrument_app(app, providers[name])
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(running_app(contracts))
        for app in (tickets, notify):
            app.state.token_verifier = verifier_of(contracts)
            await stack.enter_async_context(running_app(app))
        await stack.enter_async_context(running_app(gateway))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw")
        )
        receiver_url = await stack.enter_async_context(serve_on_loopback(received))
        yield CaseStack(apps, client, receiver_url, received)


def _detail(span: ReadableSpan) -> str:
    """What a client span called: the URL of an HTTP call, the start of a statement."""
    attributes = span.attributes or {}
    if "db.statement" in attributes:
        statement = " ".join(str(attributes["db.statement"]).split())
        return statement[:60] + ("…" if len(statement) > 60 else "")
    if span.kind is SpanKind.CLIENT and "http.url" in attributes:
        return str(attributes["http.url"])
    return ""


def span_rows(spans: list[ReadableSpan]) -> list[dict[str, Any]]:
    """The spans as rows (trace id, span name, service, parent's name, duration in ms, and
    what a client span called), depth first in the order they started, each row's depth in
    the tree beside it."""
    by_id = {span.context.span_id: span for span in spans if span.context is not None}
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in by_id else None, []).append(span)
    rows: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: s.start_time or 0):
            assert span.context is not None
            parent_span = by_id.get(span.parent.span_id) if span.parent is not None else None
            rows.append(
                {
                    "trace_id": format(span.context.trace_id, "032x"),
                    "name": span.name,
                    "service": span.resource.attributes.get("service.name"),
                    "parent": parent_span.name if parent_span is not None else None,
                    "duration_ms": ((span.end_time or 0) - (span.start_time or 0)) / 1e6,
                    "depth": depth,
                    "detail": _detail(span),
                }
            )
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return rows
