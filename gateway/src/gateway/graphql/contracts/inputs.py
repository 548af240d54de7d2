"""Input types of the contracts mutations, each with the REST body it becomes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from gateway.graphql.arguments import given, optional_uuid_arg, uuid_arg
from gateway.graphql.contracts.enums import BillableKind, CustomerStanding, Language


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


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
            "eos": _iso(self.eos),
            "eoms_override": _iso(self.eoms_override),
            "eol_override": _iso(self.eol_override),
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
