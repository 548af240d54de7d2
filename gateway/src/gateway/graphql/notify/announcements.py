"""What notify announces to customers: End of Sales, Mainstream Support and Life milestones,
and maintenance windows, each with the proof of whom it was sent to."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from gateway.graphql.context import Info
from gateway.graphql.contracts.types import Customer
from gateway.graphql.convert import Row, optional_date, optional_datetime, optional_id, to_id
from gateway.graphql.notify.enums import (
    AnnouncementStatus,
    MaintenanceKind,
    MaintenanceStatus,
    Milestone,
)

# -- announcements ----------------------------------------------------------------------------


@strawberry.type(description="Proof for one customer: whom notify wrote to, and when.")
class AnnouncementRecipient:
    customer_id: strawberry.ID
    customer_name: str
    language: str
    to_addresses: list[str] = strawberry.field(
        description="Empty: the customer had no contact to write to."
    )
    delivery_id: strawberry.ID | None = strawberry.field(
        description="The mail's delivery; its attempts are on `delivery(id)`."
    )
    delivery_status: str | None
    sent_at: datetime | None = strawberry.field(description="When our SMTP server accepted it.")
    message_id: str | None
    subject: str | None

    @classmethod
    def from_rest(cls, row: Row) -> AnnouncementRecipient:
        return cls(
            customer_id=to_id(row["customer_id"]),
            customer_name=row["customer_name"],
            language=row["language"],
            to_addresses=list(row["to_addresses"]),
            delivery_id=optional_id(row.get("delivery_id")),
            delivery_status=row.get("delivery_status"),
            sent_at=optional_datetime(row.get("sent_at")),
            message_id=row.get("message_id"),
            subject=row.get("subject"),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)


@strawberry.type(
    description=(
        "An End of Sales, Mainstream Support or Life announcement, planned six months ahead "
        "of the date and re-planned when the date moves."
    )
)
class Announcement:
    id: strawberry.ID
    product_id: strawberry.ID
    product_name: str
    major: int
    milestone: Milestone
    milestone_date: date
    previous_date: date | None = strawberry.field(
        description="The date this one replaces, if it moved."
    )
    announce_at: datetime
    status: AnnouncementStatus
    created_at: datetime
    sent_at: datetime | None = strawberry.field(
        description="When the mails to every customer were queued."
    )
    attempts: int
    last_error: str | None
    customers: int = strawberry.field(
        description="Customers it was (or, for a customer, it was) sent to."
    )
    recipients_: strawberry.Private[list[AnnouncementRecipient] | None]

    @classmethod
    def from_rest(cls, row: Row) -> Announcement:
        recipients = row.get("recipients")
        return cls(
            id=to_id(row["id"]),
            product_id=to_id(row["product_id"]),
            product_name=row["product_name"],
            major=int(row["major"]),
            milestone=Milestone(row["milestone"]),
            milestone_date=date.fromisoformat(row["milestone_date"]),
            previous_date=optional_date(row.get("previous_date") or None),
            announce_at=datetime.fromisoformat(row["announce_at"]),
            status=AnnouncementStatus(row["status"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            sent_at=optional_datetime(row.get("sent_at")),
            attempts=int(row["attempts"]),
            last_error=row.get("last_error"),
            customers=int(row["customers"]),
            recipients_=(
                None
                if recipients is None
                else [AnnouncementRecipient.from_rest(r) for r in recipients]
            ),
        )

    @strawberry.field(
        description=(
            "Per customer, the proof of sending. Only on `announcement(id)`; null in lists."
        )
    )
    def recipients(self) -> list[AnnouncementRecipient] | None:
        return self.recipients_


# -- maintenance windows ----------------------------------------------------------------------


@strawberry.type(
    description="One customer told of a window: the notice's and the cancellation's mail."
)
class MaintenanceRecipient:
    customer_id: strawberry.ID
    customer_name: str
    language: str
    timezone: str
    to_addresses: list[str] = strawberry.field(
        description="Empty: the customer had no contact to write to."
    )
    delivery_id: strawberry.ID | None
    delivery_status: str | None
    sent_at: datetime | None
    cancel_delivery_id: strawberry.ID | None
    cancel_delivery_status: str | None
    cancel_sent_at: datetime | None

    @classmethod
    def from_rest(cls, row: Row) -> MaintenanceRecipient:
        return cls(
            customer_id=to_id(row["customer_id"]),
            customer_name=row["customer_name"],
            language=row["language"],
            timezone=row["timezone"],
            to_addresses=list(row["to_addresses"]),
            delivery_id=optional_id(row.get("delivery_id")),
            delivery_status=row.get("delivery_status"),
            sent_at=optional_datetime(row.get("sent_at")),
            cancel_delivery_id=optional_id(row.get("cancel_delivery_id")),
            cancel_delivery_status=row.get("cancel_delivery_status"),
            cancel_sent_at=optional_datetime(row.get("cancel_sent_at")),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)


@strawberry.type(
    description=(
        "A maintenance window, announced to every affected customer's contacts with an "
        "`.ics` calendar file."
    )
)
class MaintenanceWindow:
    id: strawberry.ID
    uid: str = strawberry.field(description="The iCalendar UID, the same in every mail.")
    sequence: int = strawberry.field(description="The iCalendar SEQUENCE of the latest mail.")
    kind: MaintenanceKind
    status: MaintenanceStatus
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    product_id: strawberry.ID | None
    customer_ids: list[strawberry.ID] | None
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    customers: int = strawberry.field(description="Customers told (for a customer: itself).")
    recipients_: strawberry.Private[list[MaintenanceRecipient] | None]

    @classmethod
    def from_rest(cls, row: Row) -> MaintenanceWindow:
        recipients = row.get("recipients")
        customer_ids = row.get("customer_ids")
        return cls(
            id=to_id(row["id"]),
            uid=row["uid"],
            sequence=int(row["sequence"]),
            kind=MaintenanceKind(row["kind"]),
            status=MaintenanceStatus(row["status"]),
            title=row["title"],
            description=row["description"],
            starts_at=datetime.fromisoformat(row["starts_at"]),
            ends_at=datetime.fromisoformat(row["ends_at"]),
            product_id=optional_id(row.get("product_id")),
            customer_ids=None if customer_ids is None else [to_id(c) for c in customer_ids],
            created_by=row["created_by"],
            created_at=datetime.fromisoformat(row["created_at"]),
            cancelled_at=optional_datetime(row.get("cancelled_at")),
            cancelled_by=row.get("cancelled_by"),
            cancel_reason=row.get("cancel_reason"),
            customers=int(row["customers"]),
            recipients_=(
                None
                if recipients is None
                else [MaintenanceRecipient.from_rest(r) for r in recipients]
            ),
        )

    @strawberry.field(
        description=(
            "Each customer told, with the notice's and the cancellation's delivery. Only on "
            "`maintenanceWindow(id)` and the mutations' answers; null in lists."
        )
    )
    def recipients(self) -> list[MaintenanceRecipient] | None:
        return self.recipients_
