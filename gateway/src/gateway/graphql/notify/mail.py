"""Who gets which mail, and when: a contact's mail preferences, the contacts watching a case,
and quiet hours and the digest for staff mail."""

from __future__ import annotations

from datetime import datetime, time

import strawberry

from gateway.graphql.convert import Row, optional_datetime, optional_time, to_id


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
            contact_id=to_id(row["contact_id"]),
            customer_id=to_id(row["customer_id"]),
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
            updated_at=optional_datetime(row.get("updated_at")),
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
            ticket_id=to_id(row["ticket_id"]),
            contact_id=to_id(row["contact_id"]),
            email=row["email"],
            added_by=row["added_by"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )


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
            quiet_start=optional_time(row.get("quiet_start")),
            quiet_end=optional_time(row.get("quiet_end")),
            digest_minutes=int(row["digest_minutes"]),
            in_quiet_hours=bool(row["in_quiet_hours"]),
            held=int(row["held"]),
            next_release_at=optional_datetime(row.get("next_release_at")),
            updated_by=row.get("updated_by"),
            updated_at=optional_datetime(row.get("updated_at")),
        )
