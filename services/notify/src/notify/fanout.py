"""One event's deliveries, written in one statement.

Routing (:mod:`notify.routing`) decides who gets mail; this module writes the event's
deliveries: one to each enabled webhook endpoint and chat channel subscribed to its type
(global ones, and the event's customer's own), plus the mail rows routing hands in. The
endpoints and channels are selected inside the ``INSERT ... SELECT`` itself, so an event costs
one round trip and one prepared statement whatever it fans out to: the statement is built
once, its values are bound parameters (the mail rows as arrays, the event's data once, as
JSONB), and it works the same for an event posted alone or one of a batch handled in one
transaction. ``(event_id, target)`` is unique: an event handled twice writes nothing new.

Mail carries the event's whole data; endpoints and channels what :mod:`notify.event_privacy`
leaves them (no one-time links anywhere; no staff addresses in a customer's own). Every
payload also keeps the event's trace context beside the data, for the delivery's span.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events.wakeup import mark_written
from notify.event_privacy import for_customer_targets, for_vendor_targets
from notify.models import ChatChannel, WebhookEndpoint, deliveries_table

ALL_TYPES = "*"
# In an event's data: the event is for its customer's own endpoints and channels only (no
# global ones, no mail). Tickets sends ``ticket.opened`` so for a case whose customer it
# learnt only after the case was announced (tickets.ticket.recheck).
CUSTOMER_ONLY = "customer_only"


@dataclass(frozen=True, slots=True)
class MailRow:
    """A mail delivery routing decided on."""

    target: str
    template: str
    urgent: bool
    watching: bool
    # Whose delivery it is (the contact's customer); None for staff mail.
    customer_id: uuid.UUID | None


def _statement() -> Any:
    d = deliveries_table
    endpoints = WebhookEndpoint.__table__
    channels = ChatChannel.__table__
    # The event's type and "*" (subscribed to every type).
    subscribed_to = bindparam("types", type_=ARRAY(String))
    customer = bindparam("customer_id", type_=UUID(as_uuid=True))
    # False for an event meant only for its customer's own targets (CUSTOMER_ONLY).
    vendor_too = bindparam("vendor_too", type_=Boolean)
    data = bindparam("data", type_=JSONB)
    # What endpoints and channels get (notify.event_privacy): the vendor's own, a customer's.
    vendor_data = bindparam("vendor_data", type_=JSONB)
    customer_data = bindparam("customer_data", type_=JSONB)

    def only_data(owner: Any) -> Any:
        return func.jsonb_build_object(
            "data", case((owner.is_(None), vendor_data), else_=customer_data)
        )

    to_endpoints = select(
        endpoints.c.customer_id.label("customer_id"),
        literal("webhook", String).label("channel"),
        (literal("webhook:", Text) + cast(endpoints.c.id, Text)).label("target"),
        endpoints.c.id.label("endpoint_id"),
        only_data(endpoints.c.customer_id).label("payload"),
    ).where(
        endpoints.c.disabled_at.is_(None),
        endpoints.c.event_types.overlap(subscribed_to),
        or_(
            and_(endpoints.c.customer_id.is_(None), vendor_too), endpoints.c.customer_id == customer
        ),
    )
    to_channels = select(
        channels.c.customer_id,
        channels.c.kind,
        channels.c.kind + ":" + cast(channels.c.id, Text),
        channels.c.id,
        only_data(channels.c.customer_id),
    ).where(
        channels.c.disabled_at.is_(None),
        channels.c.event_types.overlap(subscribed_to),
        or_(and_(channels.c.customer_id.is_(None), vendor_too), channels.c.customer_id == customer),
    )
    mails = (
        func.unnest(
            bindparam("mail_targets", type_=ARRAY(Text)),
            bindparam("mail_customers", type_=ARRAY(UUID(as_uuid=True))),
            bindparam("mail_templates", type_=ARRAY(Text)),
            bindparam("mail_urgent", type_=ARRAY(Boolean)),
            bindparam("mail_watching", type_=ARRAY(Boolean)),
        )
        .table_valued("target", "customer_id", "template", "urgent", "watching")
        .render_derived(name="mails")
    )
    to_mail = select(
        mails.c.customer_id,
        literal("email", String),
        mails.c.target,
        null(),
        func.jsonb_build_object(
            "template", mails.c.template, "urgent", mails.c.urgent, "data", data
        ).op("||")(
            case(
                (mails.c.watching, cast(literal('{"watching": true}'), JSONB)),
                else_=cast(literal("{}"), JSONB),
            )
        ),
    )
    fanout = union_all(to_endpoints, to_channels, to_mail).subquery("fanout")
    trace_context = bindparam("trace_context", type_=JSONB)
    return (
        insert(d)
        .from_select(
            [
                "id",
                "event_id",
                "event_source",
                "event_type",
                "event_time",
                "customer_id",
                "channel",
                "target",
                "endpoint_id",
                "payload",
            ],
            select(
                func.gen_random_uuid(),
                bindparam("event_id", type_=String),
                bindparam("event_source", type_=String),
                bindparam("event_type", type_=String),
                bindparam("event_time", type_=DateTime(timezone=True)),
                fanout.c.customer_id,
                fanout.c.channel,
                fanout.c.target,
                fanout.c.endpoint_id,
                fanout.c.payload.op("||")(trace_context),
            ),
        )
        .on_conflict_do_nothing(index_elements=["event_id", "target"])
        .returning(d.c.id)
    )


FANOUT = _statement()


async def write_deliveries(
    session: AsyncSession,
    *,
    event_id: str,
    event_source: str,
    event_type: str,
    event_time: datetime,
    customer_id: uuid.UUID | None,
    data: dict[str, Any],
    mail: Sequence[MailRow],
    trace_context: dict[str, str] | None = None,
) -> int:
    """Writes the event's deliveries (subscribed endpoints and channels, and ``mail``) in
    the caller's transaction; returns how many were new. An event marked CUSTOMER_ONLY
    reaches only its customer's endpoints and channels. ``trace_context``: the event's
    (:func:`notify.event_privacy.trace_context`)."""
    connection = await session.connection()
    inserted = await connection.execute(
        FANOUT,
        {
            "event_id": event_id,
            "event_source": event_source,
            "event_type": event_type,
            "event_time": event_time,
            "types": [event_type, ALL_TYPES],
            "customer_id": customer_id,
            "vendor_too": data.get(CUSTOMER_ONLY) is not True,
            "data": data,
            "vendor_data": for_vendor_targets(event_type, data),
            "customer_data": for_customer_targets(event_type, data),
            "mail_targets": [m.target for m in mail],
            "mail_customers": [m.customer_id for m in mail],
            "mail_templates": [m.template for m in mail],
            "mail_urgent": [m.urgent for m in mail],
            "mail_watching": [m.watching for m in mail],
            "trace_context": trace_context or {},
        },
    )
    count = len(inserted.all())
    if count:
        # The delivery workers of this process claim once this transaction commits.
        mark_written(session.info, deliveries_table)
    return count
