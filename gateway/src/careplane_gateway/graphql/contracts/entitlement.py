"""Entitlement: may a contact open a case on a product version, and on what terms."""

from __future__ import annotations

from datetime import date

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.enums import Language
from careplane_gateway.graphql.contracts.plans import Plan
from careplane_gateway.graphql.contracts.products import Product
from careplane_gateway.graphql.contracts.types import Customer
from careplane_gateway.graphql.convert import Row, optional_id, to_id
from careplane_gateway.graphql.sla_policy import SlaPolicy


@strawberry.type(description="May this contact open a case on this product version, on what terms.")
class Entitlement:
    entitled: bool = strawberry.field(description="Whether the contact may open the case.")
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
    quota_remaining: int | None = strawberry.field(
        description="Tickets left this agreement year; null when the plan has no quota."
    )
    sla: SlaPolicy | None = strawberry.field(
        description="The SLA the case will run under, its calendar resolved for the customer."
    )
    billable: bool = strawberry.field(description="Entitled as an extra, billable ticket.")
    version: str = strawberry.field(description="The version asked about.")
    major_version: int | None = strawberry.field(description="The major version of `version`.")
    checked_at: date = strawberry.field(description="When contracts answered.")
    customer_language: Language = strawberry.field(description="The customer's language.")
    support_center: str | None = strawberry.field(
        description="The code of the center serving the customer."
    )
    contact_id: strawberry.ID = strawberry.field(description="The contact asked about.")
    customer_id: strawberry.ID = strawberry.field(description="The contact's customer.")
    product_id: strawberry.ID = strawberry.field(description="The product asked about.")
    agreement_id: strawberry.ID | None = strawberry.field(
        description="The agreement the case would fall under."
    )
    plan_id: strawberry.ID | None = strawberry.field(
        description="The plan that applies; null when not entitled."
    )
    plan_code: str | None = strawberry.field(
        description="The code of the plan that applies; null when not entitled."
    )
    plan_name: str | None = strawberry.field(
        description="The name of the plan that applies; null when not entitled."
    )

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
            contact_id=to_id(row["contact_id"]),
            customer_id=to_id(row["customer_id"]),
            product_id=to_id(row["product_id"]),
            agreement_id=optional_id(row.get("agreement_id")),
            plan_id=optional_id(row.get("plan_id")),
            plan_code=row.get("plan_code"),
            plan_name=row.get("plan_name"),
        )

    @strawberry.field(description="The contact's customer.")
    async def customer(self, info: Info) -> Customer:
        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The plan that applies; null when not entitled.")
    async def plan(self, info: Info) -> Plan | None:
        return None if self.plan_id is None else await Plan.load(info, self.plan_id)

    @strawberry.field(description="The product asked about.")
    async def product(self, info: Info) -> Product:
        return await Product.load(info, self.product_id)
