"""What of an event reaches endpoints rather than mail (``notify.event_privacy``): a
survey's one-time link is in the contact's mail only, and the on-call staff's addresses
reach the vendor's endpoints but never a customer's own. Real receivers and a real SMTP
server on 127.0.0.1."""

from __future__ import annotations

import json

from notify_testkit import drain, post_event, staff, ticket_event

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client
from notify.event_privacy import for_customer_targets, for_vendor_targets

LINK = "http://127.0.0.1:8000/api/tickets/v1/surveys/abc.123.sig"
ON_CALL = "oncall@vendor.example"


def test_what_endpoints_get_of_each_event():
    survey = {"number": "CS-1", "survey_url": LINK, "survey_id": "s"}
    emergency = {"number": "CS-2", "on_call": [ON_CALL], "reason": "down"}
    assert for_vendor_targets("survey.invited", survey) == {"number": "CS-1", "survey_id": "s"}
    assert for_customer_targets("survey.invited", survey) == {"number": "CS-1", "survey_id": "s"}
    assert for_vendor_targets("ticket.emergency", emergency) == emergency
    assert for_customer_targets("ticket.emergency", emergency) == {
        "number": "CS-2",
        "reason": "down",
    }
    assert for_customer_targets("visit.started", {"on_call": [], "location": "x"}) == {
        "location": "x"
    }
    to_sales = {"number": "CS-4", "note": "price it high", "routed_by": "agent@example.com"}
    assert for_vendor_targets("feature_request.to_sales", to_sales) == to_sales
    assert for_customer_targets("feature_request.to_sales", to_sales) == {"number": "CS-4"}
    opened = {"number": "CS-3", "survey_url": "kept: not a survey invitation"}
    assert for_customer_targets("ticket.opened", opened) == opened


async def test_a_customers_webhook_gets_neither_the_survey_link_nor_staff_addresses(
    live_notify,
    smtp_server,
    receiver,
    contracts_transport,
    demo_contacts,
    notify_minter,
    notify_engine,
):
    inbox, port = smtp_server
    target, url = receiver
    ana = demo_contacts["ana@acme-water.example"]
    admin = notify_minter.headers(Role.CUSTOMER_ADMIN, customer_id=ana["customer_id"])
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            staff_addresses=["team@vendor.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        for path, headers in (("/customer", admin), ("/vendor", staff(notify_minter))):
            made = await client.post(
                "/v1/webhook-endpoints",
                json={"url": f"{url}{path}", "event_types": ["*"]},
                headers=headers,
            )
            assert made.status_code == 201, made.text
        common = {"contact_id": ana["id"], "customer_id": ana["customer_id"], "language": None}
        for event in (
            ticket_event(
                "survey.invited",
                number="CS-000301",
                status="CLOSED",
                survey_url=LINK,
                expires_at="2027-01-02T12:00:00+00:00",
                **common,
            ),
            ticket_event(
                "ticket.emergency",
                number="CS-000302",
                emergency=True,
                reason="All sites offline",
                on_call=[ON_CALL],
                customer_name="Acme Water",
                support_center="broomfield",
                declared_by="ana@acme-water.example",
                **common,
            ),
        ):
            assert (await post_event(client, notify_minter, event)).status_code in (200, 202)
        await drain(app.state.delivery_worker, notify_engine)

    received = {
        (r["path"], json.loads(r["body"])["type"]): r["body"].decode()
        if isinstance(r["body"], bytes)
        else r["body"]
        for r in target.requests
    }
    assert set(received) == {
        (p, t) for p in ("/customer", "/vendor") for t in ("survey.invited", "ticket.emergency")
    }
    # The survey went out, as everyone subscribed hears; its link is in no webhook.
    for path in ("/customer", "/vendor"):
        survey = json.loads(received[(path, "survey.invited")])["data"]
        assert survey["number"] == "CS-000301" and "survey_url" not in survey
        assert "abc.123.sig" not in received[(path, "survey.invited")]
    # The customer hears of its emergency without the staff on call; the vendor's own does.
    theirs = json.loads(received[("/customer", "ticket.emergency")])["data"]
    assert (theirs["number"], theirs["reason"]) == ("CS-000302", "All sites offline")
    assert "on_call" not in theirs and ON_CALL not in received[("/customer", "ticket.emergency")]
    assert json.loads(received[("/vendor", "ticket.emergency")])["data"]["on_call"] == [ON_CALL]
    # The mail still goes out whole: the survey link to the contact, the alert to the on-call.
    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {"ana@acme-water.example", ON_CALL}
    assert LINK in by_recipient["ana@acme-water.example"].get_body(("plain",)).get_content()
    assert by_recipient[ON_CALL]["Subject"].startswith("[CS-000302] EMERGENCY")
