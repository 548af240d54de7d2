"""Scheduled customer visits (seed 001) through the API on real PostgreSQL, with the real
contracts app answering which plans include them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tickets.models import Ticket, outbox_events
from tickets.visits.models import OnCallShift, Visit
from tickets.visits.worker import announce_started


def _case(ids, **extra):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Cannot sign in on site",
        "description": "During the visit the dashboard refuses our administrator.",
        **extra,
    }


def _window(hours_ahead: float, hours: float = 3) -> dict[str, str]:
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def _events(connection, type_):
    rows = (
        await connection.execute(
            select(outbox_events.c.envelope).where(outbox_events.c.type == type_)
        )
    ).all()
    return list({r.envelope["id"]: r.envelope for r in rows}.values())


async def test_staff_book_a_confirmed_visit_two_days_ahead(
    live, login, demo_ids, tickets_connection
):
    agent = await login("agent@example.com")
    body = {"customer_id": demo_ids["Borealis Health"], "purpose": "Go-live", **_window(49)}
    response = await live.post("/v1/visits", json=body, headers=agent)
    assert response.status_code == 201, response.text
    visit = response.json()
    assert (visit["status"], visit["booked_by"]) == ("CONFIRMED", "agent@example.com")
    assert (visit["customer_name"], visit["support_center"]) == ("Borealis Health", "broomfield")
    [event] = await _events(tickets_connection, "visit.confirmed")
    assert event["data"]["visit_id"] == visit["id"]
    # The customer sees it; another customer does not, exactly as an unknown visit.
    bo = await login("bo@borealis.example")
    assert (await live.get(f"/v1/visits/{visit['id']}", headers=bo)).json()["id"] == visit["id"]
    ana = await login("ana@acme-water.example")
    for path in (f"/v1/visits/{visit['id']}", f"/v1/visits/{uuid.uuid4()}"):
        assert _error(await live.get(path, headers=ana)) == (404, "VISIT_NOT_FOUND")
    listed = (await live.get("/v1/visits", headers=ana)).json()
    assert (listed["total"], listed["items"]) == (0, [])
    assert (await live.get("/v1/visits", headers=bo)).json()["total"] == 1


async def test_a_visit_less_than_two_days_ahead_is_refused(
    live, login, demo_ids, tickets_connection
):
    agent = await login("agent@example.com")
    bo = await login("bo@borealis.example")
    body = {"customer_id": demo_ids["Borealis Health"], **_window(47)}
    assert _error(await live.post("/v1/visits", json=body, headers=agent)) == (
        422,
        "VISIT_TOO_SOON",
    )
    assert _error(await live.post("/v1/visits", json=_window(1), headers=bo)) == (
        422,
        "VISIT_TOO_SOON",
    )
    backwards = {"customer_id": demo_ids["Borealis Health"], **_window(72, hours=-1)}
    assert _error(await live.post("/v1/visits", json=backwards, headers=agent)) == (
        422,
        "VISIT_WINDOW_INVALID",
    )
    assert (await tickets_connection.execute(select(Visit.id))).all() == []


async def test_visits_only_where_the_plan_includes_them(live, login, demo_ids):
    # Acme Water is on InfoCare: no scheduled visits.
    agent = await login("agent@example.com")
    body = {"customer_id": demo_ids["Acme Water"], **_window(72)}
    response = await live.post("/v1/visits", json=body, headers=agent)
    assert _error(response) == (422, "VISIT_NOT_IN_PLAN")
    ana = await login("ana@acme-water.example")
    assert _error(await live.post("/v1/visits", json=_window(72), headers=ana)) == (
        422,
        "VISIT_NOT_IN_PLAN",
    )
    # A customer names no other customer: that one answers as unknown.
    other = {"customer_id": demo_ids["Borealis Health"], **_window(72)}
    assert _error(await live.post("/v1/visits", json=other, headers=ana)) == (
        404,
        "CUSTOMER_NOT_FOUND",
    )


async def test_a_customer_requests_staff_confirm_and_overlaps_are_refused(
    live, login, demo_ids, tickets_connection
):
    bo = await login("bo@borealis.example")
    agent = await login("agent@example.com")
    requested = await live.post("/v1/visits", json=_window(60), headers=bo)
    assert requested.status_code == 201, requested.text
    visit = requested.json()
    assert (visit["status"], visit["booked_by"]) == ("REQUESTED", None)
    assert (await _events(tickets_connection, "visit.requested"))[0]["data"]["visit_id"] == visit[
        "id"
    ]
    # The customer cannot confirm its own request.
    confirm = f"/v1/visits/{visit['id']}/confirm"
    assert _error(await live.post(confirm, headers=bo)) == (403, "ROLE_FORBIDDEN")
    overlapping = {"customer_id": demo_ids["Borealis Health"], **_window(61)}
    assert _error(await live.post("/v1/visits", json=overlapping, headers=agent)) == (
        409,
        "VISIT_OVERLAPS",
    )
    confirmed = await live.post(confirm, headers=agent)
    assert confirmed.json()["status"] == "CONFIRMED"
    assert _error(await live.post(confirm, headers=agent)) == (409, "VISIT_NOT_REQUESTED")
    cancelled = await live.post(
        f"/v1/visits/{visit['id']}/cancel", json={"reason": "Moved"}, headers=bo
    )
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "CANCELLED",
        "Moved",
    )


async def test_a_request_confirmed_too_late_is_refused(live, login, demo_ids, tickets_connection):
    bo = await login("bo@borealis.example")
    agent = await login("agent@example.com")
    visit = (await live.post("/v1/visits", json=_window(50), headers=bo)).json()
    # Two hours pass: the visit now starts in less than 48 hours.
    await tickets_connection.execute(
        Visit.__table__.update()
        .where(Visit.id == uuid.UUID(visit["id"]))
        .values(
            starts_at=datetime.now(UTC) + timedelta(hours=47),
            ends_at=datetime.now(UTC) + timedelta(hours=50),
        )
    )
    response = await live.post(f"/v1/visits/{visit['id']}/confirm", headers=agent)
    assert _error(response) == (422, "VISIT_TOO_SOON")


async def _running_visit(connection, customer_id: str, *, status: str = "CONFIRMED") -> uuid.UUID:
    """A visit booked days ago that runs now (booking it through the API would need a
    two-day wait)."""
    visit_id = uuid.uuid4()
    now = datetime.now(UTC)
    await connection.execute(
        Visit.__table__.insert().values(
            id=visit_id,
            customer_id=uuid.UUID(customer_id),
            customer_name="Borealis Health",
            support_center="broomfield",
            starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(hours=3),
            status=status,
            requested_by="agent@example.com",
            booked_by="agent@example.com",
            confirmed_at=now - timedelta(days=3),
        )
    )
    return visit_id


async def test_cases_opened_during_a_confirmed_visit_get_the_visit_target(
    live, login, demo_ids, tickets_connection
):
    bo = await login("bo@borealis.example")
    before = (await live.post("/v1/tickets", json=_case(demo_ids), headers=bo)).json()
    assert before["scheduled_visit"] is False
    assert before["sla"][0]["target_minutes"] in (120, 480)
    await _running_visit(tickets_connection, demo_ids["Borealis Health"])
    during = (await live.post("/v1/tickets", json=_case(demo_ids), headers=bo)).json()
    assert during["scheduled_visit"] is True
    first = during["sla"][0]
    assert (first["metric"], first["target_minutes"]) == ("FIRST_RESPONSE", 15)
    assert "during a scheduled customer visit" in first["explanation"][0]
    # A new customer message on the visit case awaits an answer within 15 minutes too.
    agent = await login("agent@example.com")
    path = f"/v1/tickets/{during['id']}/messages"
    await live.post(path, json={"body": "On it: calling you now."}, headers=agent)
    await live.post(path, json={"body": "Still refused after the reset."}, headers=bo)
    clocks = (await live.get(f"/v1/tickets/{during['id']}", headers=agent)).json()["sla"]
    next_response = [c for c in clocks if c["metric"] == "NEXT_RESPONSE"]
    assert [c["target_minutes"] for c in next_response] == [15]
    # Another customer's cases are not visit cases.
    ana = await login("ana@acme-water.example")
    other = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    assert other["scheduled_visit"] is False


async def test_a_requested_visit_gives_no_visit_target(live, login, demo_ids, tickets_connection):
    await _running_visit(tickets_connection, demo_ids["Borealis Health"], status="REQUESTED")
    bo = await login("bo@borealis.example")
    opened = (await live.post("/v1/tickets", json=_case(demo_ids), headers=bo)).json()
    assert opened["scheduled_visit"] is False


async def test_nobody_sets_the_visit_field_directly(live, login, demo_ids, tickets_connection):
    bo = await login("bo@borealis.example")
    agent = await login("agent@example.com")
    for who, body in (
        (bo, _case(demo_ids, scheduled_visit=True)),
        (bo, _case(demo_ids, scheduled_visit=False)),
        (agent, _case(demo_ids, contact_id=demo_ids["bo@borealis.example"], scheduled_visit=True)),
    ):
        response = await live.post("/v1/tickets", json=body, headers=who)
        assert _error(response) == (422, "SCHEDULED_VISIT_READ_ONLY")
        assert response.json()["error"]["details"] == {"field": "scheduled_visit"}
    assert (await tickets_connection.execute(select(Ticket.id))).all() == []


async def test_the_on_duty_staff_are_alerted_when_a_visit_starts(
    live, live_app, login, demo_ids, tickets_connection
):
    visit_id = await _running_visit(tickets_connection, demo_ids["Borealis Health"])
    now = datetime.now(UTC)
    for center, email in (("broomfield", "agent@example.com"), ("brisbane", "nobody@example.com")):
        await tickets_connection.execute(
            OnCallShift.__table__.insert().values(
                id=uuid.uuid4(),
                support_center=center,
                staff_email=email,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=8),
                created_by="manager@example.com",
            )
        )
    maker = live_app.state.database.sessionmaker
    async with maker() as session, session.begin():
        assert await announce_started(session, live_app.state.outbox) == 1
    async with maker() as session, session.begin():
        assert await announce_started(session, live_app.state.outbox) == 0
    [event] = await _events(tickets_connection, "visit.started")
    assert event["data"]["visit_id"] == str(visit_id)
    assert event["data"]["on_call"] == ["agent@example.com"]
    assert event["data"]["customer_id"] == demo_ids["Borealis Health"]
