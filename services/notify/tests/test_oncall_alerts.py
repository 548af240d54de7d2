"""On-call alerts (seeds 001, 003): ``ticket.emergency`` and ``visit.started`` mail the
staff on call at once, in a real SMTP server on 127.0.0.1, and reach the chat channels."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from notify_testkit import drain, post_event, staff, ticket_event

from careplane_shared.testing import asgi_client


async def test_an_emergency_mails_the_on_call_staff_and_posts_to_chat(
    live_notify, smtp_server, receiver, notify_minter, notify_engine
):
    inbox, port = smtp_server
    target, url = receiver
    async with (
        live_notify(smtp_port=port, staff_addresses=["team@vendor.example"]) as app,
        asgi_client(app) as client,
    ):
        made = await client.post(
            "/v1/chat-channels",
            json={
                "kind": "slack",
                "name": "#on-call",
                "webhook_url": f"{url}/slack",
                "event_types": ["ticket.emergency"],
            },
            headers=staff(notify_minter),
        )
        assert made.status_code == 201, made.text
        event = ticket_event(
            "ticket.emergency",
            number="CS-000900",
            emergency=True,
            reason="All sites offline",
            on_call=["oncall@vendor.example"],
            customer_name="Delta Secure",
            support_center="wallingford",
            declared_by="dan@delta.example",
        )
        assert (await post_event(client, notify_minter, event)).status_code in (200, 202)
        await drain(app.state.delivery_worker, notify_engine)
    [mail] = inbox.messages
    assert mail["To"] == "oncall@vendor.example"
    assert mail["Subject"].startswith("[CS-000900] EMERGENCY")
    assert "All sites offline" in mail.get_body(("plain",)).get_content()
    [posted] = [r for r in target.requests if r["path"] == "/slack"]
    assert "EMERGENCY" in json.dumps(json.loads(posted["body"]))


async def test_a_visit_start_with_nobody_on_call_mails_the_support_team(
    live_notify, smtp_server, notify_minter, notify_engine
):
    inbox, port = smtp_server
    async with (
        live_notify(smtp_port=port, staff_addresses=["team@vendor.example"]) as app,
        asgi_client(app) as client,
    ):
        event = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "tickets",
            "type": "visit.started",
            "time": datetime.now(UTC).isoformat(),
            "data": {
                "visit_id": str(uuid.uuid4()),
                "customer_id": str(uuid.uuid4()),
                "customer_name": "Borealis Health",
                "support_center": "broomfield",
                "starts_at": "2026-12-07T14:00:00+00:00",
                "ends_at": "2026-12-07T18:00:00+00:00",
                "location": "Riverside plant",
                "on_call": [],
            },
        }
        assert (await post_event(client, notify_minter, event)).status_code in (200, 202)
        await drain(app.state.delivery_worker, notify_engine)
    [mail] = inbox.messages
    assert mail["To"] == "team@vendor.example"
    assert (
        mail["Subject"]
        == "Scheduled visit started: Borealis Health until 2026-12-07T18:00:00+00:00"
    )
    assert "within 15 minutes" in mail.get_body(("plain",)).get_content()


def _visit_event(type_: str, customer_id: str, **data) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "tickets",
        "type": type_,
        "time": datetime.now(UTC).isoformat(),
        "data": {
            "visit_id": str(uuid.uuid4()),
            "customer_id": customer_id,
            "customer_name": "Borealis Health",
            "starts_at": "2026-12-09T14:00:00+00:00",
            "ends_at": "2026-12-09T18:00:00+00:00",
            **data,
        },
    }


async def test_staff_hear_of_requests_and_the_customer_of_confirmations(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    borealis = demo_contacts["bo@borealis.example"]["customer_id"]
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            staff_addresses=["team@vendor.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        for type_ in ("visit.requested", "visit.confirmed"):
            event = _visit_event(type_, borealis, purpose="Go-live")
            assert (await post_event(client, notify_minter, event)).status_code in (200, 202)
        await drain(app.state.delivery_worker, notify_engine)
    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {"team@vendor.example", "bo@borealis.example"}
    assert by_recipient["team@vendor.example"]["Subject"].startswith("Visit requested: Borealis")
    confirmed = by_recipient["bo@borealis.example"]
    assert confirmed["Subject"] == "Your visit is confirmed: 2026-12-09T14:00:00+00:00"
    assert "within 15 minutes" in confirmed.get_body(("plain",)).get_content()
