"""Maintenance windows: mailed to the affected customers' contacts through a real SMTP server
with an iCalendar attachment that a small RFC 5545 reader below (not our writer) parses;
cancelled with METHOD:CANCEL, the same UID and SEQUENCE + 1."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from notify_testkit import drain, staff

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client
from notify.maintenance.ics import CalendarEvent, calendar, escape_text, fold

# -- a reader of our own for what a calendar client sees --------------------------------------


def unfold(raw: str) -> list[str]:
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
    physical = raw.split("\r\n")[:-1]
    for line in physical:
        assert len(line.encode()) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def parse_ics(raw: str) -> dict[str, dict[str, str]]:
    """{"VCALENDAR": {...}, "VEVENT": {...}}: each component's properties (names with their
    parameters as written), values unescaped."""
    components: dict[str, dict[str, str]] = {}
    stack: list[str] = []
    for line in unfold(raw):
        # The name (and parameters) end at the first colon outside a quoted parameter value.
        match = re.match(r'^((?:[^:"]|"[^"]*")*):(.*)$', line)
        assert match, line
        name, value = match[1], match[2]
        if name == "BEGIN":
            stack.append(value)
            components[value] = {}
        elif name == "END":
            assert stack.pop() == value
        else:
            components[stack[-1]][name] = unescape(value)
    assert not stack
    return components


def calendar_part(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part


# -- the pure writer --------------------------------------------------------------------------


def test_text_values_are_escaped():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert unescape(escape_text("a,b;c\\d\ne")) == "a,b;c\\d\ne"


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=400))
def test_folding_keeps_lines_within_75_octets_and_unfolds_to_the_original(text):
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join([physical[0], *(p[1:] for p in physical[1:])]) == line


def test_a_calendar_object():
    start = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    raw = calendar(
        CalendarEvent(
            uid="maintenance-1@careplane.example",
            sequence=0,
            stamped_at=datetime(2026, 11, 22, 10, 30, 5, tzinfo=UTC),
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            summary="Maintenance: DB upgrade; phase 1, part A",
            description="Line one\nLine two with ümlauts " + "x" * 100,
            organizer="Careplane Support <support@careplane.example>",
        )
    )
    parsed = parse_ics(raw)
    assert parsed["VCALENDAR"] == {
        "VERSION": "2.0",
        "PRODID": "-//Careplane//Maintenance notices//EN",
        "CALSCALE": "GREGORIAN",
        "METHOD": "PUBLISH",
    }
    event = parsed["VEVENT"]
    assert event["DTSTART"] == "20261201T220000Z" and event["DTEND"] == "20261202T000000Z"
    assert event["DTSTAMP"] == "20261122T103005Z"
    assert event["SUMMARY"] == "Maintenance: DB upgrade; phase 1, part A"
    assert event["DESCRIPTION"].startswith("Line one\nLine two with ümlauts xxx")
    assert event["ORGANIZER;CN=Careplane Support"] == "mailto:support@careplane.example"


# -- end to end -------------------------------------------------------------------------------


async def test_a_window_is_mailed_with_a_calendar_file_and_cancelled_with_another(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(hour=21, minute=0, second=0)
    starts = starts.replace(microsecond=0)
    body = {
        "title": "Database upgrade, phase 1; PostgreSQL 17",
        "description": "The portal and the API are read-only.\nMail intake is queued. " * 3,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "kind": "scheduled",
    }
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        contact = notify_minter.headers(
            Role.CUSTOMER_ADMIN, customer_id=demo_contacts["bo@borealis.example"]["customer_id"]
        )
        refused = await client.post("/v1/maintenance-windows", json=body, headers=contact)
        assert refused.status_code == 403
        made = await client.post("/v1/maintenance-windows", json=body, headers=staff(notify_minter))
        assert made.status_code == 201, made.text
        window = made.json()
        await drain(app.state.delivery_worker, notify_engine)
        notices = list(inbox.messages)
        inbox.messages.clear()

        # A customer sees the windows it was told of, with its own recipient row only.
        own = await client.get(f"/v1/maintenance-windows/{window['id']}", headers=contact)
        cancelled = await client.post(
            f"/v1/maintenance-windows/{window['id']}/cancel",
            json={"reason": "The upgrade moves to January."},
            headers=staff(notify_minter),
        )
        assert cancelled.status_code == 200, cancelled.text
        again = await client.post(
            f"/v1/maintenance-windows/{window['id']}/cancel", json={}, headers=staff(notify_minter)
        )
        await drain(app.state.delivery_worker, notify_engine)
        cancellations = list(inbox.messages)
        detail = (
            await client.get(
                f"/v1/maintenance-windows/{window['id']}", headers=staff(notify_minter)
            )
        ).json()

    assert window["customers"] == 5 and window["sequence"] == 0
    assert window["uid"] == f"maintenance-{window['id']}@careplane.example"
    # Every registered contact of each customer with an active agreement: Borealis's Ben too.
    assert sorted(a for m in notices for a in m.envelope_to) == [
        "ana@acme-water.example",
        "ben@borealis.example",
        "bo@borealis.example",
        "cora@cobalt.example",
        "dan@delta.example",
        "finn@fjord.example",
    ]
    by_to = {m["To"]: m for m in notices}
    dutch = by_to["cora@cobalt.example"]
    assert dutch["Subject"].startswith("Gepland onderhoud: Database upgrade, phase 1")
    local = starts.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Amsterdam"))
    assert f"{local:%Y-%m-%d %H:%M}" in dutch["Subject"]
    for notice in notices:
        part = calendar_part(notice)
        assert part.get_param("method") == "PUBLISH"
        assert part.get_filename() == "maintenance.ics"
        parsed = parse_ics(part.get_content())
        event = parsed["VEVENT"]
        assert parsed["VCALENDAR"]["METHOD"] == "PUBLISH"
        assert event["UID"] == window["uid"] and event["SEQUENCE"] == "0"
        assert event["DTSTART"] == starts.strftime("%Y%m%dT%H%M%SZ")
        assert event["DTEND"] == (starts + timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
        assert event["SUMMARY"] == f"Maintenance: {body['title']}"
        assert event["DESCRIPTION"] == body["description"]
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])

    assert own.json()["customers"] == 1
    assert [r["customer_name"] for r in own.json()["recipients"]] == ["Borealis Health"]
    assert again.status_code == 409 and again.json()["error"]["code"] == "ALREADY_CANCELLED"

    assert len(cancellations) == 5
    for cancellation in cancellations:
        notice = by_to[cancellation["To"]]
        assert cancellation["In-Reply-To"] == notice["Message-ID"]
        part = calendar_part(cancellation)
        assert part.get_param("method") == "CANCEL"
        parsed = parse_ics(part.get_content())
        assert parsed["VCALENDAR"]["METHOD"] == "CANCEL"
        event = parsed["VEVENT"]
        assert event["UID"] == window["uid"] and event["SEQUENCE"] == "1"
        assert event["STATUS"] == "CANCELLED"
    english = by_to["ana@acme-water.example"]
    cancel_en = next(m for m in cancellations if m["To"] == "ana@acme-water.example")
    assert cancel_en["Subject"].startswith("Cancelled: Database upgrade")
    assert "The upgrade moves to January." in cancel_en.get_body(("plain",)).get_content()
    assert "America/Chicago" in english.get_body(("plain",)).get_content()
    assert detail["status"] == "cancelled" and detail["sequence"] == 1
    assert all(
        r["delivery_status"] == "succeeded" and r["cancel_delivery_status"] == "succeeded"
        for r in detail["recipients"]
    )


async def test_named_customers_only_and_unknown_ones_refused(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    echo = demo_contacts["eve@echo.example"]["customer_id"]
    starts = datetime.now(UTC) - timedelta(minutes=5)
    body = {
        "title": "Intake outage",
        "description": "Mail intake is down; we are on it.",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "kind": "unscheduled",
        # Named customers are told even without an active agreement (Echo's expired).
        "customer_ids": [echo],
    }
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        made = await client.post("/v1/maintenance-windows", json=body, headers=staff(notify_minter))
        assert made.status_code == 201, made.text
        unknown = await client.post(
            "/v1/maintenance-windows",
            json={**body, "customer_ids": [echo, str(uuid.uuid4())]},
            headers=staff(notify_minter),
        )
        backwards = await client.post(
            "/v1/maintenance-windows",
            json={**body, "ends_at": starts.isoformat()},
            headers=staff(notify_minter),
        )
        await drain(app.state.delivery_worker, notify_engine)
        listed = await client.get(
            "/v1/maintenance-windows",
            params={"kind": "unscheduled"},
            headers=staff(notify_minter),
        )
    [mail] = inbox.messages
    assert mail["To"] == "eve@echo.example"
    assert mail["Subject"].startswith("Unscheduled maintenance: Intake outage")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "UNKNOWN_CUSTOMERS"
    assert backwards.status_code == 422
    assert listed.json()["total"] == 1
