"""From an accepted event to its deliveries, in the inbox's transaction.

Every event goes to each enabled webhook endpoint subscribed to its type (global ones, and a
customer's own when the event's ``data.customer_id`` is that customer), to each enabled chat
channel for its type (with the same customer rule), and to the mail recipients of
:func:`mail_routes`: the requester and the case's watchers, less the categories each contact
opted out of (the case number mail, lifecycle and maintenance notices cannot be), and staff,
whose non-urgent mail may be held for quiet hours or a digest. ``(event_id, target)`` is
unique, so an event handled twice can never create a second delivery. Routing decides the
mail; the deliveries are written, endpoints and channels selected along, in one statement
(:mod:`notify.fanout`).

``contact.invited`` (from contracts) is the exception: it carries the token that lets its
holder choose the contact's password, so it becomes one mail to the invited address and
nothing else (no webhook, no chat message, no digest, no opt-out). The token is sealed in
the delivery's payload with the encryption keys, opened only to render the mail, and
removed from the inbox's copy of the event.

What of the event's data endpoints and channels get (no one-time links; no staff addresses
to a customer's own) is :mod:`notify.event_privacy`'s; mail gets all of it.

``lifecycle.milestones_changed`` also plans the lifecycle announcements
(:mod:`notify.announcements.planning`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent
from careplane_shared.events.wakeup import mark_written
from notify import escalations, oncall_alerts
from notify.announcements.planning import plan_announcements
from notify.config import NotifySettings
from notify.digest import policy as digest_policy
from notify.digest import service as digest
from notify.event_privacy import trace_context
from notify.fanout import CUSTOMER_ONLY, MailRow, write_deliveries
from notify.invitations import (
    INVITATION_EVENT,
    INVITATION_SOURCE,
    INVITATION_TEMPLATE,
    INVITATION_TOKEN,
    SEALED_TOKEN,
    without_secrets,
)
from notify.mail.case_mail import acknowledgement_wanted
from notify.mail_events.routing import route_mail_event
from notify.models import (
    ContactPreference,
    TicketWatcher,
    deliveries_table,
    inbox_events,
)
from notify.preferences.categories import Category
from notify.product_mail import product_mail_routes

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MailRoute:
    target: str
    template: str
    # Urgent staff mail always goes at once; the rest may wait for quiet hours or a digest.
    urgent: bool = False
    # The category a contact may opt out of; None for notices nobody can opt out of.
    category: Category | None = None
    # Sent to a case's watcher rather than its requester.
    watching: bool = False

    @property
    def contact_id(self) -> str | None:
        return self.target.removeprefix("contact:") if self.target.startswith("contact:") else None

    @property
    def staff_address(self) -> str | None:
        return self.target.removeprefix("staff:") if self.target.startswith("staff:") else None


def is_urgent(event_type: str, data: dict[str, Any]) -> bool:
    """A breach or an emergency never waits (docs/domain.md section 3 and [001][003])."""
    return event_type == "sla.breached" or "emergency" in event_type or bool(data.get("emergency"))


def mail_routes(
    event_type: str,
    data: dict[str, Any],
    settings: NotifySettings,
    watchers: Sequence[str] = (),
) -> list[MailRoute]:
    """Who gets a mail for an event, by rule (docs/domain.md section 4). ``watchers`` are
    the contact ids following the case; they get the case's updates as the requester does."""
    if (alerts := oncall_alerts.alert_targets(event_type, data, settings)) is not None:
        return [MailRoute(target, template, urgent=urgent) for target, template, urgent in alerts]
    contact = data.get("contact_id")
    requester = f"contact:{contact}" if contact else None

    def to_case_contacts(template: str) -> list[MailRoute]:
        assert requester is not None
        routes = [MailRoute(requester, template, category=Category.TICKET_UPDATES)]
        routes += [
            MailRoute(f"contact:{w}", template, category=Category.TICKET_UPDATES, watching=True)
            for w in watchers
            if str(w) != str(contact)
        ]
        return routes

    if event_type == "ticket.opened" and requester:
        # The case number mail [000][001]: essential, nobody opts out of it; but never an
        # automatic answer to automatic mail (tickets' loop protection, notify.mail.case_mail).
        if not acknowledgement_wanted(data):
            return []
        return [MailRoute(requester, "ticket_opened")]
    if event_type == "survey.invited" and requester:
        # Satisfaction survey [000]: a contact who switched survey mail off is not asked.
        return [MailRoute(requester, "survey_invitation", category=Category.SURVEYS)]
    if event_type == "ticket.replied" and requester and data.get("author_kind") == "staff":
        return to_case_contacts("ticket_replied")
    if event_type == "ticket.status_changed" and requester:
        # NEW → OPEN happens as a case is accepted: the number mail already said so.
        if data.get("previous_status") in (None, "NEW"):
            return []
        return to_case_contacts("ticket_status_changed")
    if event_type in ("sla.warning", "sla.breached"):
        template = event_type.replace(".", "_")
        urgent = is_urgent(event_type, data)
        return [
            MailRoute(f"staff:{address}", template, urgent=urgent)
            for address in settings.staff_addresses
        ]
    if event_type == "webhook_endpoint.disabled":
        # Its owner hears of it once: a customer's administrators, or the vendor's staff.
        if data.get("customer_id"):
            return [MailRoute(f"customer:{data['customer_id']}", "webhook_endpoint_disabled")]
        return [
            MailRoute(f"staff:{address}", "webhook_endpoint_disabled")
            for address in settings.staff_addresses
        ]
    if event_type in escalations.EVENTS:
        rows = escalations.mail_targets(event_type, data, settings.staff_addresses)
        return [MailRoute(t, name, urgent=u, category=c) for t, name, u, c in rows]
    return [MailRoute(**r) for r in product_mail_routes(event_type, data, settings, watchers)]


