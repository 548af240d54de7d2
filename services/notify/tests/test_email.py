"""Mail: recipients from the real contracts app, a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

from notify_testkit import drain, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.testing import asgi_client
from careplane_shared.testing.ports import free_port


def _contact(demo_contacts, email):
    contact = demo_contacts[email]
    return {"contact_id": contact["id"], "customer_id": contact["customer_id"]}


async def test_a_case_thread_in_the_requesters_mailbox(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = _contact(demo_contacts, "ana@acme-water.example")
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        worker = app.state.delivery_worker
        await post_event(client, notify_minter, ticket_event(number="CS-000100", **ana))
        await drain(worker, notify_engine)
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "ticket.replied",
                number="CS-000100",
                author_kind="staff",
                body="Please restart the <telemetry> agent.",
                **ana,
            ),
        )
        # The customer's own reply is not mailed back to them.
        await post_event(
            client,
            notify_minter,
            ticket_event("ticket.replied", number="CS-000100", author_kind="customer", **ana),
        )
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "ticket.status_changed",
                number="CS-000100",
                status="PENDING",
                previous_status="WORKING",
                **ana,
            ),
        )
        await drain(worker, notify_engine)

    # Deliveries are attempted side by side: the later two may arrive in either order.
    opened, *following = inbox.messages
    [pending] = [m for m in following if "to Pending" in m.get_body(("plain",)).get_content()]
    [replied] = [m for m in following if m is not pending]
    assert opened["To"] == "ana@acme-water.example"
    assert opened["Message-ID"] == "<case.CS-000100@careplane.example>"
    assert opened["In-Reply-To"] is None
    assert opened["Auto-Submitted"] == "auto-generated"
    assert "CS-000100" in opened["Subject"] and "We received your case" in opened["Subject"]
    assert opened.get_body(("plain",)).get_content().startswith("Hello Ana")
    assert "<strong>CS-000100</strong>" in opened.get_body(("html",)).get_content()
    for later in (replied, pending):
        assert later["In-Reply-To"] == "<case.CS-000100@careplane.example>"
        assert later["References"] == "<case.CS-000100@careplane.example>"
        assert later["Message-ID"] != opened["Message-ID"]
    assert "Please restart the <telemetry> agent." in replied.get_body(("plain",)).get_content()
    # HTML is escaped: a reply's text cannot inject markup.
    assert "&lt;telemetry&gt;" in replied.get_body(("html",)).get_content()
    assert "Pending" in pending["Subject"]


async def test_dutch_customers_get_dutch_mail_and_staff_get_breaches(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    cora = _contact(demo_contacts, "cora@cobalt.example")
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            staff_addresses=["oncall@vendor.example", "lead@vendor.example"],
        ) as app,
        asgi_client(app) as client,
    ):
        # No language on the event: the customer's (nl) is used.
        await post_event(
            client, notify_minter, ticket_event(number="CS-000200", language=None, **cora)
        )
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "sla.breached",
                number="CS-000200",
                metric="FIRST_RESPONSE",
                due_at="2026-11-22T10:00:00+00:00",
                **cora,
            ),
        )
        await drain(app.state.delivery_worker, notify_engine)
        mails = await client.get(
            "/v1/deliveries", params={"channel": "email"}, headers=staff(notify_minter)
        )
        assert mails.json()["total"] == 3

    by_recipient = {m["To"]: m for m in inbox.messages}
    dutch = by_recipient["cora@cobalt.example"]
    assert dutch["Subject"].startswith("[CS-000200] Wij hebben uw melding ontvangen")
    assert dutch["Content-Language"] == "nl"
    for address in ("oncall@vendor.example", "lead@vendor.example"):
        breach = by_recipient[address]
        assert "SLA BREACHED" in breach["Subject"]
        assert breach["In-Reply-To"] == "<case.CS-000200@careplane.example>"


async def test_a_refused_recipient_fails_and_a_retry_keeps_the_message_id(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = _contact(demo_contacts, "ana@acme-water.example")
    inbox.refuse.add("ana@acme-water.example")
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        await post_event(
            client, notify_minter, ticket_event("ticket.replied", author_kind="staff", **ana)
        )
        await drain(app.state.delivery_worker, notify_engine)
        [delivery] = (await client.get("/v1/deliveries", headers=staff(notify_minter))).json()[
            "items"
        ]
        assert delivery["status"] == "failed" and "550" in delivery["last_error"]

        inbox.refuse.clear()
        await client.post(f"/v1/deliveries/{delivery['id']}/resend", headers=staff(notify_minter))
        await drain(app.state.delivery_worker, notify_engine)
        [mail] = inbox.messages
        async with notify_engine.connect() as c:
            stored = (
                await c.execute(text("SELECT message_id, sent_at, to_addresses FROM mail_messages"))
            ).one()
        assert stored.message_id == mail["Message-ID"] and stored.sent_at is not None
        assert stored.to_addresses == ["ana@acme-water.example"]


async def test_the_dev_mailbox_keeps_mail_where_staff_can_read_it(
    live_notify, tmp_path, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    ana = _contact(demo_contacts, "ana@acme-water.example")
    folder = tmp_path / "mailbox"
    async with (
        live_notify(
            smtp_port=free_port(), dev_mailbox_dir=folder, contracts_transport=contracts_transport
        ) as app,
        asgi_client(app) as client,
    ):
        await post_event(client, notify_minter, ticket_event(number="CS-000300", **ana))
        await drain(app.state.delivery_worker, notify_engine)
        listed = await client.get("/v1/mailbox", headers=staff(notify_minter))
        [entry] = listed.json()
        assert entry["to"] == "ana@acme-water.example" and "CS-000300" in entry["subject"]
        raw = await client.get(f"/v1/mailbox/{entry['name']}", headers=staff(notify_minter))
        assert raw.headers["content-type"].startswith("message/rfc822")
        assert b"Auto-Submitted: auto-generated" in raw.content
        from careplane_shared.auth import Role

        contact = notify_minter.headers(Role.CONTACT, customer_id=ana["customer_id"])
        assert (await client.get("/v1/mailbox", headers=contact)).status_code == 403
    assert len(list(folder.glob("*.eml"))) == 1
