"""Input types of the contracts mutations, each with the REST body it becomes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from gateway.graphql.arguments import given, iso, optional_uuid_arg, uuid_arg
from gateway.graphql.contracts.enums import BillableKind, CustomerStanding, Language


@strawberry.input(description="A customer as your CRM knows it: the whole record, every time.")
class CustomerInput:
    name: str
    region: str = strawberry.field(description="Picks the support center, e.g. AMERICAS, EMEA.")
    timezone: str = strawberry.field(description="IANA time zone, e.g. Europe/Amsterdam.")
    language: Language = Language.EN
    standing: CustomerStanding = CustomerStanding.GOOD
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
    email: str
    name: str
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
    customer_id: strawberry.ID
    plan_id: strawberry.ID
    commencement: date = strawberry.field(description="The first day covered.")
    license_price: Decimal
    product_ids: list[strawberry.ID] = strawberry.field(description="The products covered.")
    term_months: int = 12
    currency: str = "EUR"

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
    ga: date | None = UNSET
    eos: date | None = UNSET
    eoms_override: date | None = UNSET
    eol_override: date | None = UNSET
    override_reason: str | None = strawberry.field(
        default=UNSET, description="Required while EOMS or EOL is overridden."
    )
    release_state: str | None = UNSET
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
    major: int
    ga: date
    eos: date | None = None
    eoms_override: date | None = None
    eol_override: date | None = None
    override_reason: str | None = None
    release_state: str = "Production"
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
    customer_id: strawberry.ID
    kind: BillableKind
    occurred_at: datetime
    agreement_id: strawberry.ID | None = None
    ticket_id: strawberry.ID | None = None
    minutes: int | None = strawberry.field(
        default=None, description="Other support: billed per started half hour."
    )
    quantity: Decimal | None = strawberry.field(default=None, description="Default 1.")
    description: str | None = None
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
    name: str | None = UNSET
    region: str | None = UNSET
    timezone: str | None = UNSET
    language: Language | None = UNSET
    standing: CustomerStanding | None = strawberry.field(
        default=UNSET, description="SUSPENDED stops support for the customer."
    )
    support_center_id: strawberry.ID | None = UNSET
    external_id: str | None = UNSET

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
    name: str | None = UNSET
    is_admin: bool | None = UNSET
    registered: bool | None = UNSET
    active: bool | None = UNSET
    password: str | None = UNSET

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
    name: str
    description: str | None = None

    def to_rest(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "description": self.description}


@strawberry.input(description="A release (minor version) of a major version.")
class ReleaseInput:
    version: str = strawberry.field(description="e.g. 3.2; its major must be the version's.")
    release_state: str = "Production"
    released_on: date | None = None

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
    code: str
    name: str
    sla_policy: JSON
    description: str | None = None
    channels: list[str] = strawberry.field(default_factory=list)
    services: list[str] = strawberry.field(default_factory=list)
    contact_rule: str = "unlimited"
    quota: JSON | None = None
    pricing: JSON | None = None
    prerequisite_plan_id: strawberry.ID | None = None

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
    name: str | None = UNSET
    description: str | None = UNSET
    sla_policy: JSON | None = UNSET
    channels: list[str] | None = UNSET
    services: list[str] | None = UNSET
    contact_rule: str | None = UNSET
    quota: JSON | None = UNSET
    pricing: JSON | None = UNSET
    active: bool | None = UNSET

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
    code: str
    name: str
    calendar: JSON = strawberry.field(description="A business calendar (contracts' CalendarSpec).")
    regions: list[str] = strawberry.field(default_factory=list)

    def to_rest(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "calendar": self.calendar,
            "regions": self.regions,
        }
