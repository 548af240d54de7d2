"""The tickets domain's object types, each built from the REST answer it mirrors.

A case comes in two sizes: the list row (``GET /v1/tickets``, ``GET /v1/triage``) and the full
view with its clocks (``GET /v1/tickets/{id}``, every mutation's answer). A ``Ticket`` made from
a list row loads its full view only when a query asks for a field the row lacks, through the
per-request loader (``TicketsLoaders``): once per case, however many of its fields are asked
for. Customers come from contracts' batching loader (one request per batch of cases), products
and plans from their lists (one request per GraphQL request).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

from gateway.graphql.context import Info
from gateway.graphql.contracts.enums import Language
from gateway.graphql.contracts.types import (
    Contact,
    Customer,
    Plan,
    Product,
    load_customer,
    load_plan,
    load_product,
    plan_rows,
)
from gateway.graphql.sla_policy import SlaMetric
from gateway.graphql.tickets.enums import (
    ActorKind,
    EntitlementStatus,
    EscalationKind,
    TicketChannel,
    TicketStatus,
    TicketType,
)

Row = Mapping[str, Any]
EnumT = TypeVar("EnumT", bound=Enum)

TICKET_NOT_FOUND = "TICKET_NOT_FOUND"
# ``Ticket.priority`` is non-null (API.md) while a case accepted without its entitlement check
# may have none yet: the plan, and so its default, is only known once contracts answers.
UNSET_PRIORITY = "UNSET"
# The gateway's own route to the tickets service's REST API (API.md: /api/{service}/...).
TICKETS_REST_PREFIX = "/api/tickets"


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _float(value: object | None) -> float | None:
    return None if value is None else float(str(value))


async def load_ticket(info: Info, ticket_id: object) -> Ticket:
    """A case by id, through the request's loader (TICKET_NOT_FOUND when the caller may not
    see it)."""
    return Ticket.from_rest(await info.context.loaders.tickets_batches.ticket.load(str(ticket_id)))


async def linked_ticket(info: Info, ticket_id: object | None) -> Ticket | None:
    """A case another record points to: null when there is none or the caller may not see
    it (a link is no reason to fail the whole record)."""
    if ticket_id is None:
        return None
    try:
        return await load_ticket(info, ticket_id)
    except GraphQLError as error:
        if (error.extensions or {}).get("code") == TICKET_NOT_FOUND:
            return None
        raise


# -- SLA clocks -----------------------------------------------------------------------------------


@strawberry.type(
    description=(
        "One SLA clock of a case, computed from its history; `explanation` says why it is due "
        "when it is. A clock that restarts (NEXT_RESPONSE) appears once per cycle, oldest "
        "first."
    )
)
class SlaClock:
    metric: SlaMetric
    target_minutes: int
    business_time: bool = strawberry.field(
        description="Counted in the calendar's service minutes; false: calendar minutes."
    )
    started_at: datetime | None = strawberry.field(
        description="The first service minute the clock counted (or the calendar instant)."
    )
    due_at: datetime | None = strawberry.field(
        description="Null while the clock is paused (the case is PENDING)."
    )
    stopped_at: datetime | None = strawberry.field(
        description="When it was met (a staff reply, the close)."
    )
    paused_minutes: int = strawberry.field(description="Minutes the clock stood still.")
    breached: bool
    cycle: int = strawberry.field(
        description="1 for the first; a NEXT_RESPONSE clock counts one up per exchange."
    )
    priority: str = strawberry.field(description="The priority whose target applies.")
    paused: bool
    breached_at: datetime | None
    explanation: list[str] = strawberry.field(
        description="The steps from the start to the due time, in words."
    )

    @classmethod
    def from_rest(cls, row: Row) -> SlaClock:
        return cls(
            metric=SlaMetric(row["metric"]),
            target_minutes=int(row["target_minutes"]),
            business_time=bool(row["business_time"]),
            started_at=_datetime(row.get("started_at")),
            due_at=_datetime(row.get("due_at")),
            stopped_at=_datetime(row.get("stopped_at")),
            paused_minutes=int(row["paused_minutes"]),
            breached=bool(row["breached"]),
            cycle=int(row["cycle"]),
            priority=row["priority"],
            paused=bool(row["paused"]),
            breached_at=_datetime(row.get("breached_at")),
            explanation=list(row.get("explanation") or ()),
        )


# -- a case and what belongs to it ----------------------------------------------------------------


@strawberry.type(description="A reference to the case in another system, e.g. a CRM.")
class ExternalRef:
    system: str
    reference: str


@strawberry.type(description="What contracts answered when the case was opened.")
class TicketEntitlement:
    reasons: list[str] = strawberry.field(
        description="Entitlement reason codes (API.md), e.g. EXTENDED_SUPPORT_LIMITED."
    )
    phase: str | None = strawberry.field(description="MAINSTREAM, EXTENDED or END_OF_LIFE.")
    scope: str | None = strawberry.field(
        description="FULL, or SECURITY_AND_CRITICAL in extended support."
    )
    quota_remaining: int | None
    billable: bool = strawberry.field(description="Accepted as an extra, billable ticket.")
    plan_name: str | None
    checked_at: date | None

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


@strawberry.type(description="A public reply or an internal note on a case.")
class Message:
    id: strawberry.ID
    ticket_id: strawberry.ID
    author_id: str | None = strawberry.field(
        description="The author's email, or the subject of the token that wrote it."
    )
    author_kind: ActorKind
    body: str
    internal: bool = strawberry.field(
        description="An internal note: staff only, never a response, never shown to customers."
    )
    automated: bool = strawberry.field(
        description="Written by a system: never counts as a response."
    )
    created_at: datetime

    @classmethod
    def from_rest(cls, row: Row) -> Message:
        return cls(
            id=_id(row["id"]),
            ticket_id=_id(row["ticket_id"]),
            author_id=row.get("author_id"),
            author_kind=ActorKind(row["author_kind"]),
            body=row["body"],
            internal=bool(row["internal"]),
            automated=bool(row["automated"]),
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket:
        return await load_ticket(info, self.ticket_id)


@strawberry.type(description="One change to a case: who, when, from what, to what, why.")
class HistoryEntry:
    at: datetime
    kind: str = strawberry.field(
        description=(
            "OPENED, STATUS_CHANGE, STAFF_REPLY, CUSTOMER_REPLY, PRIORITY_CHANGE, ASSIGNED, "
            "ESCALATED, ..."
        )
    )
    actor_id: str | None = strawberry.field(description="An email, or a token's subject.")
    actor_kind: ActorKind
    from_value: str | None
    to_value: str | None
    reason: str | None

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
    id: strawberry.ID
    ticket_id: strawberry.ID
    filename: str
    content_type: str
    size: int | None = strawberry.field(description="Bytes; null for a link.")
    sha256: str | None = strawberry.field(description="Hex digest of a stored file.")
    link_url: str | None
    uploaded_by: str | None
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
            id=_id(row["id"]),
            ticket_id=_id(row["ticket_id"]),
            filename=row["filename"],
            content_type=row["content_type"],
            size=row.get("size"),
            sha256=row.get("sha256"),
            link_url=link_url,
            uploaded_by=row.get("uploaded_by"),
            download_path=download_path,
        )


@strawberry.type(description="A support case, with its SLA clocks.")
class Ticket:
    id: strawberry.ID
    number: str = strawberry.field(description="Human-friendly, e.g. CS-2026-000123.")
    status: TicketStatus
    priority: str = strawberry.field(
        description=(
            "One of the plan's priorities (e.g. LOW, NORMAL, HIGH or I, II, III). `UNSET` while "
            "a case accepted without its entitlement check (`entitlementStatus: PENDING`) has "
            "none: the plan's default applies once contracts confirms the plan."
        )
    )
    subject: str
    received_at: datetime = strawberry.field(
        description="When the case arrived (for a phone call or mail: when it really did)."
    )
    type: TicketType
    language: Language
    customer_id: strawberry.ID | None = strawberry.field(
        description="Null only while a case opened by staff waits for its entitlement check."
    )
    contact_id: strawberry.ID = strawberry.field(description="The requester.")
    product_id: strawberry.ID
    version: str
    assignee_id: strawberry.ID | None = strawberry.field(
        description="The staff user working the case."
    )
    support_center: str | None = strawberry.field(
        description="The code of the center serving the customer, e.g. broomfield."
    )
    next_due_at: datetime | None = strawberry.field(
        description="The earliest due time of the clocks still running."
    )
    entitlement_status: EntitlementStatus
    full_view: strawberry.Private[Row | None]

    @classmethod
    def from_rest(cls, row: Row) -> Ticket:
        assignee_id = row.get("assignee_id")
        return cls(
            id=_id(row["id"]),
            number=row["number"],
            status=TicketStatus(row["status"]),
            priority=row.get("priority") or UNSET_PRIORITY,
            subject=row["subject"],
            received_at=datetime.fromisoformat(row["received_at"]),
            type=TicketType(row["type"]),
            language=Language(row["language"]),
            customer_id=_optional_id(row.get("customer_id")),
            contact_id=_id(row["contact_id"]),
            product_id=_id(row["product_id"]),
            version=row["version"],
            assignee_id=_optional_id(assignee_id),
            support_center=row.get("support_center"),
            next_due_at=_datetime(row.get("next_due_at")),
            entitlement_status=EntitlementStatus(row["entitlement_status"]),
            # A list row has no clocks; the full view always has them (maybe none).
            full_view=row if "sla" in row else None,
        )

    async def _full(self, info: Info) -> Row:
        if self.full_view is not None:
            return self.full_view
        row: Row = await info.context.loaders.tickets_batches.ticket.load(str(self.id))
        return row

    @strawberry.field(
        description=(
            "The clocks, oldest first; none while the entitlement check is pending. The same "
            "engine as `slaSimulate`."
        )
    )
    async def sla(self, info: Info) -> list[SlaClock]:
        return [SlaClock.from_rest(clock) for clock in (await self._full(info))["sla"]]

    @strawberry.field
    async def description(self, info: Info) -> str:
        return str((await self._full(info))["description"])

    @strawberry.field
    async def channel(self, info: Info) -> TicketChannel:
        return TicketChannel((await self._full(info))["channel"])

    @strawberry.field
    async def error_code(self, info: Info) -> str | None:
        return (await self._full(info)).get("error_code")

    @strawberry.field
    async def error_message(self, info: Info) -> str | None:
        return (await self._full(info)).get("error_message")

    @strawberry.field
    async def steps_to_reproduce(self, info: Info) -> str | None:
        return (await self._full(info)).get("steps_to_reproduce")

    @strawberry.field(description="References to the case in other systems.")
    async def external_refs(self, info: Info) -> list[ExternalRef]:
        refs = (await self._full(info)).get("external_refs") or {}
        return [ExternalRef(system=str(k), reference=str(v)) for k, v in refs.items()]

    @strawberry.field(description="When the case was recorded (receivedAt may be earlier).")
    async def created_at(self, info: Info) -> datetime:
        return datetime.fromisoformat((await self._full(info))["created_at"])

    @strawberry.field
    async def closed_at(self, info: Info) -> datetime | None:
        return _datetime((await self._full(info)).get("closed_at"))

    @strawberry.field
    async def resolution(self, info: Info) -> str | None:
        return (await self._full(info)).get("resolution")

    @strawberry.field(description="The code of the plan the case runs under, e.g. infocare.")
    async def plan_code(self, info: Info) -> str | None:
        return (await self._full(info)).get("plan_code")

    @strawberry.field(description="Accepted as an extra, billable ticket.")
    async def billable(self, info: Info) -> bool:
        return bool((await self._full(info)).get("billable"))

    @strawberry.field(
        description="What contracts answered (for a refused case: the reasons); null: pending."
    )
    async def entitlement(self, info: Info) -> TicketEntitlement | None:
        snapshot = (await self._full(info)).get("entitlement")
        return TicketEntitlement.from_rest(snapshot) if snapshot else None

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_id is None:
            return None
        return await load_customer(info, self.customer_id)

    @strawberry.field(description="The requester.")
    async def contact(self, info: Info) -> Contact | None:
        if self.customer_id is None:
            row = await info.context.loaders.contracts.load(f"/v1/contacts/{self.contact_id}")
            return Contact.from_rest(row)
        # One request for the contacts of every customer this query reaches.
        rows = await info.context.loaders.contracts_batches.contacts_of_customer.load(
            str(self.customer_id)
        )
        return next(
            (Contact.from_rest(row) for row in rows if row["id"] == str(self.contact_id)), None
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return await load_product(info, self.product_id)

    @strawberry.field(description="The plan the case runs under; null while pending.")
    async def plan(self, info: Info) -> Plan | None:
        code = (await self._full(info)).get("plan_code")
        if code is None:
            return None
        row = next((row for row in (await plan_rows(info)).values() if row["code"] == code), None)
        return None if row is None else Plan.from_rest(row)

    @strawberry.field(
        description="The conversation, oldest first. Customers do not see internal notes."
    )
    async def messages(self, info: Info) -> list[Message]:
        rows = await info.context.loaders.tickets_batches.messages.load(str(self.id))
        return [Message.from_rest(row) for row in rows]

    @strawberry.field(description="Every change, oldest first: the source of the SLA clocks.")
    async def history(self, info: Info) -> list[HistoryEntry]:
        rows = await info.context.loaders.tickets_batches.history.load(str(self.id))
        return [HistoryEntry.from_rest(row) for row in rows]

    @strawberry.field
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = await info.context.loaders.tickets_batches.attachments.load(str(self.id))
        return [Attachment.from_rest(row) for row in rows]


# -- the SLA attainment report --------------------------------------------------------------------


@strawberry.type(
    description=(
        "How one metric's clocks did: a stopped clock is met or breached, a running one "
        "breached once past due, otherwise still running (not yet decided)."
    )
)
class SlaAttainment:
    metric: SlaMetric
    total: int
    within_target: int
    breached: int
    running: int
    percent_within: float | None = strawberry.field(
        description="Share met within target of those decided, in percent; null: none decided."
    )
    average_minutes: float | None = strawberry.field(
        description="Average time taken by the decided clocks, in their own minutes."
    )
    average_target_minutes: float | None = strawberry.field(
        description="Average commitment of the same clocks."
    )

    @classmethod
    def list_from_rest(cls, rows: list[Row]) -> list[SlaAttainment]:
        return [
            cls(
                metric=SlaMetric(row["metric"]),
                total=int(row["total"]),
                within_target=int(row["within_target"]),
                breached=int(row["breached"]),
                running=int(row["running"]),
                percent_within=_float(row.get("percent_within")),
                average_minutes=_float(row.get("average_minutes")),
                average_target_minutes=_float(row.get("average_target_minutes")),
            )
            for row in rows
        ]


@strawberry.type(description="Attainment of the cases under one plan.")
class SlaPlanAttainment:
    plan_id: strawberry.ID | None
    plan_code: str | None
    tickets: int
    metrics: list[SlaAttainment]

    @classmethod
    def from_rest(cls, row: Row) -> SlaPlanAttainment:
        return cls(
            plan_id=_optional_id(row.get("plan_id")),
            plan_code=row.get("plan_code"),
            tickets=int(row["tickets"]),
            metrics=SlaAttainment.list_from_rest(row["metrics"]),
        )

    @strawberry.field
    async def plan(self, info: Info) -> Plan | None:
        return None if self.plan_id is None else await load_plan(info, self.plan_id)


@strawberry.type(
    description=(
        "SLA attainment of the entitled cases received in [from, to), their clocks as of now, "
        "overall and per plan."
    )
)
class SlaReport:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    plan_id: strawberry.ID | None
    customer_id: strawberry.ID | None = strawberry.field(
        description="For a customer administrator: always its own customer."
    )
    tickets: int = strawberry.field(description="Cases counted.")
    metrics: list[SlaAttainment]
    plans: list[SlaPlanAttainment]

    @classmethod
    def from_rest(cls, row: Row) -> SlaReport:
        return cls(
            from_=datetime.fromisoformat(row["period_from"]),
            to=datetime.fromisoformat(row["period_to"]),
            plan_id=_optional_id(row.get("plan_id")),
            customer_id=_optional_id(row.get("customer_id")),
            tickets=int(row["tickets"]),
            metrics=SlaAttainment.list_from_rest(row["metrics"]),
            plans=[SlaPlanAttainment.from_rest(plan) for plan in row["plans"]],
        )


# -- live case events -----------------------------------------------------------------------------


def _known(enum: type[EnumT], value: object | None) -> EnumT | None:
    """An optional field of a live event in one of our enums; null for a value this gateway
    does not know yet (a newer tickets service), rather than a broken stream."""
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        return None


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
    time: datetime
    ticket_id: strawberry.ID
    number: str
    status: TicketStatus = strawberry.field(description="The case's status after the event.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Null only while a case opened by staff waits for its entitlement check."
    )
    contact_id: strawberry.ID | None = strawberry.field(description="The requester.")
    priority: str | None
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
            id=_id(event["id"]),
            type=str(event["type"]),
            time=datetime.fromisoformat(event["time"]),
            ticket_id=_id(data["ticket_id"]),
            number=str(data["number"]),
            status=TicketStatus(data["status"]),
            customer_id=_optional_id(data.get("customer_id")),
            contact_id=_optional_id(data.get("contact_id")),
            priority=data.get("priority"),
            previous_status=_known(TicketStatus, data.get("previous_status")),
            metric=_known(SlaMetric, data.get("metric")),
            due_at=_datetime(data.get("due_at")),
            escalation_kind=_known(EscalationKind, data.get("kind")),
            author_kind=_known(ActorKind, data.get("author_kind")),
            message_id=_optional_id(data.get("message_id")),
        )

    @strawberry.field(description="The case as it is now, with its clocks.")
    async def ticket(self, info: Info) -> Ticket:
        return await load_ticket(info, self.ticket_id)

    @strawberry.field(
        description="ticket.replied: the message; null for one the subscriber may not read."
    )
    async def message(self, info: Info) -> Message | None:
        if self.message_id is None:
            return None
        rows = await info.context.loaders.tickets_batches.messages.load(str(self.ticket_id))
        return next(
            (Message.from_rest(row) for row in rows if row["id"] == str(self.message_id)), None
        )
