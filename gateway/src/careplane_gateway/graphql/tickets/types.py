"""The tickets domain's central types: a case and its conversation, and the live events that
``ticketEvents`` relays. A case's clocks and the attainment report are in ``sla``, the rest of
what a case carries in ``parts``.

A case comes in two sizes: the list row (``GET /v1/tickets``, ``GET /v1/triage``) and the full
view with its clocks (``GET /v1/tickets/{id}``, every mutation's answer). A ``Ticket`` keeps the
row it was made from and answers every field that row has from it; only a field the row lacks
(``FULL_VIEW_FIELDS``) loads the full view, through the per-request loader
(``TicketsLoaders``): once per case, the cases of one batch in one call. A page whose query
asks for such a field has the list answer whole cases instead (``queries``), and loads none.
Customers come from contracts' batching loader (one request per batch of cases), products and
plans from their lists (one request per GraphQL request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.enums import Language
from careplane_gateway.graphql.contracts.plans import Plan
from careplane_gateway.graphql.contracts.products import Product
from careplane_gateway.graphql.contracts.types import Contact, Customer
from careplane_gateway.graphql.convert import Row, known, optional_datetime, optional_id, to_id
from careplane_gateway.graphql.sla_policy import SlaMetric
from careplane_gateway.graphql.tickets.development_types import DevelopmentLink, development_of
from careplane_gateway.graphql.tickets.enums import (
    ActorKind,
    EntitlementStatus,
    EscalationKind,
    TicketChannel,
    TicketStatus,
    TicketType,
)
from careplane_gateway.graphql.tickets.escalation_types import (
    ChangeRequest,
    ContactPath,
    Escalation,
    change_requests_of,
    contact_path_of,
    escalations_of,
)
from careplane_gateway.graphql.tickets.parts import (
    TICKETS_REST_PREFIX,
    Attachment,
    ExternalRef,
    HistoryEntry,
    TicketEntitlement,
)
from careplane_gateway.graphql.tickets.sla import SlaClock
from careplane_gateway.graphql.tickets.surveys import Survey, survey_of
from careplane_gateway.graphql.tickets.time_entries import TimeSheet, time_sheet

# The fields of ``Ticket`` a list row lacks (resolved through ``Ticket._detail``), by their
# GraphQL names: a page that asks for one of them asks tickets for whole cases.
FULL_VIEW_FIELDS = frozenset(
    {
        "sla",
        "description",
        "channel",
        "errorCode",
        "errorMessage",
        "stepsToReproduce",
        "externalRefs",
        "createdAt",
        "closedAt",
        "resolution",
        "planCode",
        "billable",
        "entitlement",
        "plan",
        "scheduledVisit",
    }
)

# ``Ticket.priority`` is never null, while a case accepted without its entitlement check may
# have none yet: the plan, and so its default, is only known once contracts answers.
UNSET_PRIORITY = "UNSET"


def raw_message_path(row: Row) -> str | None:
    """The gateway's path to a customer message's stored mail (tickets' ``/raw`` route)."""
    if row.get("internal") or row.get("author_kind") != "customer":
        return None
    return f"{TICKETS_REST_PREFIX}/v1/tickets/{row['ticket_id']}/messages/{row['id']}/raw"


@strawberry.type(description="A public reply or an internal note on a case.")
class Message:
    id: strawberry.ID = strawberry.field(description="The message's ID.")
    ticket_id: strawberry.ID = strawberry.field(description="The case it belongs to.")
    author_id: str | None = strawberry.field(
        description="The author's email, or the subject of the token that wrote it."
    )
    author_kind: ActorKind = strawberry.field(description="The kind of author.")
    body: str = strawberry.field(description="The text.")
    internal: bool = strawberry.field(
        description="An internal note: staff only, never a response, never shown to customers."
    )
    automated: bool = strawberry.field(
        description="Written by a system: never counts as a response."
    )
    created_at: datetime = strawberry.field(description="When it was written.")
    raw_message_path: str | None = strawberry.field(
        description=(
            "Staff: where the gateway serves the mail this message came as (GET with the "
            "same token, message/rfc822); RAW_MESSAGE_NOT_FOUND when it did not come by "
            "mail. Null for staff and system messages and internal notes, which never do."
        )
    )

    @classmethod
    def from_rest(cls, row: Row) -> Message:
        return cls(
            id=to_id(row["id"]),
            ticket_id=to_id(row["ticket_id"]),
            author_id=row.get("author_id"),
            author_kind=ActorKind(row["author_kind"]),
            body=row["body"],
            internal=bool(row["internal"]),
            automated=bool(row["automated"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            raw_message_path=raw_message_path(row),
        )

    @strawberry.field(description="The case it belongs to.")
    async def ticket(self, info: Info) -> Ticket:
        return await Ticket.load(info, self.ticket_id)


@strawberry.type(description="A support case, with its SLA clocks.")
class Ticket:
    id: strawberry.ID = strawberry.field(description="The case's ID (`GET /v1/tickets/{id}`).")
    number: str = strawberry.field(description="Human-friendly, e.g. CS-2026-000123.")
    status: TicketStatus = strawberry.field(description="Where the case is in its lifecycle.")
    priority: str = strawberry.field(
        description=(
            "One of the plan's priorities (e.g. LOW, NORMAL, HIGH or I, II, III). `UNSET` while "
            "a case accepted without its entitlement check (`entitlementStatus: PENDING`) has "
            "none: the plan's default applies once contracts confirms the plan."
        )
    )
    subject: str = strawberry.field(description="A one-line summary.")
    received_at: datetime = strawberry.field(
        description="When the case arrived (for a phone call or mail: when it really did)."
    )
    type: TicketType = strawberry.field(description="What the case is about.")
    language: Language = strawberry.field(description="The language the case is handled in.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Null only while a case opened by staff waits for its entitlement check."
    )
    contact_id: strawberry.ID = strawberry.field(description="The requester.")
    product_id: strawberry.ID = strawberry.field(description="The product the case is about.")
    version: str = strawberry.field(description="The product version, e.g. 5.2.")
    assignee_id: strawberry.ID | None = strawberry.field(
        description="The staff user working the case."
    )
    support_center: str | None = strawberry.field(
        description="The code of the center serving the customer, e.g. broomfield."
    )
    next_due_at: datetime | None = strawberry.field(
        description="The earliest due time of the clocks still running."
    )
    entitlement_status: EntitlementStatus = strawberry.field(
        description="Whether contracts has confirmed the entitlement."
    )
    # The answer the case was made from: a list row or the full view.
    row: strawberry.Private[Row]

    @classmethod
    def from_rest(cls, row: Row) -> Ticket:
        assignee_id = row.get("assignee_id")
        return cls(
            id=to_id(row["id"]),
            number=row["number"],
            status=TicketStatus(row["status"]),
            priority=row.get("priority") or UNSET_PRIORITY,
            subject=row["subject"],
            received_at=datetime.fromisoformat(row["received_at"]),
            type=TicketType(row["type"]),
            language=Language(row["language"]),
            customer_id=optional_id(row.get("customer_id")),
            contact_id=to_id(row["contact_id"]),
            product_id=to_id(row["product_id"]),
            version=row["version"],
            assignee_id=optional_id(assignee_id),
            support_center=row.get("support_center"),
            next_due_at=optional_datetime(row.get("next_due_at")),
            entitlement_status=EntitlementStatus(row["entitlement_status"]),
            row=row,
        )

    @classmethod
    async def load(cls, info: Info, ticket_id: object) -> Ticket:
        """A case by id, through the request's loader (TICKET_NOT_FOUND when the caller may
        not see it)."""
        return cls.from_rest(await info.context.loaders.tickets.ticket_row(ticket_id))

    async def _detail(self, info: Info, name: str) -> Any:
        """A field of the full view: from the row this case was made from when it has it
        (the full view has them all; a list row only its summary), otherwise from the full
        view, loaded once per case."""
        if name in self.row:
            return self.row[name]
        full: Row = await info.context.loaders.tickets.ticket.load(str(self.id))
        return full.get(name)

    @strawberry.field(
        description=(
            "The clocks, oldest first; none while the entitlement check is pending. The same "
            "engine as `slaSimulate`."
        )
    )
    async def sla(self, info: Info) -> list[SlaClock]:
        return [SlaClock.from_rest(clock) for clock in await self._detail(info, "sla")]

    @strawberry.field(description="The full description of the problem.")
    async def description(self, info: Info) -> str:
        return str(await self._detail(info, "description"))

    @strawberry.field(description="How the case arrived.")
    async def channel(self, info: Info) -> TicketChannel:
        return TicketChannel(await self._detail(info, "channel"))

    @strawberry.field(description="The error code reported; null when none.")
    async def error_code(self, info: Info) -> str | None:
        return await self._detail(info, "error_code")

    @strawberry.field(description="The error message reported; null when none.")
    async def error_message(self, info: Info) -> str | None:
        return await self._detail(info, "error_message")

    @strawberry.field(description="How to make the problem happen; null when not given.")
    async def steps_to_reproduce(self, info: Info) -> str | None:
        return await self._detail(info, "steps_to_reproduce")

    @strawberry.field(description="References to the case in other systems.")
    async def external_refs(self, info: Info) -> list[ExternalRef]:
        refs = await self._detail(info, "external_refs") or {}
        return [ExternalRef(system=str(k), reference=str(v)) for k, v in refs.items()]

    @strawberry.field(description="When the case was recorded (receivedAt may be earlier).")
    async def created_at(self, info: Info) -> datetime:
        return datetime.fromisoformat(await self._detail(info, "created_at"))

    @strawberry.field(description="When the case was closed; null while open.")
    async def closed_at(self, info: Info) -> datetime | None:
        return optional_datetime(await self._detail(info, "closed_at"))

    @strawberry.field(description="How it was resolved; null while open.")
    async def resolution(self, info: Info) -> str | None:
        return await self._detail(info, "resolution")

    @strawberry.field(description="The code of the plan the case runs under, e.g. infocare.")
    async def plan_code(self, info: Info) -> str | None:
        return await self._detail(info, "plan_code")

    @strawberry.field(description="Accepted as an extra, billable ticket.")
    async def billable(self, info: Info) -> bool:
        return bool(await self._detail(info, "billable"))

    @strawberry.field(
        description=(
            "Opened while its customer's confirmed visit ran: its response clocks have the "
            "plan's visit target (set by the visits workflow only)."
        )
    )
    async def scheduled_visit(self, info: Info) -> bool:
        return bool(await self._detail(info, "scheduled_visit"))

    @strawberry.field(
        description="What contracts answered (for a refused case: the reasons); null: pending."
    )
    async def entitlement(self, info: Info) -> TicketEntitlement | None:
        snapshot = await self._detail(info, "entitlement")
        return TicketEntitlement.from_rest(snapshot) if snapshot else None

    @strawberry.field(
        description=(
            "The customer; null while a case opened by staff waits for its entitlement check."
        )
    )
    async def customer(self, info: Info) -> Customer | None:
        return await Customer.load_optional(info, self.customer_id)

    @strawberry.field(description="The requester.")
    async def contact(self, info: Info) -> Contact | None:
        if self.customer_id is None:
            row = await info.context.loaders.contracts.by_path.load(
                f"/v1/contacts/{self.contact_id}"
            )
            return Contact.from_rest(row)
        # One request for the contacts of every customer this query reaches.
        rows = await info.context.loaders.contracts.contacts_of_customer.load(str(self.customer_id))
        return next(
            (Contact.from_rest(row) for row in rows if row["id"] == str(self.contact_id)), None
        )

    @strawberry.field(description="The product the case is about.")
    async def product(self, info: Info) -> Product:
        return await Product.load(info, self.product_id)

    @strawberry.field(description="The plan the case runs under; null while pending.")
    async def plan(self, info: Info) -> Plan | None:
        code = await self._detail(info, "plan_code")
        if code is None:
            return None
        plans = (await info.context.loaders.contracts.plan_rows()).values()
        row = next((row for row in plans if row["code"] == code), None)
        return None if row is None else Plan.from_rest(row)

    @strawberry.field(
        description="The conversation, oldest first. Customers do not see internal notes."
    )
    async def messages(self, info: Info) -> list[Message]:
        rows = await info.context.loaders.tickets.messages.load(str(self.id))
        return [Message.from_rest(row) for row in rows]

    @strawberry.field(description="Every change, oldest first: the source of the SLA clocks.")
    async def history(self, info: Info) -> list[HistoryEntry]:
        rows = await info.context.loaders.tickets.history.load(str(self.id))
        return [HistoryEntry.from_rest(row) for row in rows]

    @strawberry.field(description="Files attached to the case.")
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = await info.context.loaders.tickets.attachments.load(str(self.id))
        return [Attachment.from_rest(row) for row in rows]

    @strawberry.field(description="Time worked on the case; null for customers.")
    async def time_entries(self, info: Info) -> TimeSheet | None:
        return await time_sheet(info, self.id)

    @strawberry.field(description="Its satisfaction survey; null when the case was not asked.")
    async def survey(self, info: Info) -> Survey | None:
        return await survey_of(info, self.id)

    @strawberry.field(
        description=(
            "Its development tracker reference and the fix reported; null when the case was "
            "never handed to development."
        )
    )
    async def development(self, info: Info) -> DevelopmentLink | None:
        return await development_of(info, self.id)

    @strawberry.field(
        description="Its escalations, oldest first (a customer sees its own, never internal)."
    )
    async def escalations(self, info: Info) -> list[Escalation]:
        return await escalations_of(info, self.id)

    @strawberry.field(description="The escalation path: its steps and the attempts made.")
    async def contact_attempts(self, info: Info) -> ContactPath:
        return await contact_path_of(info, self.id)

    @strawberry.field(description="The customer's priority change requests, newest first.")
    async def change_requests(self, info: Info) -> list[ChangeRequest]:
        return await change_requests_of(info, self.id)


# -- live case events -----------------------------------------------------------------------------


@strawberry.type(
    description=(
        "Something that just happened to a case, as the tickets service committed it: the "
        "event's summary, and the whole case through `ticket` (as it is when the event is "
        "resolved). The optional fields are there when the event type has them."
    )
)
class TicketEvent:
    id: strawberry.ID = strawberry.field(
        description="The event's id: also the `webhook-id` of the webhooks it becomes."
    )
    type: str = strawberry.field(
        description=(
            "Dotted, past tense: ticket.opened, ticket.status_changed, ticket.replied, "
            "ticket.escalated, ticket.assigned, ticket.priority_changed, ticket.closed, "
            "ticket.reopened, sla.warning, sla.breached, ..."
        )
    )
    time: datetime = strawberry.field(description="When it happened.")
    ticket_id: strawberry.ID = strawberry.field(description="The case.")
    number: str = strawberry.field(description="The case number.")
    status: TicketStatus = strawberry.field(description="The case's status after the event.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Null only while a case opened by staff waits for its entitlement check."
    )
    contact_id: strawberry.ID | None = strawberry.field(description="The requester.")
    priority: str | None = strawberry.field(
        description="The case's priority; null when it has none yet."
    )
    previous_status: TicketStatus | None = strawberry.field(
        description="ticket.status_changed, ticket.escalated: the status before."
    )
    metric: SlaMetric | None = strawberry.field(description="sla.*: the clock it is about.")
    due_at: datetime | None = strawberry.field(description="sla.*: when that clock is due.")
    escalation_kind: EscalationKind | None = strawberry.field(description="ticket.escalated.")
    author_kind: ActorKind | None = strawberry.field(description="ticket.replied: who wrote.")
    message_id: strawberry.ID | None = strawberry.field(
        description="ticket.replied: the message (see `message`)."
    )

    @classmethod
    def from_live(cls, event: Row) -> TicketEvent:
        """From the tickets service's event stream: ``{"id", "type", "time", "data"}``."""
        data: Row = event["data"]
        return cls(
            id=to_id(event["id"]),
            type=str(event["type"]),
            time=datetime.fromisoformat(event["time"]),
            ticket_id=to_id(data["ticket_id"]),
            number=str(data["number"]),
            status=TicketStatus(data["status"]),
            customer_id=optional_id(data.get("customer_id")),
            contact_id=optional_id(data.get("contact_id")),
            priority=data.get("priority"),
            previous_status=known(TicketStatus, data.get("previous_status")),
            metric=known(SlaMetric, data.get("metric")),
            due_at=optional_datetime(data.get("due_at")),
            escalation_kind=known(EscalationKind, data.get("kind")),
            author_kind=known(ActorKind, data.get("author_kind")),
            message_id=optional_id(data.get("message_id")),
        )

    @strawberry.field(description="The case as it is now, with its clocks.")
    async def ticket(self, info: Info) -> Ticket:
        return await Ticket.load(info, self.ticket_id)

    @strawberry.field(
        description="ticket.replied: the message; null for one the subscriber may not read."
    )
    async def message(self, info: Info) -> Message | None:
        if self.message_id is None:
            return None
        rows = await info.context.loaders.tickets.messages.load(str(self.ticket_id))
        return next(
            (Message.from_rest(row) for row in rows if row["id"] == str(self.message_id)), None
        )
