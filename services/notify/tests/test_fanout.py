"""An event's deliveries, written in one statement (notify.fanout): which endpoints and chat
channels it reaches, the rows' owners and payloads, and a replay writing nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent
from notify.config import NotifySettings
from notify.models import ChatChannel, Delivery, TicketWatcher, WebhookEndpoint
from notify.routing import route_event


def endpoint(types: list[str], customer_id: uuid.UUID | None = None, **extra) -> WebhookEndpoint:
    return WebhookEndpoint(
        url="https://hooks.example/in",
        event_types=types,
        customer_id=customer_id,
        secret="sealed",
        created_by="test",
        **extra,
    )


def channel(types: list[str], customer_id: uuid.UUID | None = None, **extra) -> ChatChannel:
    return ChatChannel(
        kind="slack",
        name="support",
        webhook_url="sealed",
        event_types=types,
        customer_id=customer_id,
        **extra,
    )


def event(type_: str, **data) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="tickets",
        type=type_,
        time=datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
        data={"number": "CS-000007", "language": "en", **data},
    )


async def deliveries(session: AsyncSession, event_id: str) -> dict[str, Delivery]:
    rows = await session.scalars(select(Delivery).where(Delivery.event_id == event_id))
    return {row.target: row for row in rows}


async def test_an_event_reaches_the_subscribed_targets_of_its_customer_and_the_global_ones(
    notify_connection,
):
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    contact = uuid.uuid4()
    settings = NotifySettings(env="test", staff_addresses=[])
    async with AsyncSession(notify_connection) as session:
        everything = endpoint(["*"])
        own = endpoint(["ticket.opened"], ours)
        own_channel = channel(["ticket.opened", "ticket.closed"], ours)
        global_channel = channel(["*"])
        session.add_all(
            [
                everything,
                own,
                own_channel,
                global_channel,
                endpoint(["ticket.opened"], theirs),
                endpoint(["ticket.closed"], ours),
                endpoint(["*"], ours, disabled_at=datetime.now(UTC)),
                channel(["*"], theirs),
                channel(["ticket.opened"], ours, disabled_at=datetime.now(UTC)),
            ]
        )
        await session.flush()
        opened = event("ticket.opened", customer_id=str(ours), contact_id=str(contact))

        assert await route_event(session, opened, settings) == 5
        rows = await deliveries(session, opened.id)

        data = opened.data
        assert set(rows) == {
            f"webhook:{everything.id}",
            f"webhook:{own.id}",
            f"slack:{own_channel.id}",
            f"slack:{global_channel.id}",
            f"contact:{contact}",
        }
        # Whose target it is: the vendor's global ones belong to no customer.
        assert rows[f"webhook:{everything.id}"].customer_id is None
        assert rows[f"slack:{global_channel.id}"].customer_id is None
        assert rows[f"webhook:{own.id}"].customer_id == ours
        assert rows[f"slack:{own_channel.id}"].customer_id == ours
        assert rows[f"contact:{contact}"].customer_id == ours
        assert [rows[f"webhook:{own.id}"].endpoint_id, rows[f"slack:{own_channel.id}"].channel] == [
            own.id,
            "slack",
        ]
        for target in (f"webhook:{own.id}", f"slack:{own_channel.id}"):
            assert rows[target].payload == {"data": data}
        mail = rows[f"contact:{contact}"]
        assert (mail.channel, mail.endpoint_id) == ("email", None)
        assert mail.payload == {"template": "ticket_opened", "urgent": False, "data": data}
        for row in rows.values():
            assert (row.event_source, row.event_type, row.event_time, row.status) == (
                "tickets",
                "ticket.opened",
                opened.time,
                "pending",
            )
        assert len({row.id for row in rows.values()}) == 5

        # The same event again (a replay) writes nothing new.
        assert await route_event(session, opened, settings) == 0
        assert len(await deliveries(session, opened.id)) == 5


async def test_an_event_of_no_customer_reaches_only_global_targets(notify_connection):
    settings = NotifySettings(env="test", staff_addresses=["duty@careplane.example"])
    async with AsyncSession(notify_connection) as session:
        everything = endpoint(["*"])
        session.add_all([everything, endpoint(["*"], uuid.uuid4()), channel(["*"], uuid.uuid4())])
        await session.flush()
        breached = event("sla.breached", metric="first_response")

        assert await route_event(session, breached, settings) == 2
        rows = await deliveries(session, breached.id)

    assert set(rows) == {f"webhook:{everything.id}", "staff:duty@careplane.example"}
    staff = rows["staff:duty@careplane.example"]
    assert staff.customer_id is None
    assert staff.payload == {"template": "sla_breached", "urgent": True, "data": breached.data}


async def test_a_watcher_gets_the_case_update_marked_as_watching(notify_connection):
    customer, requester, watcher = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ticket = uuid.uuid4()
    settings = NotifySettings(env="test", staff_addresses=[])
    async with AsyncSession(notify_connection) as session:
        session.add(
            TicketWatcher(
                ticket_id=ticket,
                contact_id=watcher,
                customer_id=customer,
                email="watcher@acme.example",
                added_by="test",
            )
        )
        await session.flush()
        replied = event(
            "ticket.replied",
            ticket_id=str(ticket),
            customer_id=str(customer),
            contact_id=str(requester),
            author_kind="staff",
        )

        assert await route_event(session, replied, settings) == 2
        rows = await deliveries(session, replied.id)

    assert rows[f"contact:{requester}"].payload == {
        "template": "ticket_replied",
        "urgent": False,
        "data": replied.data,
    }
    assert rows[f"contact:{watcher}"].payload == {
        "template": "ticket_replied",
        "urgent": False,
        "data": replied.data,
        "watching": True,
    }
    assert {row.customer_id for row in rows.values()} == {customer}


async def test_an_event_for_the_customer_only_reaches_its_own_targets_and_no_mail(
    notify_connection,
):
    """``customer_only`` (tickets' late announcement of a case to its customer): no global
    endpoint or channel, no mail; the customer's own subscribed ones."""
    ours = uuid.uuid4()
    settings = NotifySettings(env="test", staff_addresses=["desk@vendor.example"])
    async with AsyncSession(notify_connection) as session:
        own, own_channel, everything = (
            endpoint(["ticket.opened"], ours),
            channel(["*"], ours),
            endpoint(["*"]),
        )
        session.add_all([own, own_channel, everything, channel(["*"])])
        await session.flush()
        late = event(
            "ticket.opened",
            customer_id=str(ours),
            contact_id=str(uuid.uuid4()),
            customer_only=True,
        )

        assert await route_event(session, late, settings) == 2
        assert set(await deliveries(session, late.id)) == {
            f"webhook:{own.id}",
            f"slack:{own_channel.id}",
        }
