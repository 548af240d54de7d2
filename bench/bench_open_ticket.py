"""Opening cases through the gateway at concurrency 16, against the baselines of
docs/performance.md measured in the same run: the bare FastAPI + SQLAlchemy insert (goal: at
least 0.35x of it) and django-helpdesk's 123 creates/s from docs/performance.md (goal: 4x).

Also a single-ticket read through the gateway against the same read from tickets
directly (goal: the hop costs at most 1.5x). Prints figures; asserts nothing."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
from _harness import bare_app, closed_loop, database_url, running_stack

DJANGO_HELPDESK_CREATES_PER_S = 123  # docs/performance.md, same kind of machine


async def _token(gateway: str, email: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        response = await client.post(
            "/auth/token",
            data={"grant_type": "password", "username": email, "password": "careplane"},
        )
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def measure(gateway: str, tickets: str, bare: str) -> None:
    cora = await _token(gateway, "cora@cobalt.example")
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        products = (await client.get("/api/contracts/v1/products", headers=cora)).json()
    case = {
        "product_id": products[0]["id"],
        "version": "3.1",
        "subject": "Benchmark case",
        "description": "Opened by bench/bench_open_ticket.py",
        "priority": "III",
    }

    async def bare_insert(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.post(
            f"{bare}/items", json={"subject": case["subject"], "body": case["description"]}
        )

    async def open_case(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.post(f"{gateway}/api/tickets/v1/tickets", json=case, headers=cora)

    baseline = await closed_loop(bare_insert, seconds=10)
    opened = await closed_loop(open_case, seconds=10)
    print(baseline.line("bare FastAPI insert, concurrency 16"))
    print(opened.line("open a case through the gateway, concurrency 16"))
    print(
        f"ratio to the bare insert: {opened.rate / baseline.rate:.2f} (goal >= 0.35); "
        f"to django-helpdesk's {DJANGO_HELPDESK_CREATES_PER_S}/s: "
        f"{opened.rate / DJANGO_HELPDESK_CREATES_PER_S:.1f}x (goal >= 4)"
    )

    async with httpx.AsyncClient(base_url=tickets, timeout=10) as client:
        listed = (await client.get("/v1/tickets", params={"limit": 1}, headers=cora)).json()
    ticket_id = listed["items"][0]["id"]

    async def direct(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.get(f"{tickets}/v1/tickets/{ticket_id}", headers=cora)

    async def via_gateway(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.get(f"{gateway}/api/tickets/v1/tickets/{ticket_id}", headers=cora)

    read_direct = await closed_loop(direct, seconds=8)
    read_gateway = await closed_loop(via_gateway, seconds=8)
    print(read_direct.line("read one case from tickets directly"))
    print(read_gateway.line("read one case through the gateway"))
    print(f"gateway read / direct read: {read_gateway.rate / read_direct.rate:.2f} (goal >= 0.67)")


async def _create_bare_database(url: str) -> None:
    admin = url.replace("postgresql+asyncpg", "postgresql").rsplit("/", 1)[0] + "/postgres"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute("DROP DATABASE IF EXISTS bench_bare")
        await connection.execute("CREATE DATABASE bench_bare")
    finally:
        await connection.close()


def main() -> None:
    with running_stack() as stack:
        url = database_url(stack, "bench_bare")
        asyncio.run(_create_bare_database(url))
        with bare_app(url) as bare:
            asyncio.run(measure(stack.url("gateway"), stack.url("tickets"), bare))


if __name__ == "__main__":
    main()