def _customer_of(data: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(data["customer_id"])) if data.get("customer_id") else None
    except ValueError:
        return None


async def _watchers(session: AsyncSession, event_type: str, data: dict[str, Any]) -> list[str]:
    if not event_type.startswith("ticket.") or not data.get("ticket_id"):
        return []
    try:
        ticket_id = uuid.UUID(str(data["ticket_id"]))
    except ValueError:
        return []
    rows = await session.scalars(
        select(TicketWatcher.contact_id)
        .where(TicketWatcher.ticket_id == ticket_id)
        .order_by(TicketWatcher.created_at)
    )
    return [str(r) for r in rows]


async def _opted_out(session: AsyncSession, routes: list[MailRoute]) -> dict[str, set[str]]:
    ids: set[uuid.UUID] = set()
    for route in routes:
        if route.category is not None and route.contact_id:
            try:
                ids.add(uuid.UUID(route.contact_id))
            except ValueError:
                continue
    if not ids:
        return {}
    rows = await session.execute(
        select(ContactPreference.contact_id, ContactPreference.opted_out).where(
            ContactPreference.contact_id.in_(ids)
        )
    )
    return {str(contact_id): set(opted_out) for contact_id, opted_out in rows}


async def _wanted_mail(
    session: AsyncSession,
    event: CloudEvent,
    data: dict[str, Any],
    settings: NotifySettings,
    now: datetime,
) -> list[MailRoute]:
    """The event's mail routes less what contacts opted out of; non-urgent staff mail is
    held for the digest when quiet hours or a digest interval say so."""
    routes = mail_routes(event.type, data, settings)
    if any(r.category is Category.TICKET_UPDATES for r in routes):
        # Only a case update reads its watchers: most events cost no query here.
        watchers = await _watchers(session, event.type, data)
        if watchers:
            routes = mail_routes(event.type, data, settings, watchers)
    if not routes:
        return []
    opted_out = await _opted_out(session, routes)
    routes = [
        r
        for r in routes
        if r.category is None or r.category not in opted_out.get(r.contact_id or "", set())
    ]
    if not any(r.staff_address and not r.urgent for r in routes):
        return routes
    release = digest_policy.release_at(await digest.load_policy(session, settings), now)
    if release is None:
        return routes
    wanted: list[MailRoute] = []
    for route in routes:
        if route.staff_address and not route.urgent:
            await digest.hold(
                session,
                address=route.staff_address,
                template=route.template,
                event_id=event.id,
                event_type=event.type,
                event_time=event.time or now,
                data=data,
                release_at=release,
            )
        else:
            wanted.append(route)
    return wanted


