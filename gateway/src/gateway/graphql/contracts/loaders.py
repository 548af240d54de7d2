"""Batching loaders over contracts' list endpoints: however many customers a query reaches,
their contacts (or agreements, or license keys) come from one request per batch of up to
100 customers (``?customer_id=a&customer_id=b``), never one request per customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.graphql.calls import ServiceCaller
from gateway.graphql.pagination import MAX_PAGE_SIZE

# Contracts takes at most this many ids in one filter.
IDS_PER_CALL = 100

Row = Mapping[str, Any]


async def fetch_all(caller: ServiceCaller, path: str, params: dict[str, Any]) -> list[Row]:
    """Every item of a paginated list: one request unless there are more than a page of them."""
    items: list[Row] = []
    while True:
        page = await caller.get(
            path, params={**params, "limit": MAX_PAGE_SIZE, "offset": len(items)}
        )
        items.extend(page["items"])
        if not page["items"] or len(items) >= page["total"]:
            return items


def rows_by_id(caller: ServiceCaller, path: str, id_param: str) -> DataLoader[str, Row | None]:
    """One row per id (None when the caller may not see it or it does not exist)."""

    async def load(ids: list[str]) -> list[Row | None]:
        rows = await fetch_all(caller, path, {id_param: ids})
        found = {row["id"]: row for row in rows}
        return [found.get(key) for key in ids]

    return DataLoader(load_fn=load, max_batch_size=IDS_PER_CALL)


def rows_of_customer(caller: ServiceCaller, path: str) -> DataLoader[str, list[Row]]:
    """Each customer's rows of a list endpoint that filters by ``customer_id``."""

    async def load(customer_ids: list[str]) -> list[list[Row]]:
        rows = await fetch_all(caller, path, {"customer_id": customer_ids})
        grouped: dict[str, list[Row]] = {key: [] for key in customer_ids}
        for row in rows:
            grouped.setdefault(row["customer_id"], []).append(row)
        return [grouped[key] for key in customer_ids]

    return DataLoader(load_fn=load, max_batch_size=IDS_PER_CALL)


@dataclass(frozen=True, slots=True)
class ContractsLoaders:
    """Keys are ids in the services' spelling (``str(uuid.UUID(...))``)."""

    customer: DataLoader[str, Row | None]
    contacts_of_customer: DataLoader[str, list[Row]]
    agreements_of_customer: DataLoader[str, list[Row]]
    license_keys_of_customer: DataLoader[str, list[Row]]

    @classmethod
    def for_request(cls, contracts: ServiceCaller) -> ContractsLoaders:
        return cls(
            customer=rows_by_id(contracts, "/v1/customers", "id"),
            contacts_of_customer=rows_of_customer(contracts, "/v1/contacts"),
            agreements_of_customer=rows_of_customer(contracts, "/v1/agreements"),
            license_keys_of_customer=rows_of_customer(contracts, "/v1/license-keys"),
        )
