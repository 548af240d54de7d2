"""Entitlement checks per second through the contracts service on the demo data.

Starts the stack in the production profile, signs in as the demo agent, then asks the
entitlement question for Cora (Cobalt Logistics) and Tideway 3.1 at concurrency 16 for
10 s, straight to contracts. Prints the figure and contracts' CPU per check; asserts
nothing. ``make bench`` measures the same inside bench_stack.py, on the stack it has
already started, instead of running this file.
"""

from __future__ import annotations

import asyncio
import json

import httpx
from _cpu import CpuMeter
from _harness import running_stack
from _load import Call
from _steps import measure


async def entitlement_call(contracts: str) -> Call:
    async with httpx.AsyncClient(base_url=contracts, timeout=10) as client:
        signed_in = await client.post(
            "/auth/token",
            data={
                "grant_type": "password",
                "username": "agent@example.com",
                "password": "careplane",
            },
        )
        agent = f"Bearer {signed_in.json()['access_token']}"
        cora = await client.post(
            "/auth/token",
            data={
                "grant_type": "password",
                "username": "cora@cobalt.example",
                "password": "careplane",
            },
        )
        me = await client.get(
            "/v1/me", headers={"Authorization": f"Bearer {cora.json()['access_token']}"}
        )
        product = (await client.get("/v1/products", headers={"Authorization": agent})).json()[0]
    body = {"contact_id": me.json()["id"], "product_id": product["id"], "version": "3.1"}
    return Call("POST", f"{contracts}/v1/entitlements/check", [agent], json.dumps(body))


def main() -> None:
    with running_stack() as stack:
        call = asyncio.run(entitlement_call(stack.url("contracts")))
        meter = CpuMeter({**stack.piece_roots(), "postgres": stack.postmaster_pid()})
        result = asyncio.run(measure(meter, call))
        print(result.load.line("entitlement checks via contracts, concurrency 16"))
        print(
            f"CPU per check: contracts {result.cpu_ms('contracts'):.2f} ms, "
            f"PostgreSQL {result.cpu_ms('postgres'):.2f} ms"
        )


if __name__ == "__main__":
    main()
