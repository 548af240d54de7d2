"""The kinds of DataLoader the domains' per-request loaders are made of (``loaders.py`` in
each domain package)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.dataloader import DataLoader

from careplane_gateway.graphql.calls import ServiceCaller


def each(fetch: Callable[[str], Awaitable[Any]]) -> DataLoader[str, Any]:
    """One call per key, the keys of one batch concurrently: for a resource the service
    answers one at a time. A failed call fails only the fields that asked for its key."""

    async def load(keys: list[str]) -> list[Any]:
        return list(await asyncio.gather(*(fetch(key) for key in keys), return_exceptions=True))

    return DataLoader(load_fn=load)


def by_path(caller: ServiceCaller) -> DataLoader[str, Any]:
    """GETs by path (query string included): however many fields of one query ask for the
    same resource, the service is called once."""
    return each(caller.get)
