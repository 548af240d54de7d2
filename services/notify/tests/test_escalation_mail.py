"""Escalation and change request mail (seeds 000 and 002): to the region's Client Services
Manager, to staff, and to the requester, on a real SMTP server (aiosmtpd) on 127.0.0.1, with
recipients from the real contracts app."""

from __future__ import annotations

from notify_testkit import drain, post_event, staff, ticket_event

from careplane_shared.testing import asgi_client


def _contact(demo_contacts, email):
    contact = demo_contacts[email]
    return {"contact_id": contact["id"], "customer_id": contact["customer_id"]}


def _text(message):
    return message.get_body(("plain",)).get_content()


async def test_a_customer_escalation_mails_the_manager_and_the_customer(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = _contact(demo_contacts, "ana@acme-water.example")
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            staff_addresses=["support-team@vendor.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        escalated = ticket_event(
            "ticket.escalated",
            number="CS-000300",
            kind="CUSTOMER",
            reason="No answer for a week",
            csm_email="csm.americas@example.com",
            csm_name="Carla Americas",
            **ana,
        )
        assert (await post_event(client, notify_minter, escalated)).status_code in (200, 202)
        # Staff's internal hand-over mails nobody.
        internal = ticket_event("ticket.escalated", number="CS-000300", kind="INTERNAL", **ana)
        await post_event(client, notify_minter, internal)
        resolved = ticket_event(
            "ticket.escalation_resolved",
            number="CS-000300",
            kind="CUSTOMER",
            resolution="Fix planned for 3.1.5",
            **ana,
        )
        await post_event(client, notify_minter, resolved)
        await drain(app.state.delivery_worker, notify_engine)
        mails = await client.get(
            "/v1/deliveries", params={"channel": "email"}, headers=staff(notify_minter)
        )
        assert mails.json()["total"] == 3

    by_recipient: dict[str, list] = {}
    for message in inbox.messages:
        by_recipient.setdefault(message["To"], []).append(message)
    assert set(by_recipient) == {"csm.americas@example.com", "ana@acme-water.example"}
    [to_manager] = by_recipient["csm.americas@example.com"]
    assert to_manager["Subject"].startswith("[CS-000300] ESCALATED by the customer")
    assert "No answer for a week" in _text(to_manager)
    assert "Client Services Manager of the customer's region" in _text(to_manager)
    received, done = sorted(
        by_recipient["ana@acme-water.example"], key=lambda m: "resolved" in m["Subject"]
    )
    assert "Carla Americas" in _text(received)
    assert received["In-Reply-To"] == "<case.CS-000300@careplane.example>"
    assert "Fix planned for 3.1.5" in _text(done)


async def test_without_a_manager_the_support_team_is_mailed(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = _contact(demo_contacts, "ana@acme-water.example")
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            staff_addresses=["support-team@vendor.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        event = ticket_event(
            "ticket.escalated", kind="CUSTOMER", reason="Slow", csm_email=None, **ana
        )
        await post_event(client, notify_minter, event)
        await drain(app.state.delivery_worker, notify_engine)
    to_team = [m for m in inbox.messages if m["To"] == "support-team@vendor.example"]
    assert len(to_team) == 1 and "none is named" in _text(to_team[0])


async def test_change_requests_go_to_staff_and_decisions_to_the_customer_in_its_language(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    cora = _contact(demo_contacts, "cora@cobalt.example")
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            staff_addresses=["support-team@vendor.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        common = {"number": "CS-000400", "language": None, **cora}
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "ticket.change_requested",
                previous_priority="III",
                requested_priority="I",
                motivation="Niemand kan factureren",
                **common,
            ),
        )
        for decision, reason in (("REFUSED", "Er is een workaround"), ("ACCEPTED", "Akkoord")):
            await post_event(
                client,
                notify_minter,
                ticket_event(
                    "ticket.change_request_decided",
                    decision=decision,
                    previous_priority="III",
                    requested_priority="I",
                    reason=reason,
                    **common,
                ),
            )
        await drain(app.state.delivery_worker, notify_engine)

    [to_staff] = [m for m in inbox.messages if m["To"] == "support-team@vendor.example"]
    assert "III to I" in to_staff["Subject"] and "Niemand kan factureren" in _text(to_staff)
    to_cora = [m for m in inbox.messages if m["To"] == "cora@cobalt.example"]
    subjects = sorted(m["Subject"] for m in to_cora)
    assert subjects == [
        "[CS-000400] Uw wijzigingsverzoek is geaccepteerd: Pump station telemetry stopped",
        "[CS-000400] Uw wijzigingsverzoek is geweigerd: Pump station telemetry stopped",
    ]
    assert all(m["Content-Language"] == "nl" for m in to_cora)
    refused = next(m for m in to_cora if "geweigerd" in m["Subject"])
    assert "Er is een workaround" in _text(refused) and "houdt prioriteit III" in _text(refused)
