"""CloudEvents batches: the relay posts one batch per destination and round, the inbox
takes it in one transaction and answers event by event; single events work as before."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.auth import Role
from careplane_shared.errors import ValidationFailed
from careplane_shared.events import (
    CLOUDEVENTS_BATCH_CONTENT_TYPE,
    CLOUDEVENTS_CONTENT_TYPE,
    CloudEvent,
    Inbox,
    Outbox,
    OutboxRelay,
    new_event,
)
from careplane_shared.testing import asgi_client, running_app

BATCH_HEADERS = {"content-type": CLOUDEVENTS_BATCH_CONTENT_TYPE}


class Recording(httpx.AsyncBaseTransport):
    """Passes every post to the receiver and keeps what it carried; ``refuse_batches``
    (a status) answers batches the way a receiver that takes only single events does."""

    def __init__(self, receiver: httpx.AsyncBaseTransport, *, refuse_batches: int | None = None):
        self.receiver = receiver
        self.refuse_batches = refuse_batches
        self.posts: list[tuple[str, str, list[str]]] = []  # host, content type, event ids

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(await request.aread())
        events = body if isinstance(body, list) else [body]
        content_type = request.headers["content-type"]
        self.posts.append((request.url.host, content_type, [e["id"] for e in events]))
        if self.refuse_batches and content_type == CLOUDEVENTS_BATCH_CONTENT_TYPE:
            return httpx.Response(self.refuse_batches, json={"detail": "not an event"})
        return await self.receiver.handle_async_request(request)


def side_effects_inbox(tables, refuse: Callable[[CloudEvent], None] | None = None) -> Inbox:
    """An inbox whose every event leaves a row behind (an idempotency key named after
    it), then lets ``refuse`` fail it: what a failed event leaves is visible."""

    async def act(session: AsyncSession, event: CloudEvent) -> None:
        await session.execute(
            insert(tables.idempotency).values(
                owner=event.source, key=event.id, method="POST", path="/act", request_hash="-"
            )
        )
        if refuse is not None:
            refuse(event)

    return Inbox(tables.inbox, default=act)


def refuse_probes(event: CloudEvent) -> None:
    if event.type == "probe.refused":
        raise ValidationFailed("This event is refused.", code="PROBE_REFUSED")
    if event.type == "probe.broken":
        raise RuntimeError("a bug in a handler")


async def kept(maker, tables) -> tuple[set[str], set[str]]:
    """The ids of the events the inbox kept, and of those whose handler's work was kept."""
    async with maker() as session:
        inbox = set((await session.execute(select(tables.inbox.c.id))).scalars())
        acted = set((await session.execute(select(tables.idempotency.c.key))).scalars())
    return inbox, acted


