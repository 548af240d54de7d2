"""Input types of the contracts mutations, each with the REST body it becomes.

Longer than our usual module on purpose: it is declarations only (one input type per
mutation, each field described for the schema), kept together so the GraphQL inputs of
contracts can be read against its REST bodies in one file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from careplane_gateway.graphql.arguments import given, iso, optional_uuid_arg, uuid_arg
from careplane_gateway.graphql.contracts.enums import BillableKind, CustomerStanding, Language


@strawberry.input(description="A customer as your CRM knows it: the whole record, every time.")
class CustomerInput:
    name: str = strawberry.field(description="The organization's name.")
    region: str = strawberry.field(description="Picks the support center, e.g. AMERICAS, EMEA.")
    timezone: str = strawberry.field(description="IANA time zone, e.g. Europe/Amsterdam.")
    language: Language = strawberry.field(
        default=Language.EN, description="The language mail to the customer is written in."
    )
    standing: CustomerStanding = strawberry.field(
        default=CustomerStanding.GOOD, description="Whether the customer gets support."
    )
    support_center_id: strawberry.ID | None = strawberry.field(
        default=None, description="Overrides the center the region picks."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "timezone": self.timezone,
            "language": self.language.value,
            "standing": self.standing.value,
            "support_center_id": optional_uuid_arg(self.support_center_id, "supportCenterId"),
        }


@strawberry.input(description="A support contact to register.")
class ContactInput:
    email: str = strawberry.field(description="The contact's email: the sign-in name.")
    name: str = strawberry.field(description="The contact's full name.")
    is_admin: bool = strawberry.field(
        default=False, description="A licensed administrator of the customer."
    )
    registered: bool = strawberry.field(default=True, description="A registered support contact.")
    password: str | None = strawberry.field(
        default=None, description="Lets the contact sign in (at least 8 characters)."
    )

    def to_rest(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "email": self.email,
            "name": self.name,
            "is_admin": self.is_admin,
            "registered": self.registered,
        }
        if self.password is not None:
            body["password"] = self.password
        return body


@strawberry.input(description="A customer's first agreement year on a plan.")
class CreateAgreementInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    commencement: date = strawberry.field(description="The first day covered.")
    license_price: Decimal = strawberry.field(
        description="The license price the plan's pricing percentages apply to."
    )
    product_ids: list[strawberry.ID] = strawberry.field(description="The products covered.")
    term_months: int = strawberry.field(
        default=12, description="Length of one agreement year in months."
    )
    currency: str = strawberry.field(default="EUR", description="ISO 4217 currency code, e.g. EUR.")

    def to_rest(self) -> dict[str, Any]:
        return {
            "customer_id": uuid_arg(self.customer_id, "customerId"),
            "plan_id": uuid_arg(self.plan_id, "planId"),
            "commencement": self.commencement.isoformat(),
            "term_months": self.term_months,
            "license_price": str(self.license_price),
            "currency": self.currency,
            "product_ids": [uuid_arg(p, "productIds") for p in self.product_ids],
        }


@strawberry.input(
    description=(
        "A major version's milestones. Only the fields given change; null clears an override. "
        "EOS, EOMS or EOL less than 6 months ahead needs `forceReason` "
        "(MILESTONE_NOTICE_TOO_SHORT otherwise)."
    )
)
class MilestonesInput:
    ga: date | None = strawberry.field(default=UNSET, description="General availability date.")
    eos: date | None = strawberry.field(
        default=UNSET, description="End of sale date; null clears it."
    )
    eoms_override: date | None = strawberry.field(
        default=UNSET,
        description="An end of mainstream support other than the rule's; null follows the rule.",
    )
    eol_override: date | None = strawberry.field(
        default=UNSET, description="An end of life other than the rule's; null follows the rule."
    )
    override_reason: str | None = strawberry.field(
        default=UNSET, description="Required while EOMS or EOL is overridden."
    )
    release_state: str | None = strawberry.field(
        default=UNSET, description="The release state, e.g. Production or Long Term Support."
    )
    force_reason: str | None = strawberry.field(
        default=UNSET, description="Why customers get less than 6 months' notice."
    )

    def to_rest(self) -> dict[str, Any]:
        fields = given(
            {
                "ga": self.ga,
                "eos": self.eos,
                "eoms_override": self.eoms_override,
                "eol_override": self.eol_override,
                "override_reason": self.override_reason,
                "release_state": self.release_state,
                "force_reason": self.force_reason,
            }
        )
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in fields.items()
        }


@strawberry.input(description="A new major version of a product.")
class MajorVersionInput:
    major: int = strawberry.field(description="The major version number.")
    ga: date = strawberry.field(description="General availability date.")
    eos: date | None = strawberry.field(
        default=None, description="End of sale date; null when not set yet."
    )
    eoms_override: date | None = strawberry.field(
        default=None,
        description="An end of mainstream support other than the rule's; needs `overrideReason`.",
    )
    eol_override: date | None = strawberry.field(
        default=None, description="An end of life other than the rule's; needs `overrideReason`."
    )
    override_reason: str | None = strawberry.field(
        default=None, description="Why a milestone is overridden."
    )
    release_state: str = strawberry.field(
        default="Production", description="The release state, e.g. Production or Long Term Support."
    )
    force_reason: str | None = strawberry.field(
        default=None,
        description="Needed when the new GA moves an earlier version's EOMS within 6 months.",
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "major": self.major,
            "ga": self.ga.isoformat(),
            "eos": iso(self.eos),
            "eoms_override": iso(self.eoms_override),
            "eol_override": iso(self.eol_override),
            "override_reason": self.override_reason,
            "release_state": self.release_state,
            "force_reason": self.force_reason,
        }


@strawberry.input(description="Something a customer pays for beyond its agreement.")
class RecordBillableItemInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer to invoice.")
    kind: BillableKind = strawberry.field(description="What was delivered.")
    occurred_at: datetime = strawberry.field(description="When the work was done.")
    agreement_id: strawberry.ID | None = strawberry.field(
        default=None, description="The agreement it falls under."
    )
    ticket_id: strawberry.ID | None = strawberry.field(
        default=None, description="The case it came from."
    )
    minutes: int | None = strawberry.field(
        default=None, description="Other support: billed per started half hour."
    )
    quantity: Decimal | None = strawberry.field(default=None, description="Default 1.")
    description: str | None = strawberry.field(
        default=None, description="Free text for the invoice."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key twice records the item once."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "customer_id": uuid_arg(self.customer_id, "customerId"),
            "kind": self.kind.value,
            "occurred_at": self.occurred_at.isoformat(),
            "agreement_id": optional_uuid_arg(self.agreement_id, "agreementId"),
            "ticket_id": optional_uuid_arg(self.ticket_id, "ticketId"),
            "minutes": self.minutes,
            "quantity": None if self.quantity is None else str(self.quantity),
            "description": self.description,
            "idempotency_key": self.idempotency_key,
        }


@strawberry.input(description="Changes to a customer: only the fields given change.")
class CustomerUpdateInput:
    name: str | None = strawberry.field(default=UNSET, description="A new name; null leaves it.")
    region: str | None = strawberry.field(
        default=UNSET, description="A new region, e.g. EMEA; null leaves it."
    )
    timezone: str | None = strawberry.field(
        default=UNSET, description="A new IANA time zone; null leaves it."
    )
    language: Language | None = strawberry.field(
        default=UNSET, description="A new language; null leaves it."
    )
    standing: CustomerStanding | None = strawberry.field(
        default=UNSET, description="SUSPENDED stops support for the customer."
    )
    support_center_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A support center overriding the region's; null leaves it."
    )
    external_id: str | None = strawberry.field(
        default=UNSET, description="The customer's ID in a CRM; null leaves it."
    )

    def to_rest(self) -> dict[str, Any]:
        fields = given(
            {
                "name": self.name,
                "region": self.region,
                "timezone": self.timezone,
                "language": self.language,
                "standing": self.standing,
                "support_center_id": self.support_center_id,
                "external_id": self.external_id,
            }
        )
        if fields.get("support_center_id") is not None:
            fields["support_center_id"] = uuid_arg(fields["support_center_id"], "supportCenterId")
        for name in ("language", "standing"):
            if fields.get(name) is not None:
                fields[name] = fields[name].value
        return fields


@strawberry.input(description="Changes to a contact: only the fields given change.")
class ContactUpdateInput:
    name: str | None = strawberry.field(
        default=UNSET, description="A new full name; null leaves it."
    )
    is_admin: bool | None = strawberry.field(
        default=UNSET,
        description="Make the contact an administrator of its customer, or not; null leaves it.",
    )
    registered: bool | None = strawberry.field(
        default=UNSET, description="A registered support contact, or not; null leaves it."
    )
    active: bool | None = strawberry.field(
        default=UNSET, description="False deactivates the contact; null leaves it."
    )
    password: str | None = strawberry.field(
        default=UNSET, description="A new password; null leaves it."
    )

    def to_rest(self) -> dict[str, Any]:
        return given(
            {
                "name": self.name,
                "is_admin": self.is_admin,
                "registered": self.registered,
                "active": self.active,
                "password": self.password,
            }
        )


@strawberry.input(description="A product to support.")
class ProductInput:
    code: str = strawberry.field(description="Lower-case letters, digits and dashes.")
    name: str = strawberry.field(description="The product's display name.")
    description: str | None = strawberry.field(default=None, description="What the product is.")

    def to_rest(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "description": self.description}


@strawberry.input(description="A release (minor version) of a major version.")
class ReleaseInput:
    version: str = strawberry.field(description="e.g. 3.2; its major must be the version's.")
    release_state: str = strawberry.field(
        default="Production", description="The release state, e.g. Production."
    )
    released_on: date | None = strawberry.field(default=None, description="The release date.")

    def to_rest(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "release_state": self.release_state,
            "released_on": iso(self.released_on),
        }


@strawberry.input(
    description=(
        "A support plan as data. `slaPolicy`, `quota` and `pricing` take the JSON shapes of "
        "the contracts API (POST /v1/plans), validated there."
    )
)
class PlanInput:
    code: str = strawberry.field(description="A stable short code, e.g. infocare.")
    name: str = strawberry.field(description="The plan's display name.")
    sla_policy: JSON = strawberry.field(
        description=(
            "The SLA policy as the contracts service's REST body takes it "
            "(calendar, priorities, default priority, targets)."
        )
    )
    description: str | None = strawberry.field(default=None, description="What the plan offers.")
    channels: list[str] = strawberry.field(
        default_factory=list, description="Channel codes, e.g. email, phone, web."
    )
    services: list[str] = strawberry.field(
        default_factory=list, description="Included service codes, e.g. remote_diagnosis, on_site."
    )
    contact_rule: str = strawberry.field(
        default="unlimited", description="unlimited or administrators_only."
    )
    quota: JSON | None = strawberry.field(
        default=None,
        description=(
            "The ticket quota (yearly, rollover, when_exhausted, reopen_window_days); null for "
            "none."
        ),
    )
    pricing: JSON | None = strawberry.field(
        default=None,
        description="The pricing rule (percentages of the license price); null for none.",
    )
    prerequisite_plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="A plan whose active agreement this one needs."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "sla_policy": self.sla_policy,
            "channels": self.channels,
            "services": self.services,
            "contact_rule": self.contact_rule,
            "quota": self.quota,
            "pricing": self.pricing,
            "prerequisite_plan_id": optional_uuid_arg(
                self.prerequisite_plan_id, "prerequisitePlanId"
            ),
        }


@strawberry.input(description="Changes to a plan: only the fields given change.")
class PlanUpdateInput:
    name: str | None = strawberry.field(default=UNSET, description="A new name; null leaves it.")
    description: str | None = strawberry.field(
        default=UNSET, description="A new description; null leaves it."
    )
    sla_policy: JSON | None = strawberry.field(
        default=UNSET, description="A new SLA policy, as the REST body takes it; null leaves it."
    )
    channels: list[str] | None = strawberry.field(
        default=UNSET, description="New channel codes; null leaves them."
    )
    services: list[str] | None = strawberry.field(
        default=UNSET, description="New included service codes; null leaves them."
    )
    contact_rule: str | None = strawberry.field(
        default=UNSET, description="unlimited or administrators_only; null leaves it."
    )
    quota: JSON | None = strawberry.field(
        default=UNSET, description="A new ticket quota; null leaves it."
    )
    pricing: JSON | None = strawberry.field(
        default=UNSET, description="A new pricing rule; null leaves it."
    )
    active: bool | None = strawberry.field(
        default=UNSET,
        description="False stops offering the plan for new agreements; null leaves it.",
    )

    def to_rest(self) -> dict[str, Any]:
        return given(
            {
                "name": self.name,
                "description": self.description,
                "sla_policy": self.sla_policy,
                "channels": self.channels,
                "services": self.services,
                "contact_rule": self.contact_rule,
                "quota": self.quota,
                "pricing": self.pricing,
                "active": self.active,
            }
        )


@strawberry.input(description="A support center and the business calendar it works by.")
class SupportCenterInput:
    code: str = strawberry.field(description="A stable code, e.g. broomfield.")
    name: str = strawberry.field(description="The center's display name.")
    calendar: JSON = strawberry.field(description="A business calendar (contracts' CalendarSpec).")
    regions: list[str] = strawberry.field(
        default_factory=list, description="The customer regions it serves, e.g. AMERICAS."
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "calendar": self.calendar,
            "regions": self.regions,
        }
