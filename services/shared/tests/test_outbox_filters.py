"""The outbox writes an event's rows only for the destinations whose filter wants its type."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from careplane_shared.events import Outbox
from careplane_shared.events.wakeup import committed_rows
from careplane_shared.settings import DatabaseSettings

DESTINATIONS = {
    "contracts": "http://contracts/v1/events",
    "notify": "http://notify/v1/events",
    "billing": "http://billing/v1/events",
}
FILTERS = {"contracts": ["ticket.closed", "ticket.reopened"], "billing": ["billing.*"]}


async def test_rows_only_for_the_destinations_that_want_the_type(shared_engine, tables):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(tables.outbox, source="sender", destinations=DESTINATIONS, event_types=FILTERS)
    async with maker() as session, session.begin():
        opened = await outbox.emit(session, "ticket.opened", {"n": 1})
        closed = await outbox.emit(session, "ticket.closed", {"n": 2})
        billed = await outbox.emit(session, "billing.item_recorded", {"n": 3})

    async with maker() as session:
        rows = (
            await session.execute(select(tables.outbox.c.id, tables.outbox.c.destination))
        ).all()
    by_event: dict[str, set[str]] = {}
    for row in rows:
        by_event.setdefault(str(row.id), set()).add(row.destination)
    assert by_event == {
        opened.id: {"notify"},  # notify is unfiltered: every event
        closed.id: {"contracts", "notify"},
        billed.id: {"billing", "notify"},
    }


async def test_an_event_no_destination_wants_writes_nothing_and_wakes_no_relay(
    shared_engine, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(
        tables.outbox,
        source="sender",
        destinations={"contracts": DESTINATIONS["contracts"]},
        event_types=FILTERS,
    )
    with committed_rows(tables.outbox) as written:
        async with maker() as session, session.begin():
            event = await outbox.emit(session, "ticket.replied", {"n": 1}, subject="CS-1")
        assert not written.is_set()
    assert event.type == "ticket.replied" and event.subject == "CS-1"
    async with maker() as session:
        assert (await session.execute(select(tables.outbox.c.id))).all() == []


class ExampleSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore")


def test_the_filters_are_read_from_the_environment_and_checked(monkeypatch):
    assert ExampleSettings(env="test").outbox_event_types == {}  # default: no filter
    monkeypatch.setenv("EXAMPLE_OUTBOX_EVENT_TYPES", '{"contracts": ["ticket.closed", "quota.*"]}')
    assert ExampleSettings(env="test").outbox_event_types == {
        "contracts": ["ticket.closed", "quota.*"]
    }
    monkeypatch.setenv("EXAMPLE_OUTBOX_EVENT_TYPES", '{"contracts": ["ticket*"]}')
    with pytest.raises(ValidationError, match="'ticket\\*' is neither an event type"):
        ExampleSettings(env="test")
