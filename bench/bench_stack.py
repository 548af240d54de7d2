"""`make run` as a user meets it: seconds from start to all four pieces ready (goal: 15 s
once installed), and each piece's resident memory after warm-up (goal: under 150 MB).

Warm-up: a few hundred requests of each kind a desk makes (sign-in, me, entitlement,
opening and reading cases). Prints figures; asserts nothing."""

from __future__ import annotations

import asyncio

import httpx
import psutil
from _harness import closed_loop, running_stack


async def warm_up(gateway: str) -> None:
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        token = (
            await client.post(
                "/auth/token",
                data={
                    "grant_type": "password",
                    "username": "cora@cobalt.example",
                    "password": "careplane",
                },
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        product = (await client.get("/api/contracts/v1/products", headers=headers)).json()[0]["id"]
    case = {"product_id": product, "version": "3.1", "subject": "Warm-up", "description": "x"}

    async def mixed(http: httpx.AsyncClient, n: int) -> httpx.Response:
        if n % 4 == 0:
            return await http.post(f"{gateway}/api/tickets/v1/tickets", json=case, headers=headers)
        if n % 4 == 1:
            return await http.get(f"{gateway}/api/tickets/v1/tickets", headers=headers)
        if n % 4 == 2:
            return await http.post(
                f"{gateway}/graphql", json={"query": "{ me { email } }"}, headers=headers
            )
        return await http.get(f"{gateway}/api/contracts/v1/plans", headers=headers)

    await closed_loop(mixed, concurrency=8, seconds=8, max_requests=2_000, warmup_seconds=0.5)


def main() -> None:
    with running_stack() as stack:
        print(
            f"make run: all four pieces ready after {stack.seconds_to_ready:.1f} s (goal <= 15 s)"
        )
        asyncio.run(warm_up(stack.url("gateway")))
        runner = psutil.Process(stack.runner_pid)
        for child in runner.children(recursive=True):
            command = " ".join(child.cmdline())
            for piece in stack.ports:
                if f"{piece}.main:create_app" in command:
                    rss = child.memory_info().rss / 1024 / 1024
                    print(f"{piece}: {rss:.0f} MB resident after warm-up (goal < 150 MB)")


if __name__ == "__main__":
    main()
