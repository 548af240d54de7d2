"""The tenant wall over every REST route of every service, generated from their OpenAPI.

Every route, every principal kind, tenant A's own ids and tenant B's ids (and, for lists,
no ids at all). A customer-side caller of A (its administrator, its contact, a key bound to
A with every scope) must get 401/403/404/405/422 for a path naming B's records and must never
see B's data in any answer (B's ids, emails, names, subjects, ...) nor A's internal notes;
a call naming B's records must be answered exactly as the same call naming records that do
not exist (status and error code: no oracle); no answer may be 5xx for anyone.
Customer-side calls run first (B's ids before A's), vendor-side calls last, so that what
staff may legitimately change does not hide a breach.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from openapi_cases import (
    STREAMS,
    Call,
    Generator,
    UnmappedParameter,
    operations,
)
from tenancy_setup import CUSTOMER_SIDE, PRINCIPALS, World

SERVICES = ("tickets", "contracts", "notify")
REFUSALS = {401, 403, 404, 405, 422}
CONCURRENCY = 8
# A stream that has not answered by then was let in (streams send their headers first).
STREAM_SECONDS = 3.0


@dataclass
class Results:
    checked: int = 0
    routes: int = 0
    calls: int = 0
    breaches: list[str] = field(default_factory=list)
    oracles: list[str] = field(default_factory=list)
    compared: int = 0  # answers to B's ids compared with answers to ids of nothing
    summary: str = ""
    server_errors: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    not_generated: list[str] = field(default_factory=list)
    # Customer-side calls stopped by validation: they did not reach the access rule.
    validation_only: Counter[str] = field(default_factory=Counter)


# Ids of records that do not exist, as the API spells each kind.
GHOSTS = {"number": "CS-2099-999999", "external_id": "ext-nobody-0000"}


def _picker(world: World, variant: str) -> Any:
    tenant = world.b if variant == "B" else world.a

    def pick(kind: str) -> str:
        if kind in world.shared:
            return world.shared[kind]
        if variant == "ghost":
            return GHOSTS.get(kind) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"ghost/{kind}"))
        return tenant.first(kind)

    return pick


def build_calls(world: World, results: Results) -> list[Call]:
    calls: list[Call] = []
    for service in SERVICES:
        spec = world.apps[service].openapi()
        generator = Generator(spec)
        for op in operations(service, spec):
            results.routes += 1
            seen: set[str] = set()
            for variant in ("B", "A", "none"):
                try:
                    call = generator.call(op, variant, _picker(world, variant))
                except UnmappedParameter as e:
                    results.unmapped.append(str(e))
                    break
                except (KeyError, IndexError) as e:
                    results.not_generated.append(f"{op.label} [{variant}]: no record {e}")
                    continue
                if variant == "B" and not (call.path_ids or call.other_ids):
                    continue  # carries nothing of B's: the same as the other variants
                if variant == "B":
                    call.ghost = generator.call(op, "ghost", _picker(world, "ghost"))
                if call.signature() in seen:
                    continue
                seen.add(call.signature())
                calls.append(call)
    return calls


async def _send(world: World, principal: str, call: Call) -> httpx.Response | None:
    """The answer, or None for a stream that was let in and kept open."""
    client = world.clients[call.operation.service]
    kwargs = dict(call.kwargs)
    headers = {**kwargs.pop("headers", {}), **world.headers[principal]}
    request = client.request(call.operation.method, call.url, headers=headers, **kwargs)
    if (call.operation.method, call.operation.path) in STREAMS:
        try:
            return await asyncio.wait_for(request, STREAM_SECONDS)
        except TimeoutError:
            return None
    return await request


def _outcome(response: httpx.Response | None) -> str:
    if response is None:
        return "stream opened"
    code = None
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = body["error"].get("code")
    return f"{response.status_code} {code}" if code else str(response.status_code)


async def _probe(world: World, principal: str, call: Call, results: Results) -> None:
    """Sends the call and judges the answer; a customer-side caller's call naming B's records
    must be answered exactly as the same call naming nothing (no oracle)."""
    response = await _send(world, principal, call)
    _judge(world, principal, call, response, results)
    if call.ghost is not None and principal in CUSTOMER_SIDE:
        unknown = await _send(world, principal, call.ghost)
        theirs, nobody = _outcome(response), _outcome(unknown)
        results.compared += 1
        if theirs != nobody:
            results.oracles.append(
                f"{call.operation.label} as {principal}: B's ids answer {theirs},"
                f" ids of nothing answer {nobody} ({call.url} vs {call.ghost.url})"
            )


def _judge(
    world: World, principal: str, call: Call, response: httpx.Response | None, results: Results
) -> None:
    results.checked += 1
    where = f"{call.operation.label} as {principal} with {call.variant}'s ids ({call.url})"
    if response is None:
        # A stream naming B's record in its path must be refused; one filtered (in its query)
        # by an id of B's opens as for an unknown id and carries only what A may see.
        if principal in CUSTOMER_SIDE and call.path_ids:
            results.breaches.append(f"{where}: the stream was opened")
        return
    status = response.status_code
    if status >= 500:
        body = call.kwargs.get("json", call.kwargs.get("params"))
        results.server_errors.append(f"{where}: {status} for {body!r}: {response.text[:200]}")
    if principal not in CUSTOMER_SIDE:
        return
    markers = set(world.b.markers)
    if call.variant == "B" and status >= 400:
        # An error may repeat what was asked for; it must add nothing of B's.
        markers -= {*call.path_ids, *call.other_ids}
    text = response.text
    leaked = sorted(m for m in markers if m in text)
    if leaked:
        results.breaches.append(f"{where}: {status}, answer contains B's {leaked[:5]}")
    internal = sorted(m for m in world.a.staff_only if m in text)
    if internal:
        results.breaches.append(f"{where}: {status}, answer contains A's internal notes")
    if call.variant == "B" and call.path_ids and status not in REFUSALS:
        results.breaches.append(f"{where}: answered {status} ({text[:160]})")
    if status == 422:
        detail = response.json().get("error", {})
        reason = f"{detail.get('code')}: {detail.get('details') or detail.get('message')!s}"
        results.validation_only[f"{call.operation.label} [{call.variant}] {reason[:150]}"] += 1


async def _run(
    world: World, pairs: list[tuple[str, Call]], results: Results, *, concurrent: bool
) -> None:
    if not concurrent:
        for principal, call in pairs:
            await _probe(world, principal, call, results)
        return
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(principal: str, call: Call) -> None:
        async with gate:
            await _probe(world, principal, call, results)

    await asyncio.gather(*(one(p, c) for p, c in pairs))


@pytest.fixture(scope="module")
async def rest_results(tenancy_world: World) -> Results:
    world = tenancy_world
    results = Results()
    calls = build_calls(world, results)
    results.calls = len(calls)
    customer = [p for p in PRINCIPALS if p in CUSTOMER_SIDE]
    vendor = [p for p in PRINCIPALS if p not in CUSTOMER_SIDE]
    phases = [
        [(p, c) for c in calls if c.variant == "B" for p in customer],
        [(p, c) for c in calls if c.variant != "B" for p in customer],
        [(p, c) for c in calls for p in vendor],
    ]
    for phase in phases:
        await _run(
            world, [x for x in phase if not x[1].operation.is_write], results, concurrent=True
        )
        await _run(world, [x for x in phase if x[1].operation.is_write], results, concurrent=False)
    results.summary = (
        f"tenancy (REST): checked {results.checked} (route, principal, tenant) combinations:"
        f" {results.routes} routes of {', '.join(SERVICES)}, {results.calls} generated requests,"
        f" {len(PRINCIPALS)} principal kinds; {results.compared} answers to B's ids compared"
        " with the answers to ids of nothing"
    )
    print("\n" + results.summary)
    if results.validation_only:
        print("customer-side calls that stopped at validation (422), not at the access rule:")
        for label, count in sorted(results.validation_only.items()):
            print(f"  {label}: {count}")
    return results


def test_the_world_was_built(tenancy_world: World) -> None:
    assert tenancy_world.setup_failures == []


def test_every_route_parameter_is_mapped(rest_results: Results, record_property: Any) -> None:
    record_property("tenancy", rest_results.summary)  # shown at the end of the run
    assert rest_results.unmapped == [], "map these parameters in openapi_cases.PATH_PARAMS"
    assert rest_results.not_generated == []
    assert rest_results.checked > 0


def test_no_customer_reaches_another_tenant(rest_results: Results) -> None:
    assert rest_results.breaches == [], "\n".join(
        [f"{len(rest_results.breaches)} breaches:", *rest_results.breaches]
    )


def test_another_tenants_ids_answer_as_unknown_ones(rest_results: Results) -> None:
    assert rest_results.oracles == [], "\n".join(
        [f"{len(rest_results.oracles)} oracles:", *rest_results.oracles]
    )


def test_no_server_errors(rest_results: Results) -> None:
    assert rest_results.server_errors == [], "\n".join(
        [f"{len(rest_results.server_errors)} server errors:", *rest_results.server_errors]
    )
