"""The notify domain's REST-only features as GraphQL types: lifecycle announcements,
maintenance windows, contacts' mail preferences, case watchers and the staff digest. Each is
built from the REST answer it mirrors, field for field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any

import strawberry

from gateway.graphql.context import Info
from gateway.graphql.contracts.types import Customer, load_customer

Row = Mapping[str, Any]


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def announcement_path(announcement_id: str) -> str:
    return f"/v1/announcements/{announcement_id}"


def maintenance_path(window_id: str) -> str:
    return f"/v1/maintenance-windows/{window_id}"


def preferences_path(contact_id: str) -> str:
    return f"/v1/contacts/{contact_id}/preferences"


def watchers_path(ticket_id: str) -> str:
    return f"/v1/tickets/{ticket_id}/watchers"


STAFF_DIGEST_PATH = "/v1/staff-digest"


# -- enums ------------------------------------------------------------------------------------


@strawberry.enum(
    description=(
        "SCHEDULED: waiting for its announce time. SENDING. SENT: queued to every customer. "
        "SUPERSEDED: the date moved and a new announcement replaced it. CANCELLED."
    )
)
class AnnouncementStatus(Enum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


@strawberry.enum(description="End of Sales, End of Mainstream Support, End of Life.")
class Milestone(Enum):
    EOS = "EOS"
    EOMS = "EOMS"
    EOL = "EOL"


@strawberry.enum(description="Whether a maintenance window was planned or not.")
class MaintenanceKind(Enum):
    SCHEDULED = "scheduled"
    UNSCHEDULED = "unscheduled"


@strawberry.enum(description="A maintenance window stands (SCHEDULED) or was CANCELLED.")
class MaintenanceStatus(Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


async def _customer(info: Info, customer_id: strawberry.ID | None) -> Customer | None:
    return None if customer_id is None else await load_customer(info, customer_id)


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
            customer_id=_id(row["customer_id"]),
            customer_name=row["customer_name"],
            language=row["language"],
            to_addresses=list(row["to_addresses"]),
            delivery_id=_optional_id(row.get("delivery_id")),
            delivery_status=row.get("delivery_status"),
            sent_at=_datetime(row.get("sent_at")),
            message_id=row.get("message_id"),
            subject=row.get("subject"),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await _customer(info, self.customer_id)


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
            id=_id(row["id"]),
            product_id=_id(row["product_id"]),
            product_name=row["product_name"],
            major=int(row["major"]),
            milestone=Milestone(row["milestone"]),
            milestone_date=date.fromisoformat(row["milestone_date"]),
            previous_date=(
                date.fromisoformat(row["previous_date"]) if row.get("previous_date") else None
            ),
            announce_at=datetime.fromisoformat(row["announce_at"]),
            status=AnnouncementStatus(row["status"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            sent_at=_datetime(row.get("sent_at")),
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
            customer_id=_id(row["customer_id"]),
            customer_name=row["customer_name"],
            language=row["language"],
            timezone=row["timezone"],
            to_addresses=list(row["to_addresses"]),
            delivery_id=_optional_id(row.get("delivery_id")),
            delivery_status=row.get("delivery_status"),
            sent_at=_datetime(row.get("sent_at")),
            cancel_delivery_id=_optional_id(row.get("cancel_delivery_id")),
            cancel_delivery_status=row.get("cancel_delivery_status"),
            cancel_sent_at=_datetime(row.get("cancel_sent_at")),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await _customer(info, self.customer_id)


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
            id=_id(row["id"]),
            uid=row["uid"],
            sequence=int(row["sequence"]),
            kind=MaintenanceKind(row["kind"]),
            status=MaintenanceStatus(row["status"]),
            title=row["title"],
            description=row["description"],
            starts_at=datetime.fromisoformat(row["starts_at"]),
            ends_at=datetime.fromisoformat(row["ends_at"]),
            product_id=_optional_id(row.get("product_id")),
            customer_ids=None if customer_ids is None else [_id(c) for c in customer_ids],
            created_by=row["created_by"],
            created_at=datetime.fromisoformat(row["created_at"]),
            cancelled_at=_datetime(row.get("cancelled_at")),
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


# -- contact preferences and case watchers ----------------------------------------------------


@strawberry.type(description="A mail category a contact may opt out of.")
class MailCategory:
    category: str
    description: str
    opted_out: bool


@strawberry.type(description="A notice every contact receives; no one can opt out.")
class EssentialNotice:
    name: str
    description: str


@strawberry.type(description="Which mail a contact receives.")
class ContactPreferences:
    contact_id: strawberry.ID
    customer_id: strawberry.ID
    opted_out: list[str]
    categories: list[MailCategory]
    essential: list[EssentialNotice] = strawberry.field(
        description="Always sent; no one can opt out."
    )
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def from_rest(cls, row: Row) -> ContactPreferences:
        return cls(
            contact_id=_id(row["contact_id"]),
            customer_id=_id(row["customer_id"]),
            opted_out=list(row["opted_out"]),
            categories=[
                MailCategory(
                    category=c["category"],
                    description=c["description"],
                    opted_out=bool(c["opted_out"]),
                )
                for c in row["categories"]
            ],
            essential=[
                EssentialNotice(name=e["name"], description=e["description"])
                for e in row["essential"]
            ],
            updated_by=row.get("updated_by"),
            updated_at=_datetime(row.get("updated_at")),
        )


@strawberry.type(description="A contact of the case's customer who gets the case's mail.")
class TicketWatcher:
    ticket_id: strawberry.ID
    contact_id: strawberry.ID
    email: str
    added_by: str
    created_at: datetime

    @classmethod
    def from_rest(cls, row: Row) -> TicketWatcher:
        return cls(
            ticket_id=_id(row["ticket_id"]),
            contact_id=_id(row["contact_id"]),
            email=row["email"],
            added_by=row["added_by"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )


# -- staff digest -----------------------------------------------------------------------------


@strawberry.type(
    description=(
        "Quiet hours and the digest interval for staff mail that is not urgent. SLA breaches "
        "and emergencies always go at once."
    )
)
class StaffDigestSettings:
    timezone: str
    quiet_start: time | None
    quiet_end: time | None
    digest_minutes: int
    in_quiet_hours: bool = strawberry.field(
        description="Whether non-urgent staff mail waits right now."
    )
    held: int = strawberry.field(description="Staff mails waiting for the next digest.")
    next_release_at: datetime | None = strawberry.field(
        description="When the next digest goes out."
    )
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def from_rest(cls, row: Row) -> StaffDigestSettings:
        return cls(
            timezone=row["timezone"],
            quiet_start=_time(row.get("quiet_start")),
            quiet_end=_time(row.get("quiet_end")),
            digest_minutes=int(row["digest_minutes"]),
            in_quiet_hours=bool(row["in_quiet_hours"]),
            held=int(row["held"]),
            next_release_at=_datetime(row.get("next_release_at")),
            updated_by=row.get("updated_by"),
            updated_at=_datetime(row.get("updated_at")),
        )
