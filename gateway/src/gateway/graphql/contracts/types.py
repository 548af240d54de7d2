"""The contracts domain's object types, each built from the REST answer it mirrors.

Related objects are resolved on demand: a customer's contacts, agreements and license keys
through the batching loaders (one request per batch of customers), plans and products from
their lists (one request per GraphQL request), everything else through the per-request
resource loader (one request per resource).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

import strawberry

from gateway.graphql.context import Info
from gateway.graphql.contracts.enums import (
    AgreementStatus,
    BillableKind,
    Channel,
    ContactRule,
    CustomerStanding,
    IncludedService,
    Language,
    LicenseKeyStatus,
    LicenseKeyValidationCode,
    QuotaEntryKind,
    WhenExhausted,
)
from gateway.graphql.errors import gateway_error
from gateway.graphql.pagination import After, Connection, First, PageRequest, connection
from gateway.graphql.sla_policy import BusinessCalendar, SlaPolicy

if TYPE_CHECKING:
    from gateway.graphql.tickets.types import Ticket

Row = Mapping[str, Any]

# The tickets domain's Ticket, resolved when the schema is built (it imports this module).
LinkedTicket = Annotated["Ticket", strawberry.lazy("gateway.graphql.tickets.types")]

# Phases in which a version gets support (API.md: MAINSTREAM | EXTENDED | END_OF_LIFE).
SUPPORTED_PHASES = frozenset({"MAINSTREAM", "EXTENDED"})


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _decimal(value: object | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def with_query(path: str, **params: object | None) -> str:
    """A resource loader key: the path with its query string (None values left out)."""
    given = {name: str(value) for name, value in params.items() if value is not None}
    return f"{path}?{urlencode(given)}" if given else path


async def plan_rows(info: Info) -> dict[str, Row]:
    rows: list[Row] = await info.context.loaders.contracts.load("/v1/plans")
    return {row["id"]: row for row in rows}


async def product_rows(info: Info) -> dict[str, Row]:
    rows: list[Row] = await info.context.loaders.contracts.load("/v1/products")
    return {row["id"]: row for row in rows}


async def load_customer(info: Info, customer_id: object) -> Customer:
    row = await info.context.loaders.contracts_batches.customer.load(str(customer_id))
    if row is None:
        raise gateway_error("CUSTOMER_NOT_FOUND", "No such customer.", service="contracts")
    return Customer.from_rest(row)


async def load_plan(info: Info, plan_id: object) -> Plan:
    row = (await plan_rows(info)).get(str(plan_id))
    if row is None:
        raise gateway_error("PLAN_NOT_FOUND", "No such plan.", service="contracts")
    return Plan.from_rest(row)


async def load_product(info: Info, product_id: object) -> Product:
    row = (await product_rows(info)).get(str(product_id))
    if row is None:
        raise gateway_error("PRODUCT_NOT_FOUND", "No such product.", service="contracts")
    return Product.from_rest(row)


# -- customers and contacts -----------------------------------------------------------------------


@strawberry.type(description="A customer of the vendor: who gets support, and on what terms.")
class Customer:
    id: strawberry.ID
    name: str
    region: str = strawberry.field(description="Picks the support center, e.g. AMERICAS, EMEA.")
    timezone: str = strawberry.field(description="IANA time zone, e.g. Europe/Amsterdam.")
    language: Language
    standing: CustomerStanding = strawberry.field(
        description="A suspended customer gets no support."
    )
    external_id: str | None = strawberry.field(description="The customer's id in your CRM.")
    support_center_id: strawberry.ID | None = strawberry.field(
        description="A center chosen for this customer; null: the region's center serves it."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_rest(cls, row: Row) -> Customer:
        return cls(
            id=_id(row["id"]),
            name=row["name"],
            region=row["region"],
            timezone=row["timezone"],
            language=Language(row["language"]),
            standing=CustomerStanding(row["standing"]),
            external_id=row.get("external_id"),
            support_center_id=_optional_id(row.get("support_center_id")),
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    @strawberry.field(description="Support contacts and administrators, by name.")
    async def contacts(self, info: Info) -> list[Contact]:
        rows = await info.context.loaders.contracts_batches.contacts_of_customer.load(str(self.id))
        return [Contact.from_rest(row) for row in rows]

    @strawberry.field(description="Agreement years, latest first.")
    async def agreements(
        self, info: Info, status: AgreementStatus | None = None
    ) -> list[Agreement]:
        rows = await info.context.loaders.contracts_batches.agreements_of_customer.load(
            str(self.id)
        )
        agreements = [Agreement.from_rest(row) for row in rows]
        return [a for a in agreements if status is None or a.status is status]

    @strawberry.field(description="License keys, latest first.")
    async def license_keys(
        self, info: Info, status: LicenseKeyStatus | None = None
    ) -> list[LicenseKey]:
        rows = await info.context.loaders.contracts_batches.license_keys_of_customer.load(
            str(self.id)
        )
        keys = [LicenseKey.from_rest(row) for row in rows]
        return [k for k in keys if status is None or k.status is status]


@strawberry.type(description="The result of an upsert by external id.")
class CustomerUpsert:
    customer: Customer
    created: bool = strawberry.field(description="True: created now; false: updated.")


@strawberry.type(description="A person at a customer who may ask for support.")
class Contact:
    id: strawberry.ID
    customer_id: strawberry.ID
    email: str
    name: str
    is_admin: bool = strawberry.field(description="A licensed administrator of the customer.")
    registered: bool = strawberry.field(description="A registered support contact.")
    active: bool
    created_at: datetime

    @classmethod
    def from_rest(cls, row: Row) -> Contact:
        return cls(
            id=_id(row["id"]),
            customer_id=_id(row["customer_id"]),
            email=row["email"],
            name=row["name"],
            is_admin=bool(row["is_admin"]),
            registered=bool(row["registered"]),
            active=bool(row["active"]),
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await load_customer(info, self.customer_id)


@strawberry.type(description="A support center and the business calendar it works by.")
class SupportCenter:
    id: strawberry.ID
    code: str
    name: str
    regions: list[str] = strawberry.field(description="The regions whose customers it serves.")
    calendar: BusinessCalendar

    @classmethod
    def from_rest(cls, row: Row) -> SupportCenter:
        return cls(
            id=_id(row["id"]),
            code=row["code"],
            name=row["name"],
            regions=list(row["regions"]),
            calendar=BusinessCalendar.from_rest(row["calendar"]),
        )


# -- plans ----------------------------------------------------------------------------------------


@strawberry.type(description="The yearly ticket quota of a plan.")
class QuotaRule:
    yearly: int = strawberry.field(description="Tickets resolved per agreement year.")
    rollover: bool = strawberry.field(description="Unused tickets move to the next year.")
    when_exhausted: WhenExhausted

    @classmethod
    def from_rest(cls, row: Row) -> QuotaRule:
        return cls(
            yearly=int(row["yearly"]),
            rollover=bool(row["rollover"]),
            when_exhausted=WhenExhausted(row["when_exhausted"]),
        )


@strawberry.type(description="What an agreement year costs, as percentages of the license price.")
class PricingRule:
    first_year_percent: Decimal
    later_years_percent: Decimal
    upgrade_percent: Decimal | None = strawberry.field(
        description="An upgrade to the next major version."
    )

    @classmethod
    def from_rest(cls, row: Row) -> PricingRule:
        return cls(
            first_year_percent=Decimal(str(row["first_year_percent"])),
            later_years_percent=Decimal(str(row["later_years_percent"])),
            upgrade_percent=_decimal(row.get("upgrade_percent")),
        )


@strawberry.type(description="A support plan: its SLA, channels, services, quota and pricing.")
class Plan:
    id: strawberry.ID
    code: str
    name: str
    description: str | None
    sla: SlaPolicy
    channels: list[Channel]
    services: list[IncludedService]
    contact_rule: ContactRule
    quota: QuotaRule | None = strawberry.field(description="Null: no ticket limit.")
    pricing: PricingRule | None
    prerequisite_plan_id: strawberry.ID | None
    active: bool = strawberry.field(description="Still offered for new agreements.")

    @classmethod
    def from_rest(cls, row: Row) -> Plan:
        quota, pricing = row.get("quota"), row.get("pricing")
        return cls(
            id=_id(row["id"]),
            code=row["code"],
            name=row["name"],
            description=row.get("description"),
            sla=SlaPolicy.from_rest(row["sla_policy"]),
            channels=[Channel(c) for c in row["channels"]],
            services=[IncludedService(s) for s in row["services"]],
            contact_rule=ContactRule(row["contact_rule"]),
            quota=QuotaRule.from_rest(quota) if quota else None,
            pricing=PricingRule.from_rest(pricing) if pricing else None,
            prerequisite_plan_id=_optional_id(row.get("prerequisite_plan_id")),
            active=bool(row["active"]),
        )

    @strawberry.field(description="A plan whose active agreement this one needs (Premium: Basic).")
    async def prerequisite(self, info: Info) -> Plan | None:
        if self.prerequisite_plan_id is None:
            return None
        return await load_plan(info, self.prerequisite_plan_id)


# -- products and lifecycles ----------------------------------------------------------------------


@strawberry.type(description="A release (minor version) of a major version.")
class Release:
    version: str
    release_state: str = strawberry.field(description="Production, Long Term Support, ...")
    released_on: date | None

    @classmethod
    def from_rest(cls, row: Row) -> Release:
        return cls(
            version=row["version"],
            release_state=row["release_state"],
            released_on=_date(row.get("released_on")),
        )


@strawberry.type(
    description=(
        "A major version's lifecycle. EOMS = max(EOS + 1 year, next major's GA + 2 years); "
        "EOL = max(EOMS + 1 year, GA + 5 years); either may be overridden with a reason."
    )
)
class MajorVersion:
    major: int
    ga: date = strawberry.field(description="General availability.")
    eos: date | None = strawberry.field(description="End of sale.")
    eoms: date | None = strawberry.field(description="End of mainstream support.")
    eol: date | None = strawberry.field(description="End of life: end of extended support.")
    phase: str = strawberry.field(
        description="At the date asked for: MAINSTREAM, EXTENDED or END_OF_LIFE."
    )
    eoms_derived: bool = strawberry.field(description="EOMS follows the rule (not overridden).")
    eol_derived: bool = strawberry.field(description="EOL follows the rule (not overridden).")
    override_reason: str | None
    release_state: str
    releases: list[Release]

    @classmethod
    def from_rest(cls, row: Row) -> MajorVersion:
        return cls(
            major=int(row["major"]),
            ga=date.fromisoformat(row["ga"]),
            eos=_date(row.get("eos")),
            eoms=_date(row.get("eoms")),
            eol=_date(row.get("eol")),
            phase=row["phase"],
            eoms_derived=bool(row["eoms_derived"]),
            eol_derived=bool(row["eol_derived"]),
            override_reason=row.get("override_reason"),
            release_state=row["release_state"],
            releases=[Release.from_rest(r) for r in row.get("releases") or ()],
        )

    @strawberry.field(description="Supported at that date: in mainstream or extended support.")
    def supported(self) -> bool:
        return self.phase in SUPPORTED_PHASES

    @strawberry.field(
        description="Only vulnerabilities and critical bugs are handled (extended support)."
    )
    def limited_support(self) -> bool:
        return self.phase == "EXTENDED"


@strawberry.type(description="A release still supported at a date.")
class SupportedVersion:
    version: str
    major: int
    phase: str
    release_state: str

    @classmethod
    def from_rest(cls, row: Row) -> SupportedVersion:
        return cls(
            version=row["version"],
            major=int(row["major"]),
            phase=row["phase"],
            release_state=row["release_state"],
        )


def lifecycle_path(product_id: object, at: date | None) -> str:
    return with_query(f"/v1/products/{product_id}/lifecycle", at=at.isoformat() if at else None)


def supported_versions_path(product_id: object, at: date | None) -> str:
    return with_query(
        f"/v1/products/{product_id}/supported-versions", at=at.isoformat() if at else None
    )


@strawberry.type(description="A product the vendor supports.")
class Product:
    id: strawberry.ID
    code: str
    name: str
    description: str | None

    @classmethod
    def from_rest(cls, row: Row) -> Product:
        return cls(
            id=_id(row["id"]),
            code=row["code"],
            name=row["name"],
            description=row.get("description"),
        )

    @strawberry.field(description="Major versions, oldest first, with phases at `at` (today).")
    async def lifecycle(self, info: Info, at: date | None = None) -> list[MajorVersion]:
        rows = await info.context.loaders.contracts.load(lifecycle_path(self.id, at))
        return [MajorVersion.from_rest(row) for row in rows]

    @strawberry.field(description="Releases in mainstream or extended support at `at` (today).")
    async def supported_versions(
        self, info: Info, at: date | None = None
    ) -> list[SupportedVersion]:
        rows = await info.context.loaders.contracts.load(supported_versions_path(self.id, at))
        return [SupportedVersion.from_rest(row) for row in rows]


# -- agreements and quotas ------------------------------------------------------------------------


@strawberry.type(description="An agreement year's ticket quota, derived from the ledger.")
class QuotaSummary:
    agreement_id: strawberry.ID
    yearly: int | None
    granted: int = strawberry.field(description="Grant, rollover in and purchases.")
    consumed: int = strawberry.field(description="Consumed, net of reversals.")
    remaining: int
    when_exhausted: WhenExhausted
    rollover: bool

    @classmethod
    def from_rest(cls, row: Row) -> QuotaSummary:
        return cls(
            agreement_id=_id(row["agreement_id"]),
            yearly=row.get("yearly"),
            granted=int(row["granted"]),
            consumed=int(row["consumed"]),
            remaining=int(row["remaining"]),
            when_exhausted=WhenExhausted(row["when_exhausted"]),
            rollover=bool(row["rollover"]),
        )


@strawberry.type(description="One entry of the append-only quota ledger.")
class QuotaEntry:
    id: strawberry.ID
    kind: QuotaEntryKind
    amount: int = strawberry.field(description="Tickets added (positive) or taken (negative).")
    ticket_id: strawberry.ID | None
    note: str | None
    created_by: str | None
    created_at: datetime

    @classmethod
    def from_rest(cls, row: Row) -> QuotaEntry:
        return cls(
            id=_id(row["id"]),
            kind=QuotaEntryKind(row["kind"]),
            amount=int(row["amount"]),
            ticket_id=_optional_id(row.get("ticket_id")),
            note=row.get("note"),
            created_by=row.get("created_by"),
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    @strawberry.field(
        description="The case this entry is for; null when none or the caller may not see it."
    )
    async def ticket(self, info: Info) -> LinkedTicket | None:
        from gateway.graphql.tickets.types import linked_ticket

        return await linked_ticket(info, self.ticket_id)


@strawberry.type(description="A customer on a plan for one agreement year.")
class Agreement:
    id: strawberry.ID
    customer_id: strawberry.ID
    plan_id: strawberry.ID
    plan_name: str
    year: int = strawberry.field(description="1 for the first year, 2 after the first renewal...")
    anchor_date: date = strawberry.field(description="The first year's commencement.")
    starts_on: date
    ends_on: date = strawberry.field(description="The last day covered.")
    term_months: int
    status: AgreementStatus = strawberry.field(
        description="Effective today: an active agreement past its end is EXPIRED."
    )
    stored_status: AgreementStatus
    license_price: Decimal
    currency: str
    price: Decimal | None = strawberry.field(
        description="This year's price under the plan's pricing rule."
    )
    upgrade_price: Decimal | None
    product_ids: list[strawberry.ID]
    previous_agreement_id: strawberry.ID | None
    renewed_by_id: strawberry.ID | None = strawberry.field(
        description="The next year's agreement, once renewed."
    )
    quota_remaining: int | None = strawberry.field(
        description="Tickets left this year; null when the plan has no quota."
    )

    @classmethod
    def from_rest(cls, row: Row) -> Agreement:
        return cls(
            id=_id(row["id"]),
            customer_id=_id(row["customer_id"]),
            plan_id=_id(row["plan_id"]),
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
            price=_decimal(row.get("price")),
            upgrade_price=_decimal(row.get("upgrade_price")),
            product_ids=[_id(p) for p in row["product_ids"]],
            previous_agreement_id=_optional_id(row.get("previous_agreement_id")),
            renewed_by_id=_optional_id(row.get("renewed_by_id")),
            quota_remaining=row.get("quota_remaining"),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await load_customer(info, self.customer_id)

    @strawberry.field
    async def plan(self, info: Info) -> Plan:
        return await load_plan(info, self.plan_id)

    @strawberry.field(description="The products the agreement covers.")
    async def products(self, info: Info) -> list[Product]:
        rows = await product_rows(info)
        return [Product.from_rest(rows[p]) for p in self.product_ids if p in rows]

    @strawberry.field(
        description=(
            "This year's quota from the ledger; null when the plan has no quota. One request "
            "per agreement: in long lists, `quotaRemaining` costs nothing."
        )
    )
    async def quota(self, info: Info) -> QuotaSummary | None:
        plan = (await plan_rows(info)).get(str(self.plan_id))
        if plan is not None and plan.get("quota") is None:
            return None
        row = await info.context.loaders.contracts.load(f"/v1/agreements/{self.id}/quota")
        return QuotaSummary.from_rest(row)

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
    id: strawberry.ID
    key: str = strawberry.field(
        description="key/{base64url(payload)}.{base64url(Ed25519 signature)} (API.md)."
    )
    customer_id: strawberry.ID
    product_id: strawberry.ID
    major_version: int
    agreement_id: strawberry.ID | None = strawberry.field(
        description="The key expires with this agreement."
    )
    status: LicenseKeyStatus
    issued_at: datetime
    expires_at: datetime | None
    replaces_id: strawberry.ID | None = strawberry.field(description="The key this one reissued.")
    request_ticket_id: strawberry.ID | None = strawberry.field(
        description="The key request ticket this fulfilled."
    )
    status_reason: str | None

    @classmethod
    def from_rest(cls, row: Row) -> LicenseKey:
        return cls(
            id=_id(row["id"]),
            key=row["key"],
            customer_id=_id(row["customer_id"]),
            product_id=_id(row["product_id"]),
            major_version=int(row["major_version"]),
            agreement_id=_optional_id(row.get("agreement_id")),
            status=LicenseKeyStatus(row["status"]),
            issued_at=datetime.fromisoformat(row["issued_at"]),
            expires_at=_datetime(row.get("expires_at")),
            replaces_id=_optional_id(row.get("replaces_id")),
            request_ticket_id=_optional_id(row.get("request_ticket_id")),
            status_reason=row.get("status_reason"),
        )

    @strawberry.field(
        description="The key request case this fulfilled; null when none or not visible."
    )
    async def request_ticket(self, info: Info) -> LinkedTicket | None:
        from gateway.graphql.tickets.types import linked_ticket

        return await linked_ticket(info, self.request_ticket_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await load_customer(info, self.customer_id)

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return await load_product(info, self.product_id)


@strawberry.type(description="What a license key is good for (API.md: always an answer).")
class LicenseKeyValidation:
    valid: bool
    code: LicenseKeyValidationCode
    license_id: strawberry.ID | None
    customer_id: strawberry.ID | None
    product_id: strawberry.ID | None
    major_version: int | None
    expires_at: datetime | None

    @classmethod
    def from_rest(cls, row: Row) -> LicenseKeyValidation:
        return cls(
            valid=bool(row["valid"]),
            code=LicenseKeyValidationCode(row["code"]),
            license_id=_optional_id(row.get("license_id")),
            customer_id=_optional_id(row.get("customer_id")),
            product_id=_optional_id(row.get("product_id")),
            major_version=row.get("major_version"),
            expires_at=_datetime(row.get("expires_at")),
        )


# -- entitlement and billing ----------------------------------------------------------------------


@strawberry.type(description="May this contact open a case on this product version, on what terms.")
class Entitlement:
    entitled: bool
    reasons: list[str] = strawberry.field(
        description=(
            "NO_ACTIVE_AGREEMENT, CONTACT_NOT_REGISTERED, CONTACT_NOT_ADMIN, CUSTOMER_SUSPENDED, "
            "VERSION_UNKNOWN, VERSION_END_OF_LIFE, EXTENDED_SUPPORT_LIMITED, QUOTA_EXHAUSTED, "
            "PLAN_PREREQUISITE_MISSING."
        )
    )
    phase: str | None = strawberry.field(description="MAINSTREAM, EXTENDED or END_OF_LIFE.")
    scope: str | None = strawberry.field(
        description="FULL, or SECURITY_AND_CRITICAL in extended support."
    )
    quota_remaining: int | None
    sla: SlaPolicy | None = strawberry.field(
        description="The SLA the case will run under, its calendar resolved for the customer."
    )
    billable: bool = strawberry.field(description="Entitled as an extra, billable ticket.")
    version: str
    major_version: int | None
    checked_at: date
    customer_language: Language
    support_center: str | None = strawberry.field(
        description="The code of the center serving the customer."
    )
    contact_id: strawberry.ID
    customer_id: strawberry.ID
    product_id: strawberry.ID
    agreement_id: strawberry.ID | None = strawberry.field(
        description="The agreement the case would fall under."
    )
    plan_id: strawberry.ID | None
    plan_code: str | None
    plan_name: str | None

    @classmethod
    def from_rest(cls, row: Row) -> Entitlement:
        policy = row.get("sla_policy")
        return cls(
            entitled=bool(row["entitled"]),
            reasons=list(row["reasons"]),
            phase=row.get("phase"),
            scope=row.get("scope"),
            quota_remaining=row.get("quota_remaining"),
            sla=SlaPolicy.from_rest(policy) if policy else None,
            billable=bool(row["billable"]),
            version=row["version"],
            major_version=row.get("major_version"),
            checked_at=date.fromisoformat(row["checked_at"]),
            customer_language=Language(row["customer_language"]),
            support_center=row.get("support_center"),
            contact_id=_id(row["contact_id"]),
            customer_id=_id(row["customer_id"]),
            product_id=_id(row["product_id"]),
            agreement_id=_optional_id(row.get("agreement_id")),
            plan_id=_optional_id(row.get("plan_id")),
            plan_code=row.get("plan_code"),
            plan_name=row.get("plan_name"),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await load_customer(info, self.customer_id)

    @strawberry.field
    async def plan(self, info: Info) -> Plan | None:
        return None if self.plan_id is None else await load_plan(info, self.plan_id)

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return await load_product(info, self.product_id)


@strawberry.type(description="Something a customer pays for beyond its agreement.")
class BillableItem:
    id: strawberry.ID
    customer_id: strawberry.ID
    agreement_id: strawberry.ID | None
    kind: BillableKind
    quantity: Decimal = strawberry.field(
        description="In `unit`s; other support in hours, per started half hour."
    )
    unit: str = strawberry.field(description="ticket, request, call, visit, hour or upgrade.")
    minutes_worked: int | None
    ticket_id: strawberry.ID | None
    description: str | None
    occurred_at: datetime

    @classmethod
    def from_rest(cls, row: Row) -> BillableItem:
        return cls(
            id=_id(row["id"]),
            customer_id=_id(row["customer_id"]),
            agreement_id=_optional_id(row.get("agreement_id")),
            kind=BillableKind(row["kind"]),
            quantity=Decimal(str(row["quantity"])),
            unit=row["unit"],
            minutes_worked=row.get("minutes_worked"),
            ticket_id=_optional_id(row.get("ticket_id")),
            description=row.get("description"),
            occurred_at=datetime.fromisoformat(row["occurred_at"]),
        )

    @strawberry.field(description="The case billed; null when none or the caller may not see it.")
    async def ticket(self, info: Info) -> LinkedTicket | None:
        from gateway.graphql.tickets.types import linked_ticket

        return await linked_ticket(info, self.ticket_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await load_customer(info, self.customer_id)
