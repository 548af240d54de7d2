"""The mail channel's quarantine (staff only): mail tickets' listener held back instead of
threading it into a case, and the staff's decision on each. Each field calls tickets'
``/v1/inbound/quarantine`` routes; tickets judges the caller (a customer's caller gets its
refusal, as for every staff-only field).

Mail is held when it cannot be trusted as it is: a reply from someone who is neither a
participant nor a contact of the case's customer (FOREIGN_SENDER), a sender that failed its
DMARC/SPF check at a trusted relay (UNVERIFIED_SENDER), or mail that could not be read
(MALFORMED). Releasing it threads it into its case as a customer message (or opens a case
when it had none); rejecting it keeps it on record, decided.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from careplane_gateway.graphql.arguments import uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.convert import Row, optional_datetime, optional_id, to_id
from careplane_gateway.graphql.pagination import After, Connection, First, PageRequest, connection

QUARANTINE_PATH = "/v1/inbound/quarantine"


def quarantine_path(mail_id: str) -> str:
    return f"{QUARANTINE_PATH}/{mail_id}"


@strawberry.enum(description="Where a quarantined mail is: held, or decided by staff.")
class QuarantineStatus(Enum):
    HELD = strawberry.enum_value("HELD", description="Waiting for a decision.")
    RELEASED = strawberry.enum_value(
        "RELEASED", description="Let through: threaded into its case (or opened one)."
    )
    REJECTED = strawberry.enum_value("REJECTED", description="Refused; kept on record.")


@strawberry.type(description="A mail tickets' listener held back instead of threading it.")
class QuarantinedMail:
    id: strawberry.ID = strawberry.field(description="The quarantined mail's ID.")
    received_at: datetime = strawberry.field(description="When the listener received it.")
    mail_from: str | None = strawberry.field(
        description="The envelope sender (MAIL FROM); null for an empty one."
    )
    from_address: str | None = strawberry.field(description="The address in its From header.")
    to_addresses: list[str] = strawberry.field(description="The addresses it was sent to.")
    subject: str | None = strawberry.field(description="Its subject.")
    reason: str = strawberry.field(
        description="Why it was held: FOREIGN_SENDER, UNVERIFIED_SENDER or MALFORMED."
    )
    ticket_id: strawberry.ID | None = strawberry.field(
        description="The case it would thread into; null when it names none."
    )
    ticket_number: str | None = strawberry.field(description="That case's number.")
    status: QuarantineStatus = strawberry.field(description="Held, released or rejected.")
    decided_by: str | None = strawberry.field(description="Who released or rejected it.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    decision_reason: str | None = strawberry.field(description="The reason given on rejecting.")
    size: int = strawberry.field(description="The raw message's size in bytes.")

    @classmethod
    def from_rest(cls, row: Row) -> QuarantinedMail:
        return cls(
            id=to_id(row["id"]),
            received_at=datetime.fromisoformat(row["received_at"]),
            mail_from=row.get("mail_from"),
            from_address=row.get("from_address"),
            to_addresses=list(row.get("to_addresses") or ()),
            subject=row.get("subject"),
            reason=str(row["reason"]),
            ticket_id=optional_id(row.get("ticket_id")),
            ticket_number=row.get("ticket_number"),
            status=QuarantineStatus(row["status"]),
            decided_by=row.get("decided_by"),
            decided_at=optional_datetime(row.get("decided_at")),
            decision_reason=row.get("decision_reason"),
            size=int(row.get("size") or 0),
        )


@strawberry.type(description="What releasing a quarantined mail did.")
class QuarantineRelease:
    item: QuarantinedMail = strawberry.field(description="The mail, now RELEASED.")
    ticket_id: strawberry.ID = strawberry.field(
        description="The case it was threaded into (or opened)."
    )
    message_id: strawberry.ID | None = strawberry.field(
        description="The case message it became; null when it opened the case."
    )

    @classmethod
    def from_rest(cls, row: Row) -> QuarantineRelease:
        return cls(
            item=QuarantinedMail.from_rest(row["item"]),
            ticket_id=to_id(row["ticket_id"]),
            message_id=optional_id(row.get("message_id")),
        )


MailId = Annotated[strawberry.ID, strawberry.argument(description="The quarantined mail's ID.")]


@strawberry.type
class InboundQuery:
    @strawberry.field(
        description=(
            "Staff: mail the mail channel held back, oldest first as tickets lists it, "
            "in one status (HELD unless asked)."
        )
    )
    async def inbound_quarantine(
        self,
        info: Info,
        status: Annotated[
            QuarantineStatus, strawberry.argument(description="Only mail in this status.")
        ] = QuarantineStatus.HELD,
        first: First = None,
        after: After = None,
    ) -> Connection[QuarantinedMail]:
        page = PageRequest.of(first, after)
        body = await info.context.tickets.get(
            QUARANTINE_PATH, params={"status": status.value, **page.params()}
        )
        return connection(body, page, QuarantinedMail.from_rest)

    @strawberry.field(description="Staff: one quarantined mail.")
    async def quarantined_mail(self, info: Info, id: MailId) -> QuarantinedMail | None:
        row = await info.context.tickets.get(quarantine_path(uuid_arg(id, "id")))
        return QuarantinedMail.from_rest(row)


@strawberry.type
class InboundMutation:
    @strawberry.mutation(
        description=(
            "Staff: lets a held mail through: it is threaded into its case as a customer "
            "message, or opens a case when it names none. QUARANTINE_DECIDED when it was "
            "already released or rejected."
        )
    )
    async def release_quarantined_mail(self, info: Info, id: MailId) -> QuarantineRelease:
        row = await info.context.tickets.post(
            f"{quarantine_path(uuid_arg(id, 'id'))}/release", json={}
        )
        return QuarantineRelease.from_rest(row)

    @strawberry.mutation(
        description=(
            "Staff: refuses a held mail; it stays on record with the reason. "
            "QUARANTINE_DECIDED when it was already released or rejected."
        )
    )
    async def reject_quarantined_mail(
        self,
        info: Info,
        id: MailId,
        reason: Annotated[
            str | None, strawberry.argument(description="Why, for the record; null for none.")
        ] = None,
    ) -> QuarantinedMail:
        row = await info.context.tickets.post(
            f"{quarantine_path(uuid_arg(id, 'id'))}/reject", json={"reason": reason}
        )
        return QuarantinedMail.from_rest(row)
