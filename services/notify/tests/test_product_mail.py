"""Mail about ideas, feature requests and development fixes: recipients from the real
contracts app, a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import uuid

from notify_testkit import drain, post_event, staff, ticket_event

from careplane_shared.testing import asgi_client


def _idea_shipped(contact_ids: list[str]) -> dict:
    event = ticket_event("idea.shipped", customer_id=None)
    event["subject"] = str(uuid.uuid4())
    event["data"] = {
        "idea_id": event["subject"],
        "title": "GeoJSON export",
        "product_id": None,
        "status": "SHIPPED",
        "public": True,
        "customer_id": None,
        "version": "3.3",
        "contact_ids": contact_ids,
    }
    return event


async def test_everyone_who_asked_or_voted_hears_of_the_shipped_idea_in_their_language(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = demo_contacts["ana@acme-water.example"]["id"]
    cora = demo_contacts["cora@cobalt.example"]["id"]
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        # Ana asked and voted: named twice, mailed once.
        event = _idea_shipped([ana, cora, ana])
        accepted = await post_event(client, notify_minter, event)
        assert accepted.status_code in (200, 202), accepted.text
        await drain(app.state.delivery_worker, notify_engine)
        mails = await client.get(
            "/v1/deliveries",
            params={"channel": "email", "event_id": event["id"]},
            headers=staff(notify_minter),
        )
        assert mails.json()["total"] == 2

    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {"ana@acme-water.example", "cora@cobalt.example"}
    english = by_recipient["ana@acme-water.example"]
    assert english["Subject"] == "Your idea has shipped in version 3.3: GeoJSON export"
    assert english["Content-Language"] == "en"
    assert "Hello Ana" in english.get_body(("plain",)).get_content()
    dutch = by_recipient["cora@cobalt.example"]
    assert dutch["Subject"] == "Uw idee is uitgebracht in versie 3.3: GeoJSON export"
    assert dutch["Content-Language"] == "nl"


async def test_a_contact_who_opted_out_of_product_news_hears_nothing(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = demo_contacts["ana@acme-water.example"]
    cora = demo_contacts["cora@cobalt.example"]["id"]
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        opted = await client.put(
            f"/v1/contacts/{ana['id']}/preferences",
            json={"opted_out": ["product_news"]},
            headers=staff(notify_minter),
        )
        assert opted.status_code == 200, opted.text
        await post_event(client, notify_minter, _idea_shipped([ana["id"], cora]))
        await drain(app.state.delivery_worker, notify_engine)
    assert [m["To"] for m in inbox.messages] == ["cora@cobalt.example"]


async def test_the_customer_hears_of_the_fix_and_sales_of_the_customization(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    cora = demo_contacts["cora@cobalt.example"]
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            sales_addresses=["sales@vendor.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "ticket.development_fixed",
                number="CS-000300",
                status="PENDING",
                previous_status="WITH_DEVELOPMENT",
                issue_key="TW-4711",
                fixed_version="3.2.1",
                note="Import no longer crashes.",
                language="nl",
                contact_id=cora["id"],
                customer_id=cora["customer_id"],
            ),
        )
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "feature_request.to_sales",
                number="CS-000301",
                subject="A board report",
                version="3.1",
                note="Custom report",
                routed_by="agent@example.com",
                contact_id=cora["id"],
                customer_id=cora["customer_id"],
            ),
        )
        await drain(app.state.delivery_worker, notify_engine)

    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {"cora@cobalt.example", "sales@vendor.example"}
    fixed = by_recipient["cora@cobalt.example"]
    assert fixed["Subject"].startswith("[CS-000300] Opgelost in versie 3.2.1")
    body = fixed.get_body(("plain",)).get_content()
    assert "TW-4711" in body and "Import no longer crashes." in body
    # Threaded with the case's other mail.
    assert fixed["In-Reply-To"] == "<case.CS-000300@careplane.example>"
    sales = by_recipient["sales@vendor.example"]
    assert sales["Subject"] == "[CS-000301] Price proposal wanted: A board report"
    assert "Custom report" in sales.get_body(("plain",)).get_content()
