"""Who gets which mail, and when: a contact's mail preferences, the contacts watching a case,
and quiet hours and the digest for staff mail."""

from __future__ import annotations

from datetime import datetime, time

import strawberry

from careplane_gateway.graphql.convert import Row, optional_datetime, optional_time, to_id


@strawberry.type(description="A mail category a contact may opt out of.")
class MailCategory:
    category: str = strawberry.field(description="The category's code, as used in `optedOut`.")
    description: str = strawberry.field(description="What mail the category holds.")
    opted_out: bool = strawberry.field(description="Whether the contact opted out of it.")


@strawberry.type(description="A notice every contact receives; no one can opt out.")
class EssentialNotice:
    name: str = strawberry.field(description="The notice's name.")
    description: str = strawberry.field(description="What the notice is about.")


@strawberry.type(description="Which mail a contact receives.")
class ContactPreferences:
    contact_id: strawberry.ID = strawberry.field(description="The contact.")
    customer_id: strawberry.ID = strawberry.field(description="The contact's customer.")
    opted_out: list[str] = strawberry.field(
        description="The mail categories the contact opted out of."
    )
    categories: list[MailCategory] = strawberry.field(
        description="Every category the contact may opt out of, with its choice."
    )
    essential: list[EssentialNotice] = strawberry.field(
        description="Always sent; no one can opt out."
    )
    updated_by: str | None = strawberry.field(
        description="Who last changed them; null if never changed."
    )
    updated_at: datetime | None = strawberry.field(
        description="When they last changed; null if never changed."
    )

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
    ticket_id: strawberry.ID = strawberry.field(description="The case.")
    contact_id: strawberry.ID = strawberry.field(description="The watching contact.")
    email: str = strawberry.field(description="Where the copies go.")
    added_by: str = strawberry.field(description="Who added the watcher.")
    created_at: datetime = strawberry.field(description="When the watcher was added.")

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
    timezone: str = strawberry.field(description="The IANA time zone quiet hours are in.")
    quiet_start: time | None = strawberry.field(
        description="When quiet hours start; null when there are none."
    )
    quiet_end: time | None = strawberry.field(
        description="When quiet hours end; null when there are none."
    )
    digest_minutes: int = strawberry.field(
        description="Non-urgent staff mail is collected and sent every this many minutes."
    )
    in_quiet_hours: bool = strawberry.field(
        description="Whether non-urgent staff mail waits right now."
    )
    held: int = strawberry.field(description="Staff mails waiting for the next digest.")
    next_release_at: datetime | None = strawberry.field(
        description="When the next digest goes out."
    )
    updated_by: str | None = strawberry.field(
        description="Who last changed them; null if never changed."
    )
    updated_at: datetime | None = strawberry.field(
        description="When they last changed; null if never changed."
    )

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
