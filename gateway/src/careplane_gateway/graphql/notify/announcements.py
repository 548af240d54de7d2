"""What notify announces to customers: End of Sales, Mainstream Support and Life milestones,
and maintenance windows, each with the proof of whom it was sent to."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.types import Customer
from careplane_gateway.graphql.convert import (
    Row,
    optional_date,
    optional_datetime,
    optional_id,
    to_id,
)
from careplane_gateway.graphql.notify.enums import (
    AnnouncementStatus,
    MaintenanceKind,
    MaintenanceStatus,
    Milestone,
)

# -- announcements ----------------------------------------------------------------------------


@strawberry.type(description="Proof for one customer: whom notify wrote to, and when.")
class AnnouncementRecipient:
    customer_id: strawberry.ID = strawberry.field(description="The customer written to.")
    customer_name: str = strawberry.field(description="The customer's name.")
    language: str = strawberry.field(description="The language the mail was written in (en, nl).")
    to_addresses: list[str] = strawberry.field(
        description="Empty: the customer had no contact to write to."
    )
    delivery_id: strawberry.ID | None = strawberry.field(
        description="The mail's delivery; its attempts are on `delivery(id)`."
    )
    delivery_status: str | None = strawberry.field(
        description="The mail delivery's status; null before it is queued."
    )
    sent_at: datetime | None = strawberry.field(description="When our SMTP server accepted it.")
    message_id: str | None = strawberry.field(
        description="The mail's Message-ID header; null until sent."
    )
    subject: str | None = strawberry.field(description="The mail's subject; null until composed.")

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

    @strawberry.field(description="The customer written to; null when the caller may not see it.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)


@strawberry.type(
    description=(
        "An End of Sales, Mainstream Support or Life announcement, planned six months ahead "
        "of the date and re-planned when the date moves."
    )
)
class Announcement:
    id: strawberry.ID = strawberry.field(description="The announcement's ID.")
    product_id: strawberry.ID = strawberry.field(
        description="The product whose lifecycle milestone is announced."
    )
    product_name: str = strawberry.field(description="The product's display name.")
    major: int = strawberry.field(description="The major version the milestone belongs to.")
    milestone: Milestone = strawberry.field(description="Which milestone: EOS, EOMS or EOL.")
    milestone_date: date = strawberry.field(description="The date the milestone takes effect.")
    previous_date: date | None = strawberry.field(
        description="The date this one replaces, if it moved."
    )
    announce_at: datetime = strawberry.field(
        description=(
            "When the mails go out: six calendar months before the milestone, or at once if "
            "that moment had passed when it was planned."
        )
    )
    status: AnnouncementStatus = strawberry.field(
        description=(
            "Where the announcement is: scheduled, sending, sent, superseded or cancelled."
        )
    )
    created_at: datetime = strawberry.field(description="When the announcement was scheduled.")
    sent_at: datetime | None = strawberry.field(
        description="When the mails to every customer were queued."
    )
    attempts: int = strawberry.field(description="Sending attempts so far.")
    last_error: str | None = strawberry.field(
        description="The last attempt's error; null when none failed."
    )
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
    customer_id: strawberry.ID = strawberry.field(description="The customer written to.")
    customer_name: str = strawberry.field(description="The customer's name.")
    language: str = strawberry.field(description="The language the mail was written in (en, nl).")
    timezone: str = strawberry.field(
        description="The customer's IANA time zone, in which the mail states the times."
    )
    to_addresses: list[str] = strawberry.field(
        description="Empty: the customer had no contact to write to."
    )
    delivery_id: strawberry.ID | None = strawberry.field(
        description="The notice mail's delivery; null before it is queued."
    )
    delivery_status: str | None = strawberry.field(
        description="The notice mail's delivery status; null before it is queued."
    )
    sent_at: datetime | None = strawberry.field(
        description="When the notice mail was sent; null until then."
    )
    cancel_delivery_id: strawberry.ID | None = strawberry.field(
        description="The cancellation mail's delivery; null unless the window was cancelled."
    )
    cancel_delivery_status: str | None = strawberry.field(
        description="The cancellation mail's delivery status; null unless queued."
    )
    cancel_sent_at: datetime | None = strawberry.field(
        description="When the cancellation mail was sent; null until then."
    )

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

    @strawberry.field(description="The customer written to; null when the caller may not see it.")
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)


@strawberry.type(
    description=(
        "A maintenance window, announced to every affected customer's contacts with an "
        "`.ics` calendar file."
    )
)
class MaintenanceWindow:
    id: strawberry.ID = strawberry.field(description="The window's ID.")
    uid: str = strawberry.field(description="The iCalendar UID, the same in every mail.")
    sequence: int = strawberry.field(description="The iCalendar SEQUENCE of the latest mail.")
    kind: MaintenanceKind = strawberry.field(description="Scheduled or unscheduled.")
    status: MaintenanceStatus = strawberry.field(description="Scheduled or cancelled.")
    title: str = strawberry.field(description="A short title for the notice.")
    description: str = strawberry.field(description="What happens, for the notice.")
    starts_at: datetime = strawberry.field(description="When the maintenance starts.")
    ends_at: datetime = strawberry.field(description="When the maintenance ends.")
    product_id: strawberry.ID | None = strawberry.field(
        description="The product affected; null when not tied to one."
    )
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        description="The customers affected."
    )
    created_by: str = strawberry.field(description="Who created it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    cancelled_at: datetime | None = strawberry.field(
        description="When it was cancelled; null unless cancelled."
    )
    cancelled_by: str | None = strawberry.field(
        description="Who cancelled it; null unless cancelled."
    )
    cancel_reason: str | None = strawberry.field(
        description="Why it was cancelled; null unless cancelled."
    )
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
