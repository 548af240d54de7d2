"""The contracts service as one GraphQL request reads it.

However many customers a query reaches, their contacts (or agreements, or license keys) come
from one request per batch of up to 100 customers (``?customer_id=a&customer_id=b``), never
one request per customer. Plans and products come from their lists, once per request, and
anything else by path, once per path (``by_path``).

The lookups answer rows as contracts sent them; the types build themselves from a row
(``Customer.load``, ``Plan.load``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from careplane_gateway.graphql.batching import by_path
from careplane_gateway.graphql.calls import ServiceCaller
from careplane_gateway.graphql.convert import Row
from careplane_gateway.graphql.errors import gateway_error
from careplane_gateway.graphql.pagination import MAX_PAGE_SIZE

# Contracts takes at most this many ids in one filter.
IDS_PER_CALL = 100

PLANS_PATH = "/v1/plans"
PRODUCTS_PATH = "/v1/products"


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
    """Keys are ids in the services' spelling (``str(uuid.UUID(...))``), or paths."""

    by_path: DataLoader[str, Any]
    customer: DataLoader[str, Row | None]
    contacts_of_customer: DataLoader[str, list[Row]]
    agreements_of_customer: DataLoader[str, list[Row]]
    license_keys_of_customer: DataLoader[str, list[Row]]

    @classmethod
    def for_request(cls, contracts: ServiceCaller) -> ContractsLoaders:
        return cls(
            by_path=by_path(contracts),
            customer=rows_by_id(contracts, "/v1/customers", "id"),
            contacts_of_customer=rows_of_customer(contracts, "/v1/contacts"),
            agreements_of_customer=rows_of_customer(contracts, "/v1/agreements"),
            license_keys_of_customer=rows_of_customer(contracts, "/v1/license-keys"),
        )

    async def customer_row(self, customer_id: object) -> Row:
        """CUSTOMER_NOT_FOUND for one the caller may not see, as for one that does not exist."""
        row = await self.customer.load(str(customer_id))
        if row is None:
            raise gateway_error("CUSTOMER_NOT_FOUND", "No such customer.", service="contracts")
        return row

    async def plan_rows(self) -> dict[str, Row]:
        """Every plan by id, from the list ``plans`` answers too."""
        rows: list[Row] = await self.by_path.load(PLANS_PATH)
        return {row["id"]: row for row in rows}

    async def plan_row(self, plan_id: object) -> Row:
        row = (await self.plan_rows()).get(str(plan_id))
        if row is None:
            raise gateway_error("PLAN_NOT_FOUND", "No such plan.", service="contracts")
        return row

    async def product_rows(self) -> dict[str, Row]:
        """Every product by id, from the list ``products`` answers too."""
        rows: list[Row] = await self.by_path.load(PRODUCTS_PATH)
        return {row["id"]: row for row in rows}

    async def product_row(self, product_id: object) -> Row:
        row = (await self.product_rows()).get(str(product_id))
        if row is None:
            raise gateway_error("PRODUCT_NOT_FOUND", "No such product.", service="contracts")
        return row
