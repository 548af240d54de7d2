"""Inputs of notify's REST-only features, each turned into the REST body it stands for."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import strawberry

from gateway.graphql.arguments import optional_uuid_arg, uuid_arg
from gateway.graphql.notify.extra_types import MaintenanceKind


@strawberry.input(description="A maintenance window to announce.")
class MaintenanceWindowInput:
    title: str
    description: str
    starts_at: datetime = strawberry.field(description="With a timezone offset.")
    ends_at: datetime = strawberry.field(description="After `startsAt`.")
    kind: MaintenanceKind = MaintenanceKind.SCHEDULED
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product affected; its customers are told."
    )
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=(
            "Exactly these customers; without it every customer with an active agreement "
            "(on `productId`, when given)."
        ),
    )

    def to_rest(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "kind": self.kind.value,
        }
        if self.product_id is not None:
            body["product_id"] = optional_uuid_arg(self.product_id, "input.productId")
        if self.customer_ids is not None:
            body["customer_ids"] = [
                uuid_arg(value, "input.customerIds") for value in self.customer_ids
            ]
        return body


@strawberry.input(description="A contact's mail preferences: what it receives no mail for.")
class ContactPreferencesInput:
    opted_out: list[str] = strawberry.field(
        description=(
            "The categories to receive no mail for; the rest are received. Essential notices "
            "cannot be listed (CATEGORY_ESSENTIAL)."
        )
    )

    def to_rest(self) -> dict[str, Any]:
        return {"opted_out": list(self.opted_out)}


@strawberry.input(description="Quiet hours and the digest interval for non-urgent staff mail.")
class StaffDigestSettingsInput:
    timezone: str = strawberry.field(description='An IANA timezone, e.g. "Europe/Amsterdam".')
    quiet_start: time | None = strawberry.field(
        default=None, description="Give both quiet times, or neither."
    )
    quiet_end: time | None = None
    digest_minutes: int = strawberry.field(
        default=0,
        description=(
            "Collect non-urgent staff mail and send it every this many minutes (counted from "
            "local midnight); 0 sends it at once outside quiet hours."
        ),
    )

    def to_rest(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "quiet_start": self.quiet_start.isoformat() if self.quiet_start else None,
            "quiet_end": self.quiet_end.isoformat() if self.quiet_end else None,
            "digest_minutes": self.digest_minutes,
        }
