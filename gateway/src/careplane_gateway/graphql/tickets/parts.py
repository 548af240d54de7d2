"""What a case carries besides its clocks and its conversation: its references in other
systems, the entitlement it was opened under, its history and its files."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from careplane_gateway.graphql.convert import Row, to_id
from careplane_gateway.graphql.tickets.enums import ActorKind

# The gateway's own route to the tickets service's REST API (/api/{service}/...).
TICKETS_REST_PREFIX = "/api/tickets"


@strawberry.type(description="A reference to the case in another system, e.g. a CRM.")
class ExternalRef:
    system: str = strawberry.field(description="The other system, e.g. a CRM's name.")
    reference: str = strawberry.field(description="The case's ID in that system.")


@strawberry.type(description="What contracts answered when the case was opened.")
class TicketEntitlement:
    reasons: list[str] = strawberry.field(
        description="Entitlement reason codes (docs/api.md), e.g. EXTENDED_SUPPORT_LIMITED."
    )
    phase: str | None = strawberry.field(description="MAINSTREAM, EXTENDED or END_OF_LIFE.")
    scope: str | None = strawberry.field(
        description="FULL, or SECURITY_AND_CRITICAL in extended support."
    )
    quota_remaining: int | None = strawberry.field(
        description="Tickets left when checked; null when the plan has no quota."
    )
    billable: bool = strawberry.field(description="Accepted as an extra, billable ticket.")
    plan_name: str | None = strawberry.field(description="The plan that applies.")
    checked_at: date | None = strawberry.field(description="When contracts answered.")

    @classmethod
    def from_rest(cls, row: Row) -> TicketEntitlement:
        checked_at = row.get("checked_at")
        return cls(
            reasons=list(row.get("reasons") or ()),
            phase=row.get("phase"),
            scope=row.get("scope"),
            quota_remaining=row.get("quota_remaining"),
            billable=bool(row.get("billable")),
            plan_name=row.get("plan_name"),
            checked_at=date.fromisoformat(str(checked_at)[:10]) if checked_at else None,
        )


@strawberry.type(description="One change to a case: who, when, from what, to what, why.")
class HistoryEntry:
    at: datetime = strawberry.field(description="When it happened.")
    kind: str = strawberry.field(
        description=(
            "OPENED, STATUS_CHANGE, STAFF_REPLY, CUSTOMER_REPLY, PRIORITY_CHANGE, ASSIGNED, "
            "ESCALATED, ..."
        )
    )
    actor_id: str | None = strawberry.field(description="An email, or a token's subject.")
    actor_kind: ActorKind = strawberry.field(description="The kind of actor did it.")
    from_value: str | None = strawberry.field(
        description="The value before (e.g. the old status); null when none."
    )
    to_value: str | None = strawberry.field(
        description="The value after (e.g. the new status); null when none."
    )
    reason: str | None = strawberry.field(description="The reason given; null when none.")

    @classmethod
    def from_rest(cls, row: Row) -> HistoryEntry:
        return cls(
            at=datetime.fromisoformat(row["at"]),
            kind=row["kind"],
            actor_id=row.get("actor_id"),
            actor_kind=ActorKind(row["actor_kind"]),
            from_value=row.get("from_value"),
            to_value=row.get("to_value"),
            reason=row.get("reason"),
        )


@strawberry.type(
    description=(
        "A file on a case: stored (uploaded through REST, `downloadPath`) or a file-sharing "
        "link for one over the size limit (`linkUrl`)."
    )
)
class Attachment:
    id: strawberry.ID = strawberry.field(description="The attachment's ID.")
    ticket_id: strawberry.ID = strawberry.field(description="The case it belongs to.")
    filename: str = strawberry.field(description="The file's name as given.")
    content_type: str = strawberry.field(description="The MIME type, e.g. application/pdf.")
    size: int | None = strawberry.field(description="Bytes; null for a link.")
    sha256: str | None = strawberry.field(description="Hex digest of a stored file.")
    link_url: str | None = strawberry.field(
        description="For a linked file: the URL it lives at; null for an uploaded one."
    )
    uploaded_by: str | None = strawberry.field(
        description="Who added it: an email, or the subject of a token."
    )
    download_path: str | None = strawberry.field(
        description="Where the gateway serves a stored file (GET with the same token)."
    )

    @classmethod
    def from_rest(cls, row: Row) -> Attachment:
        link_url = row.get("link_url")
        download_path = (
            None
            if link_url
            else f"{TICKETS_REST_PREFIX}/v1/tickets/{row['ticket_id']}/attachments/{row['id']}"
        )
        return cls(
            id=to_id(row["id"]),
            ticket_id=to_id(row["ticket_id"]),
            filename=row["filename"],
            content_type=row["content_type"],
            size=row.get("size"),
            sha256=row.get("sha256"),
            link_url=link_url,
            uploaded_by=row.get("uploaded_by"),
            download_path=download_path,
        )
