"""The load the chaos run puts on the replicated stack while faults hit it, and the faults.

Callers: one vendor integration key opens the cases (through the gateway's proxy, GraphQL
``openTicket``, an ``Idempotency-Key`` per case kept across its retries); the demo agent
replies to some and closes others (the gateway's REST routes to tickets). Every call is
retried, with backoff, on a connection error, a timeout, a 5xx or a GraphQL error, a
bounded number of times. The customer is Delta Secure (Dan), whose Infotecs Basic plan
keeps a yearly quota, so each close books one ticket in contracts; Dan subscribes a
webhook to the case events and gets each case's acknowledgement mail.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from chaos_stack import ReplicatedStack

DEMO_PASSWORD = "careplane"
CUSTOMER_EMAIL = "dan@delta.example"
WEBHOOK_EVENTS = ["ticket.opened", "ticket.replied", "ticket.closed"]
SUBJECT_PREFIX = "Chaos case"
OPEN_MUTATION = "mutation Open($input: OpenTicketInput!) { openTicket(input: $input) { id } }"
MAX_ATTEMPTS = 8
REQUEST_SECONDS = 10.0
REPLY_EVERY = 4  # every 4th case gets a reply
CLOSE_EVERY = 6  # every 6th case is closed (Basic's quota is 40 a year)
TIMER_SAMPLE = 5  # the warning timers of every 5th case are made due at once


class GaveUp(Exception):
    """A call failed every one of its attempts."""


@dataclass
class Callers:
    gateway: str
    opener: str  # "Bearer ..." of the integration key
    agent: str
    contact_id: str
    product_id: str
    endpoint_id: str


@dataclass
class LoadFigures:
    run: str  # in every Idempotency-Key and subject of this run
    attempted: int = 0
    acked: dict[str, str] = field(default_factory=dict)  # key -> case id
    gave_up: list[str] = field(default_factory=list)  # keys never acknowledged
    retries: Counter[str] = field(default_factory=Counter)  # per call kind
    refused: Counter[str] = field(default_factory=Counter)  # agent calls answered 4xx, by code
    replies: int = 0
    closed: list[str] = field(default_factory=list)  # case ids the agent closed (2xx)
    timers_forced: int = 0
    pending_at_recovery: list[str] = field(default_factory=list)  # case ids
    seconds: float = 0.0

    def key(self, n: int) -> str:
        return f"chaos-{self.run}-{n:05d}"


async def _token(client: httpx.AsyncClient, contracts: str, form: dict[str, str]) -> str:
    response = await client.post(f"{contracts}/auth/token", data=form)
    response.raise_for_status()
    return f"Bearer {response.json()['access_token']}"


async def _sign_in(client: httpx.AsyncClient, contracts: str, email: str) -> str:
    form = {"grant_type": "password", "username": email, "password": DEMO_PASSWORD}
    return await _token(client, contracts, form)


async def prepare(stack: ReplicatedStack, webhook_url: str) -> Callers:
    """The callers' tokens, Dan's contact and the product, and Dan's webhook endpoint for
    the case events, registered through the gateway."""
    contracts, gateway = stack.url("contracts"), stack.url("gateway")
    async with httpx.AsyncClient(timeout=30) as client:
        admin = await _sign_in(client, contracts, "admin@example.com")
        agent = await _sign_in(client, contracts, "agent@example.com")
        customer = await _sign_in(client, contracts, CUSTOMER_EMAIL)
        me = (await client.get(f"{contracts}/v1/me", headers={"Authorization": customer})).json()
        products = await client.get(f"{contracts}/v1/products", headers={"Authorization": admin})
        products.raise_for_status()
        created = await client.post(
            f"{contracts}/v1/api-keys",
            json={"name": "chaos load", "scopes": ["tickets:write", "contracts:read"]},
            headers={"Authorization": admin},
        )
        created.raise_for_status()
        key = created.json()
        opener = await _token(
            client,
            contracts,
            {
                "grant_type": "client_credentials",
                "client_id": key["client_id"],
                "client_secret": key["client_secret"],
            },
        )
        webhook = await client.post(
            f"{gateway}/api/notify/v1/webhook-endpoints",
            json={"url": webhook_url, "event_types": WEBHOOK_EVENTS},
            headers={"Authorization": customer},
        )
        webhook.raise_for_status()
    return Callers(
        gateway=gateway,
        opener=opener,
        agent=agent,
        contact_id=me["id"],
        product_id=products.json()[0]["id"],
        endpoint_id=webhook.json()["id"],
    )


async def _with_retries(
    kind: str,
    figures: LoadFigures,
    call: Callable[[], Awaitable[httpx.Response]],
    done: Callable[[httpx.Response], bool],
) -> httpx.Response:
    """``call`` until ``done`` says its answer settles it, at most MAX_ATTEMPTS times."""
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            figures.retries[kind] += 1
            await asyncio.sleep(min(0.25 * 2**attempt, 4.0))
        try:
            response = await call()
        except httpx.TransportError:
            continue
        if response.status_code < 500 and done(response):
            return response
    raise GaveUp(kind)


def _graphql_ok(response: httpx.Response) -> bool:
    return response.status_code == 200 and not response.json().get("errors")


async def open_case(
    client: httpx.AsyncClient, callers: Callers, figures: LoadFigures, n: int
) -> str | None:
    """Opens case ``n`` (its key and subject name it); its id once acknowledged."""
    key = figures.key(n)
    body = {
        "query": OPEN_MUTATION,
        "variables": {
            "input": {
                "productId": callers.product_id,
                "contactId": callers.contact_id,
                "version": "3.1",
                "subject": f"{SUBJECT_PREFIX} {key}",
                "description": "Opened by make chaos while replicas are being killed.",
            }
        },
    }
    headers = {"Authorization": callers.opener, "Idempotency-Key": key}
    try:
        response = await _with_retries(
            "open",
            figures,
            lambda: client.post(f"{callers.gateway}/graphql", json=body, headers=headers),
            _graphql_ok,
        )
    except GaveUp:
        figures.gave_up.append(key)
        return None
    case_id = str(response.json()["data"]["openTicket"]["id"])
    figures.acked[key] = case_id
    return case_id


async def _agent_call(
    client: httpx.AsyncClient,
    callers: Callers,
    figures: LoadFigures,
    kind: str,
    path: str,
    body: dict[str, Any],
) -> bool:
    """A reply or a close by the agent; a 4xx settles it too. True if it went through: a
    2xx, or TICKET_CLOSED for a close (an attempt before the retry closed it). Each call
    keeps one Idempotency-Key across its retries: a reply is stored once (a repeated close
    answers TICKET_CLOSED)."""
    url = f"{callers.gateway}/api/tickets/v1/tickets/{path}"
    headers = {"Authorization": callers.agent, "Idempotency-Key": f"{kind}-{path}"}
    try:
        response = await _with_retries(
            kind,
            figures,
            lambda: client.post(url, json=body, headers=headers),
            lambda _: True,
        )
    except GaveUp:
        return False
    if response.is_success:
        return True
    code = str(response.json().get("error", {}).get("code"))
    if kind == "close" and code == "TICKET_CLOSED":
        return True
    figures.refused[f"{kind} {response.status_code} {code}"] += 1
    return False


async def work_on(
    client: httpx.AsyncClient, callers: Callers, figures: LoadFigures, n: int
) -> None:
    case_id = await open_case(client, callers, figures, n)
    if case_id is None:
        return
    if n % REPLY_EVERY == 1:
        body = {"body": f"Reply {n}: please send the model's log file."}
        # Awaited before the count is read: other callers add to it meanwhile.
        went_through = await _agent_call(
            client, callers, figures, "reply", f"{case_id}/messages", body
        )
        figures.replies += went_through
    if n % CLOSE_EVERY == 2:
        body = {"resolution": f"Solved by make chaos ({n})."}
        if await _agent_call(client, callers, figures, "close", f"{case_id}/close", body):
            figures.closed.append(case_id)


async def run_load(
    callers: Callers,
    figures: LoadFigures,
    last_fault: asyncio.Event,
    *,
    cases: int,
    seconds: float,
    concurrency: int,
) -> None:
    """``cases`` cases released evenly over ``seconds`` to ``concurrency`` callers; the
    last tenth not before ``last_fault`` is set, so the last fault meets a load however
    slow the restarts before it were. Ends when every case is settled (acknowledged or
    given up), or at three times ``seconds``."""
    started = time.monotonic()
    queue: asyncio.Queue[int] = asyncio.Queue()

    async def release() -> None:
        for n in range(cases):
            if n == cases - cases // 10:
                await last_fault.wait()
            await queue.put(n)
            figures.attempted += 1
            await asyncio.sleep(seconds / cases)

    async def caller(client: httpx.AsyncClient) -> None:
        while True:
            n = await queue.get()
            try:
                await work_on(client, callers, figures, n)
            finally:
                queue.task_done()

    timeout = httpx.Timeout(REQUEST_SECONDS, connect=2.0)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        workers = [asyncio.create_task(caller(client)) for _ in range(concurrency)]
        try:
            await asyncio.wait_for(_released_and_done(release(), queue), timeout=seconds * 3)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
    figures.seconds = time.monotonic() - started


async def _released_and_done(release: Awaitable[None], queue: asyncio.Queue[int]) -> None:
    await release
    await queue.join()


async def force_timers(stack: ReplicatedStack, figures: LoadFigures) -> int:
    """Makes the unfired warning timers of every TIMER_SAMPLE-th acknowledged case due now
    (their due times stay, so the clock still matches and the timer fires): SLA warnings
    then fire while replicas are being killed. How many it made due."""
    sample = [
        uuid.UUID(case) for n, case in enumerate(figures.acked.values()) if n % TIMER_SAMPLE == 0
    ]
    connection = await asyncpg.connect(stack.database_urls["tickets"])
    try:
        result = await connection.execute(
            "UPDATE sla_timers SET fire_at = now() WHERE fired_at IS NULL AND kind = 'warning' "
            "AND fire_at > now() AND ticket_id = ANY($1::uuid[])",
            sample,
        )
    finally:
        await connection.close()
    made_due = int(result.split()[-1])
    figures.timers_forced += made_due
    return made_due


async def pending_cases(stack: ReplicatedStack, figures: LoadFigures) -> list[str]:
    """This run's cases whose entitlement is still pending (contracts did not answer)."""
    connection = await asyncpg.connect(stack.database_urls["tickets"])
    try:
        rows = await connection.fetch(
            "SELECT id::text FROM tickets WHERE entitlement_status = 'pending' AND subject LIKE $1",
            f"{SUBJECT_PREFIX} chaos-{figures.run}-%",
        )
    finally:
        await connection.close()
    return [row[0] for row in rows]