async def test_a_round_posts_one_batch_per_destination_in_written_order(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(
        tables.outbox,
        source="sender",
        destinations={"a": "http://a/v1/events", "b": "http://b/v1/events"},
    )
    emitted = []
    for n in range(12):  # a transaction each: the order they were written in is known
        async with maker() as session, session.begin():
            emitted.append((await outbox.emit(session, "ticket.opened", {"n": n})).id)

    receiver = example_service(shared_db_url, minter)
    recording = Recording(httpx.ASGITransport(app=receiver))
    async with (
        running_app(receiver),
        httpx.AsyncClient(transport=recording, headers=minter.headers(Role.SERVICE)) as client,
    ):
        relay = OutboxRelay(maker, tables.outbox, client, outbox.destinations, batch_size=50)
        assert await relay.run_once() == 24
        assert await relay.run_once() == 0

    assert sorted(recording.posts) == [
        ("a", CLOUDEVENTS_BATCH_CONTENT_TYPE, emitted),
        ("b", CLOUDEVENTS_BATCH_CONTENT_TYPE, emitted),
    ]
    async with maker() as session:
        undelivered = await session.scalar(
            select(func.count()).where(tables.outbox.c.delivered_at.is_(None))
        )
    assert undelivered == 0
    # Both destinations are the same receiver here: the second batch was all repeats.
    assert (await kept(maker, tables))[0] == set(emitted)


async def test_the_inbox_answers_a_batch_event_by_event(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    handled: list[str] = []

    async def record(_: AsyncSession, event: CloudEvent) -> None:
        handled.append(event.id)

    receiver = example_service(shared_db_url, minter, inbox=Inbox(tables.inbox, default=record))
    first, second, third = (
        new_event(type="ticket.opened", source="sender", data={"n": n}).model_dump(mode="json")
        for n in range(3)
    )
    headers = minter.headers(Role.SERVICE)
    async with running_app(receiver), asgi_client(receiver, headers=headers) as client:
        single = await client.post(
            "/v1/events", json=first, headers={"content-type": CLOUDEVENTS_CONTENT_TYPE}
        )
        batch = await client.post(
            "/v1/events",
            content=json.dumps([second, first, second, third]),
            headers=BATCH_HEADERS,
        )
        again = await client.post("/v1/events", content=json.dumps([third]), headers=BATCH_HEADERS)
        empty = await client.post("/v1/events", content="[]", headers=BATCH_HEADERS)

    # A single event is answered exactly as before batches existed.
    assert single.status_code == 202
    assert single.json() == {"id": first["id"], "accepted": True}
    assert batch.status_code == 200
    assert [(a["id"], a["accepted"], a["status"]) for a in batch.json()] == [
        (second["id"], True, 202),
        (first["id"], False, 200),  # received before, as a single event
        (second["id"], False, 200),  # a repeat within the batch
        (third["id"], True, 202),
    ]
    assert all(a["source"] == "sender" and a["error"] is None for a in batch.json())
    assert [(a["id"], a["accepted"], a["status"]) for a in again.json()] == [
        (third["id"], False, 200)
    ]
    assert (empty.status_code, empty.json()) == (200, [])
    assert handled == [first["id"], second["id"], third["id"]]
    assert (await kept(maker, tables))[0] == {first["id"], second["id"], third["id"]}


async def test_an_event_that_fails_is_left_out_of_its_batch_alone(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    receiver = example_service(
        shared_db_url, minter, inbox=side_effects_inbox(tables, refuse_probes)
    )
    types = ["ticket.opened", "probe.refused", "ticket.replied", "probe.broken", "ticket.closed"]
    events = [
        new_event(type=type_, source="sender", data={}).model_dump(mode="json") for type_ in types
    ]
    headers = minter.headers(Role.SERVICE)
    async with running_app(receiver), asgi_client(receiver, headers=headers) as client:
        response = await client.post(
            "/v1/events", content=json.dumps(events), headers=BATCH_HEADERS
        )
        single = await client.post("/v1/events", json=events[1])

    assert response.status_code == 200
    acks = response.json()
    assert [(a["id"], a["status"], a["accepted"]) for a in acks] == [
        (events[0]["id"], 202, True),
        (events[1]["id"], 422, False),
        (events[2]["id"], 202, True),
        (events[3]["id"], 500, False),
        (events[4]["id"], 202, True),
    ]
    assert acks[1]["error"]["code"] == "PROBE_REFUSED"
    assert acks[3]["error"]["code"] == "INTERNAL_ERROR"
    # A single event's failure is still the request's own error.
    assert single.status_code == 422
    assert single.json()["error"]["code"] == "PROBE_REFUSED"
    # Nothing of a failed event was kept: neither its inbox row nor its handler's work.
    good = {events[0]["id"], events[2]["id"], events[4]["id"]}
    assert await kept(maker, tables) == (good, good)


async def test_the_relay_retries_only_the_events_that_failed(
    shared_engine, shared_db_url, minter, example_service, tables
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(tables.outbox, source="sender", destinations={"x": "http://x/v1/events"})
    async with maker() as session, session.begin():
        good = (await outbox.emit(session, "ticket.opened", {})).id
        refused = (await outbox.emit(session, "probe.refused", {})).id
        broken = (await outbox.emit(session, "probe.broken", {})).id

    receiver = example_service(
        shared_db_url, minter, inbox=side_effects_inbox(tables, refuse_probes)
    )
    recording = Recording(httpx.ASGITransport(app=receiver))
    async with (
        running_app(receiver),
        httpx.AsyncClient(transport=recording, headers=minter.headers(Role.SERVICE)) as client,
    ):
        relay = OutboxRelay(maker, tables.outbox, client, outbox.destinations)
        assert await relay.run_once() == 3
        assert await relay.run_once() == 0  # the failed ones wait for their backoff

    assert len(recording.posts) == 1
    t = tables.outbox
    async with maker() as session:
        rows = {
            str(row.id): row
            for row in await session.execute(
                select(
                    t.c.id,
                    t.c.delivered_at,
                    t.c.attempts,
                    t.c.last_error,
                    t.c.locked_by,
                    t.c.available_at > func.now(),
                )
            )
        }
    assert rows[good].delivered_at is not None and rows[good].last_error is None
    for failed, code in ((refused, "PROBE_REFUSED"), (broken, "INTERNAL_ERROR")):
        row = rows[failed]
        assert row.delivered_at is None and row.locked_by is None and row.attempts == 1
        assert code in row.last_error
        assert row[-1]  # available again only after its backoff
    assert await kept(maker, tables) == ({good}, {good})


@pytest.mark.parametrize("status", [415, 422])
async def test_a_receiver_that_refuses_batches_gets_the_events_one_by_one(
    shared_engine, shared_db_url, minter, example_service, tables, status
):
    maker = async_sessionmaker(shared_engine, expire_on_commit=False)
    outbox = Outbox(tables.outbox, source="sender", destinations={"old": "http://old/v1/events"})
    async with maker() as session, session.begin():
        emitted = {(await outbox.emit(session, "ticket.opened", {"n": n})).id for n in range(4)}

    receiver = example_service(shared_db_url, minter)
    recording = Recording(httpx.ASGITransport(app=receiver), refuse_batches=status)
    async with (
        running_app(receiver),
        httpx.AsyncClient(transport=recording, headers=minter.headers(Role.SERVICE)) as client,
    ):
        relay = OutboxRelay(maker, tables.outbox, client, outbox.destinations)
        assert await relay.run_once() == 4

    content_types = [content_type for _, content_type, _ in recording.posts]
    assert content_types == [CLOUDEVENTS_BATCH_CONTENT_TYPE] + [CLOUDEVENTS_CONTENT_TYPE] * 4
    assert {ids[0] for _, content_type, ids in recording.posts[1:]} == emitted
    async with maker() as session:
        undelivered = await session.scalar(
            select(func.count()).where(tables.outbox.c.delivered_at.is_(None))
        )
    assert undelivered == 0
    assert (await kept(maker, tables))[0] == emitted


async def test_an_invalid_event_is_refused_as_before_batches_existed(
    shared_engine, shared_db_url, minter, example_service
):
    receiver = example_service(shared_db_url, minter)
    headers = minter.headers(Role.SERVICE)
    valid = {"id": str(uuid.uuid4()), "source": "sender", "type": "ticket.opened"}
    async with running_app(receiver), asgi_client(receiver, headers=headers) as client:
        single = await client.post("/v1/events", json={"source": "sender", "type": "x"})
        batch = await client.post(
            "/v1/events", content=json.dumps([valid, {"id": 7}]), headers=BATCH_HEADERS
        )
        unauthenticated = await client.post(
            "/v1/events", json=[valid], headers={"authorization": ""}
        )

    assert single.status_code == 422
    assert single.json()["error"]["code"] == "VALIDATION_ERROR"
    assert [d["loc"] for d in single.json()["error"]["details"]] == [["body", "id"]]
    assert batch.status_code == 422
    assert ["body", 1, "source"] in [d["loc"] for d in batch.json()["error"]["details"]]
    assert unauthenticated.status_code == 401
