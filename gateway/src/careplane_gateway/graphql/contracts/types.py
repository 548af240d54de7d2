"""The contracts domain's central types: a customer and what it holds (its contacts,
agreement years and license keys). They point at each other (a customer's agreements, an
agreement's customer), so they live together; the rest of the domain has a module of its
own: ``plans``, ``products``, ``quota``, ``entitlement``, ``billing``.

Each type is built from the REST answer it mirrors. Related objects are resolved on demand: a
customer's contacts, agreements and license keys through the batching loaders (one request
per batch of customers), plans and products from their lists (one request per GraphQL
request), everything else by path (one request per resource); see ``loaders``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.cases import LinkedTicket, linked_ticket
from careplane_gateway.graphql.contracts.enums import (
    AgreementStatus,
    CustomerStanding,
    Language,
    LicenseKeyStatus,
    LicenseKeyValidationCode,
)
from careplane_gateway.graphql.contracts.plans import Plan
from careplane_gateway.graphql.contracts.products import Product
from careplane_gateway.graphql.contracts.quota import QuotaEntry, QuotaSummary
from careplane_gateway.graphql.convert import (
    Row,
    optional_datetime,
    optional_decimal,
    optional_id,
    to_id,
)
from careplane_gateway.graphql.pagination import After, Connection, First, PageRequest, connection

# -- customers and contacts -----------------------------------------------------------------------


@strawberry.type(description="A customer of the vendor: who gets support, and on what terms.")
class Customer:
    id: strawberry.ID = strawberry.field(
        description="The customer's ID (`GET /v1/customers/{id}`)."
    )
    name: str = strawberry.field(description="The organization's name.")
    region: str = strawberry.field(description="Picks the support center, e.g. AMERICAS, EMEA.")
    timezone: str = strawberry.field(description="IANA time zone, e.g. Europe/Amsterdam.")
    language: Language = strawberry.field(
        description="The language mail to the customer is written in."
    )
    standing: CustomerStanding = strawberry.field(
        description="A suspended customer gets no support."
    )
    external_id: str | None = strawberry.field(description="The customer's id in your CRM.")
    support_center_id: strawberry.ID | None = strawberry.field(
        description="A center chosen for this customer; null: the region's center serves it."
    )
    created_at: datetime = strawberry.field(description="When the customer was created.")
    updated_at: datetime = strawberry.field(description="When the customer last changed.")

    @classmethod
    def from_rest(cls, row: Row) -> Customer:
        return cls(
            id=to_id(row["id"]),
            name=row["name"],
            region=row["region"],
            timezone=row["timezone"],
            language=Language(row["language"]),
            standing=CustomerStanding(row["standing"]),
            external_id=row.get("external_id"),
            support_center_id=optional_id(row.get("support_center_id")),
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    @classmethod
    async def load(cls, info: Info, customer_id: object) -> Customer:
        """A customer by id, batched with the others of the request (CUSTOMER_NOT_FOUND)."""
        return cls.from_rest(await info.context.loaders.contracts.customer_row(customer_id))

    @classmethod
    async def load_optional(cls, info: Info, customer_id: object | None) -> Customer | None:
        """For a record that may have no customer (null: every customer's)."""
        return None if customer_id is None else await cls.load(info, customer_id)

    @strawberry.field(description="Support contacts and administrators, by name.")
    async def contacts(self, info: Info) -> list[Contact]:
        rows = await info.context.loaders.contracts.contacts_of_customer.load(str(self.id))
        return [Contact.from_rest(row) for row in rows]

    @strawberry.field(description="Agreement years, latest first.")
    async def agreements(
        self,
        info: Info,
        status: Annotated[
            AgreementStatus | None,
            strawberry.argument(description="Only agreements in this status; all when null."),
        ] = None,
    ) -> list[Agreement]:
        rows = await info.context.loaders.contracts.agreements_of_customer.load(str(self.id))
        agreements = [Agreement.from_rest(row) for row in rows]
        return [a for a in agreements if status is None or a.status is status]

    @strawberry.field(description="License keys, latest first.")
    async def license_keys(
        self,
        info: Info,
        status: Annotated[
            LicenseKeyStatus | None,
            strawberry.argument(description="Only keys in this status; all when null."),
        ] = None,
    ) -> list[LicenseKey]:
        rows = await info.context.loaders.contracts.license_keys_of_customer.load(str(self.id))
        keys = [LicenseKey.from_rest(row) for row in rows]
        return [k for k in keys if status is None or k.status is status]


@strawberry.type(description="The result of an upsert by external id.")
class CustomerUpsert:
    customer: Customer = strawberry.field(description="The customer as it is now.")
    created: bool = strawberry.field(description="True: created now; false: updated.")


@strawberry.type(description="A person at a customer who may ask for support.")
class Contact:
    id: strawberry.ID = strawberry.field(description="The contact's ID (`GET /v1/contacts/{id}`).")
    customer_id: strawberry.ID = strawberry.field(
        description="The customer the contact belongs to."
    )
    email: str = strawberry.field(
        description="The contact's email: the sign-in name, unique among active contacts."
    )
    name: str = strawberry.field(description="The contact's full name.")
    is_admin: bool = strawberry.field(description="A licensed administrator of the customer.")
    registered: bool = strawberry.field(description="A registered support contact.")
    active: bool = strawberry.field(
        description="False once deactivated: it can no longer sign in or open cases."
    )
    created_at: datetime = strawberry.field(description="When the contact was created.")

    @classmethod
    def from_rest(cls, row: Row) -> Contact:
        return cls(
            id=to_id(row["id"]),
            customer_id=to_id(row["customer_id"]),
            email=row["email"],
            name=row["name"],
            is_admin=bool(row["is_admin"]),
            registered=bool(row["registered"]),
            active=bool(row["active"]),
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    @strawberry.field(description="The customer the contact belongs to.")
    async def customer(self, info: Info) -> Customer:
        return await Customer.load(info, self.customer_id)


# -- agreements -----------------------------------------------------------------------------------


@strawberry.type(description="A customer on a plan for one agreement year.")
class Agreement:
    id: strawberry.ID = strawberry.field(
        description="The agreement's ID (`GET /v1/agreements/{id}`)."
    )
    customer_id: strawberry.ID = strawberry.field(
        description="The customer the agreement belongs to."
    )
    plan_id: strawberry.ID = strawberry.field(description="The support plan it is for.")
    plan_name: str = strawberry.field(description="The plan's display name.")
    year: int = strawberry.field(description="1 for the first year, 2 after the first renewal...")
    anchor_date: date = strawberry.field(description="The first year's commencement.")
    starts_on: date = strawberry.field(description="The first day of this agreement year.")
    ends_on: date = strawberry.field(description="The last day covered.")
    term_months: int = strawberry.field(
        description="Length of one agreement year, in months (12 unless agreed otherwise)."
    )
    status: AgreementStatus = strawberry.field(
        description="Effective today: an active agreement past its end is EXPIRED."
    )
    stored_status: AgreementStatus = strawberry.field(
        description="The status as recorded, before the expiry rule of `status` is applied."
    )
    license_price: Decimal = strawberry.field(
        description="The license price the plan's pricing percentages apply to, in `currency`."
    )
    currency: str = strawberry.field(description="ISO 4217 currency code of the prices, e.g. EUR.")
    price: Decimal | None = strawberry.field(
        description="This year's price under the plan's pricing rule."
    )
    upgrade_price: Decimal | None = strawberry.field(
        description=(
            "The price of an upgrade to the next major version; null when the"
            " plan has no upgrade rule."
        )
    )
    product_ids: list[strawberry.ID] = strawberry.field(
        description="The products the agreement covers."
    )
    previous_agreement_id: strawberry.ID | None = strawberry.field(
        description="The agreement year this one renewed; null for the first year."
    )
    renewed_by_id: strawberry.ID | None = strawberry.field(
        description="The next year's agreement, once renewed."
    )
    quota_remaining: int | None = strawberry.field(
        description="Tickets left this year; null when the plan has no quota."
    )

    @classmethod
    def from_rest(cls, row: Row) -> Agreement:
        return cls(
            id=to_id(row["id"]),
            customer_id=to_id(row["customer_id"]),
            plan_id=to_id(row["plan_id"]),
            plan_name=row["plan_name"],
            year=int(row["year"]),
            anchor_date=date.fromisoformat(row["anchor_date"]),
            starts_on=date.fromisoformat(row["starts_on"]),
            ends_on=date.fromisoformat(row["ends_on"]),
            term_months=int(row["term_months"]),
            status=AgreementStatus(row["status"]),
            stored_status=AgreementStatus(row["stored_status"]),
            license_price=Decimal(str(row["license_price"])),
            currency=row["currency"],
            price=optional_decimal(row.get("price")),
            upgrade_price=optional_decimal(row.get("upgrade_price")),
            product_ids=[to_id(p) for p in row["product_ids"]],
            previous_agreement_id=optional_id(row.get("previous_agreement_id")),
            renewed_by_id=optional_id(row.get("renewed_by_id")),
            quota_remaining=row.get("quota_remaining"),
        )

    @strawberry.field(description="The customer the agreement belongs to.")
    async def customer(self, info: Info) -> Customer:
        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The support plan it is for.")
    async def plan(self, info: Info) -> Plan:
        return await Plan.load(info, self.plan_id)

    @strawberry.field(description="The products the agreement covers.")
    async def products(self, info: Info) -> list[Product]:
        rows = await info.context.loaders.contracts.product_rows()
        return [Product.from_rest(rows[p]) for p in self.product_ids if p in rows]

    @strawberry.field(
        description=(
            "This year's quota from the ledger; null when the plan has no quota. One request "
            "per agreement: in long lists, `quotaRemaining` costs nothing."
        )
    )
    async def quota(self, info: Info) -> QuotaSummary | None:
        loaders = info.context.loaders.contracts
        plan = (await loaders.plan_rows()).get(str(self.plan_id))
        if plan is not None and plan.get("quota") is None:
            return None
        return QuotaSummary.from_rest(await loaders.by_path.load(f"/v1/agreements/{self.id}/quota"))

    @strawberry.field(description="The quota ledger, oldest first.")
    async def quota_entries(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[QuotaEntry]:
        page = PageRequest.of(first, after)
        body = await info.context.contracts.get(
            f"/v1/agreements/{self.id}/quota/entries", params=page.params()
        )
        return connection(body, page, QuotaEntry.from_rest)


# -- license keys ---------------------------------------------------------------------------------


@strawberry.type(description="A signed license key for a customer, product and major version.")
class LicenseKey:
    id: strawberry.ID = strawberry.field(
        description="The license key's ID (`GET /v1/license-keys/{id}`)."
    )
    key: str = strawberry.field(
        description="key/{base64url(payload)}.{base64url(Ed25519 signature)} (docs/api.md)."
    )
    customer_id: strawberry.ID = strawberry.field(description="The customer it is issued to.")
    product_id: strawberry.ID = strawberry.field(description="The product it unlocks.")
    major_version: int = strawberry.field(description="The major version it unlocks.")
    agreement_id: strawberry.ID | None = strawberry.field(
        description="The key expires with this agreement."
    )
    status: LicenseKeyStatus = strawberry.field(
        description="Whether the key is active, suspended or revoked."
    )
    issued_at: datetime = strawberry.field(description="When it was issued.")
    expires_at: datetime | None = strawberry.field(
        description="When it stops validating; null when it does not expire."
    )
    replaces_id: strawberry.ID | None = strawberry.field(description="The key this one reissued.")
    request_ticket_id: strawberry.ID | None = strawberry.field(
        description="The key request ticket this fulfilled."
    )
    status_reason: str | None = strawberry.field(
        description="Why it was suspended or revoked; null when active."
    )

    @classmethod
    def from_rest(cls, row: Row) -> LicenseKey:
        return cls(
            id=to_id(row["id"]),
            key=row["key"],
            customer_id=to_id(row["customer_id"]),
            product_id=to_id(row["product_id"]),
            major_version=int(row["major_version"]),
            agreement_id=optional_id(row.get("agreement_id")),
            status=LicenseKeyStatus(row["status"]),
            issued_at=datetime.fromisoformat(row["issued_at"]),
            expires_at=optional_datetime(row.get("expires_at")),
            replaces_id=optional_id(row.get("replaces_id")),
            request_ticket_id=optional_id(row.get("request_ticket_id")),
            status_reason=row.get("status_reason"),
        )

    @strawberry.field(
        description="The key request case this fulfilled; null when none or not visible."
    )
    async def request_ticket(self, info: Info) -> LinkedTicket | None:
        return await linked_ticket(info, self.request_ticket_id)

    @strawberry.field(description="The customer it is issued to.")
    async def customer(self, info: Info) -> Customer:
        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The product it unlocks.")
    async def product(self, info: Info) -> Product:
        return await Product.load(info, self.product_id)


@strawberry.type(description="What a license key is good for (docs/api.md: always an answer).")
class LicenseKeyValidation:
    valid: bool = strawberry.field(
        description="Whether the key is valid for the product and version asked about."
    )
    code: LicenseKeyValidationCode = strawberry.field(
        description="Why: VALID, or the reason it is not."
    )
    license_id: strawberry.ID | None = strawberry.field(
        description="The key's ID; null when the key is not known."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer it is issued to; null when the key is not known."
    )
    product_id: strawberry.ID | None = strawberry.field(
        description="The product it unlocks; null when the key is not known."
    )
    major_version: int | None = strawberry.field(
        description="The major version it unlocks; null when the key is not known."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the key expires; null when it does not or is not known."
    )

    @classmethod
    def from_rest(cls, row: Row) -> LicenseKeyValidation:
        return cls(
            valid=bool(row["valid"]),
            code=LicenseKeyValidationCode(row["code"]),
            license_id=optional_id(row.get("license_id")),
            customer_id=optional_id(row.get("customer_id")),
            product_id=optional_id(row.get("product_id")),
            major_version=row.get("major_version"),
            expires_at=optional_datetime(row.get("expires_at")),
        )