@dataclass(frozen=True)
class Fault:
    """At ``at`` (a share of the load's time) the replicas ``numbers`` of ``piece`` are
    killed (SIGKILL) and started again ``down`` seconds later."""

    at: float
    piece: str
    numbers: tuple[int, ...]
    down: float

    def describe(self) -> str:
        which = "both replicas" if len(self.numbers) > 1 else f"replica {self.numbers[0]}"
        return f"kill -9 {self.piece} {which}, {self.down:.0f} s down"


def faults(contracts_down: float) -> list[Fault]:
    """One replica of each piece in turn, both of contracts early on (cases opened
    meanwhile wait for their entitlement recheck), both of notify, and last both of the
    gateway (the callers themselves then see refused connections and retry with their
    keys). A fault that comes due while the one before is still restarting waits for it."""
    return [
        Fault(0.05, "tickets", (1,), 1.0),
        Fault(0.12, "gateway", (2,), 1.0),
        Fault(0.20, "contracts", (1, 2), contracts_down),
        Fault(0.45, "contracts", (1,), 1.0),
        Fault(0.55, "notify", (2,), 1.0),
        Fault(0.65, "notify", (1, 2), 4.0),
        Fault(0.82, "gateway", (1, 2), 2.0),
    ]


async def run_faults(
    stack: ReplicatedStack,
    figures: LoadFigures,
    plan: list[Fault],
    seconds: float,
    say: Callable[[str], None],
    last_fault: asyncio.Event,
) -> None:
    """Each fault at its time, one after the other; the SLA timers of a sample of cases
    are made due just before each, so they fire across the kills. While the replicas are
    down: the cases still waiting for their entitlement are noted if contracts is down
    entirely, and ``last_fault`` is set during the last fault."""
    started = time.monotonic()

    async def while_down(last: bool) -> None:
        if not stack.serving("contracts"):
            figures.pending_at_recovery = await pending_cases(stack, figures)
        if last:
            last_fault.set()

    for fault in plan:
        await asyncio.sleep(max(0.0, started + fault.at * seconds - time.monotonic()))
        forced = await force_timers(stack, figures)
        say(f"{time.monotonic() - started:5.1f} s  {fault.describe()} ({forced} timers due)")
        await stack.outage(
            fault.piece,
            fault.numbers,
            fault.down,
            before_restart=functools.partial(while_down, fault is plan[-1]),
        )
        say(f"{time.monotonic() - started:5.1f} s  {fault.piece} is back")
