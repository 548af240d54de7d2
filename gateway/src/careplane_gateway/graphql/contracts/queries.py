"""The contracts domain's root query fields. Contracts judges every call itself (roles,
tenancy): a customer's contact sees its own customer only, whatever it asks for."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from careplane_gateway.graphql.arguments import optional_uuid_arg, present, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.billing import BillableItem
from careplane_gateway.graphql.contracts.entitlement import Entitlement
from careplane_gateway.graphql.contracts.enums import (
    AgreementStatus,
    BillableKind,
    CustomerStanding,
    LicenseKeyStatus,
)
from careplane_gateway.graphql.contracts.loaders import PLANS_PATH, PRODUCTS_PATH
from careplane_gateway.graphql.contracts.plans import Plan, SupportCenter
from careplane_gateway.graphql.contracts.products import (
    MajorVersion,
    Product,
    SupportedVersion,
    lifecycle_path,
    supported_versions_path,
)
from careplane_gateway.graphql.contracts.types import (
    Agreement,
    Contact,
    Customer,
    LicenseKey,
    LicenseKeyValidation,
)
from careplane_gateway.graphql.pagination import After, Connection, First, PageRequest, connection


@strawberry.type
class ContractsQuery:
    @strawberry.field(
        description=(
            "May this contact open a case on this product version, and on what terms. A "
            "refusal is an answer (entitled: false, with reasons), not an error."
        )
    )
    async def entitlement(
        self,
        info: Info,
        contact_id: Annotated[
            strawberry.ID, strawberry.argument(description="The contact who would open the case.")
        ],
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        version: Annotated[str, strawberry.argument(description="The product version, e.g. 5.2.")],
        at: Annotated[
            datetime | None,
            strawberry.argument(description="Evaluate at this moment instead of now."),
        ] = None,
    ) -> Entitlement:
        body: dict[str, Any] = {
            "contact_id": uuid_arg(contact_id, "contactId"),
            "product_id": uuid_arg(product_id, "productId"),
            "version": version,
        }
        if at is not None:
            body["at"] = at.isoformat()
        return Entitlement.from_rest(
            await info.context.contracts.post("/v1/entitlements/check", json=body)
        )

    @strawberry.field(description="A product's major versions, oldest first, phases at `at`.")
    async def product_lifecycle(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        at: Annotated[date | None, strawberry.argument(description="Default: today.")] = None,
    ) -> list[MajorVersion]:
        path = lifecycle_path(uuid_arg(product_id, "productId"), at)
        return [
            MajorVersion.from_rest(row)
            for row in await info.context.loaders.contracts.by_path.load(path)
        ]

    @strawberry.field(description="Releases in mainstream or extended support at `at`.")
    async def supported_versions(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        at: Annotated[date | None, strawberry.argument(description="Default: today.")] = None,
    ) -> list[SupportedVersion]:
        path = supported_versions_path(uuid_arg(product_id, "productId"), at)
        rows = await info.context.loaders.contracts.by_path.load(path)
        return [SupportedVersion.from_rest(row) for row in rows]

    @strawberry.field(description="Support plans on offer (and retired ones: see `active`).")
    async def plans(self, info: Info) -> list[Plan]:
        return [
            Plan.from_rest(row)
            for row in await info.context.loaders.contracts.by_path.load(PLANS_PATH)
        ]

    @strawberry.field(description="A plan by ID; null when there is none.")
    async def plan(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The plan's ID.")],
    ) -> Plan | None:
        path = f"/v1/plans/{uuid_arg(id, 'id')}"
        return Plan.from_rest(await info.context.loaders.contracts.by_path.load(path))

    @strawberry.field(description="Every product.")
    async def products(self, info: Info) -> list[Product]:
        rows = await info.context.loaders.contracts.by_path.load(PRODUCTS_PATH)
        return [Product.from_rest(row) for row in rows]

    @strawberry.field(description="A product by ID; null when there is none.")
    async def product(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The product's ID.")],
    ) -> Product | None:
        path = f"/v1/products/{uuid_arg(id, 'id')}"
        return Product.from_rest(await info.context.loaders.contracts.by_path.load(path))

    @strawberry.field(description="Support centers and their business calendars (staff).")
    async def support_centers(self, info: Info) -> list[SupportCenter]:
        rows = await info.context.loaders.contracts.by_path.load("/v1/support-centers")
        return [SupportCenter.from_rest(row) for row in rows]

    @strawberry.field(
        description="Customers by name. A customer's own callers see their own customer only."
    )
    async def customers(
        self,
        info: Info,
        search: Annotated[str | None, strawberry.argument(description="Part of the name.")] = None,
        standing: Annotated[
            CustomerStanding | None,
            strawberry.argument(description="Only customers in this standing."),
        ] = None,
        region: Annotated[
            str | None, strawberry.argument(description="Only customers in this region, e.g. EMEA.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Customer]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "search": search,
                "standing": standing.value if standing else None,
                "region": region,
                **page.params(),
            }
        )
        body = await info.context.contracts.get("/v1/customers", params=params)
        # Nested fields that lead back to these customers need no further call.
        for row in body["items"]:
            info.context.loaders.contracts.customer.prime(row["id"], row)
        return connection(body, page, Customer.from_rest)

    @strawberry.field(
        description="A customer by ID; null when there is none or the caller may not see it."
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The customer's ID.")],
    ) -> Customer | None:
        path = f"/v1/customers/{uuid_arg(id, 'id')}"
        row = await info.context.loaders.contracts.by_path.load(path)
        info.context.loaders.contracts.customer.prime(row["id"], row)
        return Customer.from_rest(row)

    @strawberry.field(
        description="A contact by ID; null when there is none or the caller may not see it."
    )
    async def contact(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The contact's ID.")],
    ) -> Contact | None:
        path = f"/v1/contacts/{uuid_arg(id, 'id')}"
        return Contact.from_rest(await info.context.loaders.contracts.by_path.load(path))

    @strawberry.field(description="Agreement years, latest first.")
    async def agreements(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's agreements."),
        ] = None,
        plan_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only agreements under this plan."),
        ] = None,
        status: Annotated[
            AgreementStatus | None,
            strawberry.argument(description="Only agreements in this status."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Agreement]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "customer_id": optional_uuid_arg(customer_id, "customerId"),
                "plan_id": optional_uuid_arg(plan_id, "planId"),
                "status": status.value if status else None,
                **page.params(),
            }
        )
        body = await info.context.contracts.get("/v1/agreements", params=params)
        return connection(body, page, Agreement.from_rest)

    @strawberry.field(
        description="An agreement by ID; null when there is none or the caller may not see it."
    )
    async def agreement(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The agreement's ID.")],
    ) -> Agreement | None:
        path = f"/v1/agreements/{uuid_arg(id, 'id')}"
        return Agreement.from_rest(await info.context.loaders.contracts.by_path.load(path))

    @strawberry.field(description="License keys, latest first.")
    async def license_keys(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this customer's keys.")
        ] = None,
        product_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only keys for this product.")
        ] = None,
        status: Annotated[
            LicenseKeyStatus | None, strawberry.argument(description="Only keys in this status.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[LicenseKey]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "customer_id": optional_uuid_arg(customer_id, "customerId"),
                "product_id": optional_uuid_arg(product_id, "productId"),
                "status": status.value if status else None,
                **page.params(),
            }
        )
        body = await info.context.contracts.get("/v1/license-keys", params=params)
        return connection(body, page, LicenseKey.from_rest)

    @strawberry.field(
        description="A license key by ID; null when there is none or the caller may not see it."
    )
    async def license_key(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The key's ID.")],
    ) -> LicenseKey | None:
        path = f"/v1/license-keys/{uuid_arg(id, 'id')}"
        return LicenseKey.from_rest(await info.context.loaders.contracts.by_path.load(path))

    @strawberry.field(
        description="The Ed25519 public key (PEM) that verifies license keys offline."
    )
    async def license_public_key(self, info: Info) -> str:
        response = await info.context.contracts.send("GET", "/v1/license-keys/public-key")
        return response.text

    @strawberry.field(
        description=(
            "Checks a license key for a product version: always an answer (`valid` and a "
            "`code`); another customer's key is NOT_FOUND to a customer's caller."
        )
    )
    async def validate_license_key(
        self,
        info: Info,
        key: Annotated[str, strawberry.argument(description="The license key text as issued.")],
        product_id: Annotated[
            strawberry.ID, strawberry.argument(description="The product the installation runs.")
        ],
        version: Annotated[
            str, strawberry.argument(description="The version the installation runs, e.g. 5.2.")
        ],
    ) -> LicenseKeyValidation:
        body = {"key": key, "product_id": uuid_arg(product_id, "productId"), "version": version}
        return LicenseKeyValidation.from_rest(
            await info.context.contracts.post("/v1/license-keys/validate", json=body)
        )

    @strawberry.field(
        description="Billable items by when the work happened: `since` inclusive, `until` not."
    )
    async def billable_items(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this customer's items.")
        ] = None,
        kind: Annotated[
            BillableKind | None, strawberry.argument(description="Only items of this kind.")
        ] = None,
        since: Annotated[
            datetime | None,
            strawberry.argument(description="Only items that occurred at or after this time."),
        ] = None,
        until: Annotated[
            datetime | None,
            strawberry.argument(description="Only items that occurred before this time."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[BillableItem]:
        page = PageRequest.of(first, after)
        params = present(
            {
                "customer_id": optional_uuid_arg(customer_id, "customerId"),
                "kind": kind.value if kind else None,
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
                **page.params(),
            }
        )
        body = await info.context.contracts.get("/v1/billable-items", params=params)
        return connection(body, page, BillableItem.from_rest)