async def route_event(
    session: AsyncSession,
    event: CloudEvent,
    settings: NotifySettings,
    *,
    now: datetime | None = None,
) -> int:
    """Writes the event's deliveries; returns how many were new. ``now`` is the clock
    quiet hours and digests are read against."""
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    customer_id = _customer_of(data)
    if event.type == INVITATION_EVENT:
        return await route_invitation(session, event, data, customer_id, settings)
    if (mail_event := await route_mail_event(session, event, data, settings)) is not None:
        return mail_event
    # An event for the customer's own targets only gets no mail (CUSTOMER_ONLY).
    routes = (
        []
        if data.get(CUSTOMER_ONLY) is True
        else await _wanted_mail(session, event, data, settings, now or datetime.now(UTC))
    )
    mail = [
        MailRow(
            target=route.target,
            template=route.template,
            urgent=route.urgent,
            watching=route.watching,
            customer_id=None if route.staff_address else customer_id,
        )
        for route in routes
    ]
    if event.type == "lifecycle.milestones_changed":
        await plan_announcements(session, event, data)
    # A delivery's customer_id is whose target it is (the customer's own endpoint, channel or
    # contact), so a customer's administrators never see deliveries to the vendor's targets.
    count = await write_deliveries(
        session,
        event_id=event.id,
        event_source=event.source,
        event_type=event.type,
        event_time=event.time or datetime.now(UTC),
        customer_id=customer_id,
        data=data,
        mail=mail,
        trace_context=trace_context(event),
    )
    log.info("event_routed", event_id=event.id, type=event.type, deliveries=count)
    return count


async def route_invitation(
    session: AsyncSession,
    event: CloudEvent,
    data: dict[str, Any],
    customer_id: uuid.UUID | None,
    settings: NotifySettings,
) -> int:
    """One mail to the invited contact (``contact:<id>``, checked against the address the
    invitation names when it is sent), with the token sealed. Only contracts invites."""
    token = data.get("token")
    # Whatever becomes of it, the inbox keeps the event without its token.
    envelope = event.model_dump(mode="json", exclude_none=True)
    envelope["data"] = without_secrets(data)
    await session.execute(
        update(inbox_events)
        .where(inbox_events.c.source == event.source, inbox_events.c.id == event.id)
        .values(envelope=envelope)
    )
    try:
        contact_id = uuid.UUID(str(data.get("contact_id")))
    except ValueError:
        contact_id = None
    if (
        event.source != INVITATION_SOURCE
        or customer_id is None
        or contact_id is None
        or not isinstance(token, str)
        or not INVITATION_TOKEN.fullmatch(token)
        or not isinstance(data.get("email"), str)
    ):
        log.warning("invitation_unreadable", event_id=event.id, source=event.source)
        return 0
    inserted = await session.execute(
        insert(deliveries_table)
        .values(
            id=uuid.uuid4(),
            event_id=event.id,
            event_source=event.source,
            event_type=event.type,
            event_time=event.time or datetime.now(UTC),
            # The customer's administrators see that it went out, never the token.
            customer_id=customer_id,
            channel="email",
            target=f"contact:{contact_id}",
            endpoint_id=None,
            payload={
                "template": INVITATION_TEMPLATE,
                "urgent": False,
                "data": without_secrets(data),
                SEALED_TOKEN: settings.secret_box().seal(token),
                **trace_context(event),
            },
        )
        .on_conflict_do_nothing(index_elements=["event_id", "target"])
        .returning(deliveries_table.c.id)
    )
    count = len(inserted.all())
    if count:
        mark_written(session.info, deliveries_table)
    log.info("event_routed", event_id=event.id, type=event.type, deliveries=count)
    return count
