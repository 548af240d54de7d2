"""Entitlement checks per second through the contracts service on the demo data.

Starts the stack as `make run` does, signs in as the demo agent, then asks the
entitlement question for the demo contacts in turn at concurrency 16 for 10 s.
Prints the figure; asserts nothing."""

from __future__ import annotations

import asyncio

import httpx
from _harness import closed_loop, running_stack


async def measure(contracts: str) -> None:
    async with httpx.AsyncClient(base_url=contracts, timeout=10) as client:
        token = (
            await client.post(
                "/auth/token",
                data={
                    "grant_type": "password",
                    "username": "agent@example.com",
                    "password": "careplane",
                },
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        product = (await client.get("/v1/products", headers=headers)).json()[0]["id"]
        contacts = []
        for customer in (await client.get("/v1/customers", headers=headers)).json()["items"]:
            page = await client.get(f"/v1/customers/{customer['id']}/contacts", headers=headers)
            contacts += [c["id"] for c in page.json()["items"]]
    versions = ["3.1", "2.3", "1.4", "3.0"]

    async def check(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.post(
            f"{contracts}/v1/entitlements/check",
            json={
                "contact_id": contacts[n % len(contacts)],
                "product_id": product,
                "version": versions[n % 4],
            },
            headers=headers,
        )

    result = await closed_loop(check, concurrency=16, seconds=10)
    print(result.line("entitlement checks via contracts, concurrency 16"))


def main() -> None:
    with running_stack() as stack:
        asyncio.run(measure(stack.url("contracts")))


if __name__ == "__main__":
    main()
