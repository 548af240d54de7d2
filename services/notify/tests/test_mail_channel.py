"""The mail channel's outbound side (#11), against a real SMTP server on 127.0.0.1 and the
real contracts app: Reply-To, the acknowledgement threaded or suppressed, the answer to an
unknown sender, VERP envelope senders and bounces recorded on their delivery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from notify_testkit import drain, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.testing import asgi_client

REPLY = "support+r-cs-000500-k3j4abcdk3j4abcd@careplane.example"
CUSTOMER_MAIL = "<CAF=abc.123@mail.acme-water.example>"


def _contact(demo_contacts, email):
    contact = demo_contacts[email]
    return {"contact_id": contact["id"], "customer_id": contact["customer_id"]}


def mail_event(type_: str, data: dict, *, source: str = "tickets") -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": type_,
        "time": datetime.now(UTC).isoformat(),
        "data": data,
    }


def unknown_sender(address: str, language: str, **extra) -> dict:
    return {
        "address": address,
        "subject": "Pumps down at site 4",
        "language": language,
        "support_address": "support@careplane.example",
        "inbound_message_id": "<stranger.1@elsewhere.example>",
        "inbound_id": str(uuid.uuid4()),
        **extra,
    }


async def test_a_case_opened_by_mail_answers_under_the_customers_mail_with_its_reply_address(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = _contact(demo_contacts, "ana@acme-water.example")
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        await post_event(
            client,
            notify_minter,
            ticket_event(
                number="CS-000500",
                channel="email",
                reply_address=REPLY,
                inbound_message_id=CUSTOMER_MAIL,
                **ana,
            ),
        )
        await drain(app.state.delivery_worker, notify_engine)
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "ticket.replied",
                number="CS-000500",
                author_kind="staff",
                body="Restarted.",
                reply_address=REPLY,
                **ana,
            ),
        )
        await drain(app.state.delivery_worker, notify_engine)
        listed = await client.get("/v1/deliveries", headers=staff(notify_minter))
        deliveries = {d["event_type"]: d for d in listed.json()["items"]}

    opened, replied = inbox.messages
    assert opened["Message-ID"] == "<case.CS-000500@careplane.example>"
    assert opened["In-Reply-To"] == CUSTOMER_MAIL
    assert opened["References"] == CUSTOMER_MAIL
    assert replied["In-Reply-To"] == "<case.CS-000500@careplane.example>"
    for mail in (opened, replied):
        assert mail["Reply-To"] == REPLY
        assert mail["From"] == "Careplane Support <support@careplane.example>"
    # VERP: the envelope sender names the delivery, so a bounce says which mail it was.
    assert opened.envelope_from == (
        f"bounces+b-{uuid.UUID(deliveries['ticket.opened']['id']).hex}@careplane.example"
    )
    assert replied.envelope_from == (
        f"bounces+b-{uuid.UUID(deliveries['ticket.replied']['id']).hex}@careplane.example"
    )
    async with notify_engine.connect() as c:
        stored = (
            await c.execute(
                text("SELECT in_reply_to FROM mail_messages WHERE message_id = :m"),
                {"m": "<case.CS-000500@careplane.example>"},
            )
        ).scalar_one()
    assert stored == CUSTOMER_MAIL


async def test_no_acknowledgement_for_automatic_mail_but_a_persons_reply_still_goes_out(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = _contact(demo_contacts, "ana@acme-water.example")
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        opened = await post_event(
            client,
            notify_minter,
            ticket_event(number="CS-000501", channel="email", auto_answer=False, **ana),
        )
        assert opened.status_code == 202
        await post_event(
            client,
            notify_minter,
            ticket_event(
                "ticket.replied",
                number="CS-000501",
                author_kind="staff",
                body="We are looking into it.",
                auto_answer=False,
                **ana,
            ),
        )
        await drain(app.state.delivery_worker, notify_engine)
        listed = await client.get("/v1/deliveries", headers=staff(notify_minter))

    assert [d["event_type"] for d in listed.json()["items"]] == ["ticket.replied"]
    [reply] = inbox.messages
    assert "We are looking into it." in reply.get_body(("plain",)).get_content()


async def test_an_unknown_sender_is_told_how_to_register_in_their_language(
    live_notify, smtp_server, notify_minter, notify_engine
):
    inbox, port = smtp_server
    async with (
        live_notify(smtp_port=port) as app,
        asgi_client(app) as client,
    ):
        for address, language in (
            ("Stranger@Elsewhere.example", "en"),
            ("vreemde@x.example", "nl"),
        ):
            answer = await post_event(
                client,
                notify_minter,
                mail_event("mail.unknown_sender", unknown_sender(address, language)),
            )
            assert answer.status_code == 202
        await drain(app.state.delivery_worker, notify_engine)
        listed = await client.get("/v1/deliveries", headers=staff(notify_minter))

    targets = sorted(d["target"] for d in listed.json()["items"])
    assert targets == ["address:stranger@elsewhere.example", "address:vreemde@x.example"]
    assert all(d["status"] == "succeeded" for d in listed.json()["items"])
    by_to = {m["To"]: m for m in inbox.messages}
    english, dutch = by_to["stranger@elsewhere.example"], by_to["vreemde@x.example"]
    for mail in (english, dutch):
        assert mail["In-Reply-To"] == "<stranger.1@elsewhere.example>"
        assert mail["References"] == "<stranger.1@elsewhere.example>"
        assert mail["Reply-To"] is None
        assert mail["Auto-Submitted"] == "auto-generated"
        assert mail.envelope_from.startswith("bounces+b-")
    assert english["Content-Language"] == "en" and dutch["Content-Language"] == "nl"
    assert english["Subject"] == "Your message to Careplane Support was not turned into a case"
    # A forged sender cannot make us mail its words: the stranger's subject is not repeated.
    for mail in (english, dutch):
        assert "Pumps down" not in mail.as_string()
    body = english.get_body(("plain",)).get_content()
    assert "Stranger@Elsewhere.example" in body and "not turned into a case" in body
    assert "administrator to invite you" in body and "http://127.0.0.1:8000" in body
    assert "geen" in dutch.get_body(("html",)).get_content()
    assert dutch["Subject"] == "Van uw bericht aan Careplane Support is geen melding gemaakt"


async def test_a_raw_address_is_a_target_only_for_the_unknown_sender_answer_from_tickets(
    live_notify, smtp_server, notify_minter, notify_engine
):
    inbox, port = smtp_server
    async with (
        live_notify(smtp_port=port) as app,
        asgi_client(app) as client,
    ):
        # Another service may not ask for mail to a raw address, nor can a malformed one.
        for event in (
            mail_event(
                "mail.unknown_sender", unknown_sender("x@y.example", "en"), source="contracts"
            ),
            mail_event(
                "mail.unknown_sender", unknown_sender("x@y.example\r\nBcc: z@z.example", "en")
            ),
        ):
            assert (await post_event(client, notify_minter, event)).status_code == 202
        # An address in another event's data does not become a recipient.
        await post_event(
            client,
            notify_minter,
            ticket_event(contact_id=None, address="x@y.example", reply_address="x@y.example"),
        )
        assert (await client.get("/v1/deliveries", headers=staff(notify_minter))).json()[
            "total"
        ] == 0
        # Nor does a raw-address row another path wrote: the channel refuses it.
        async with notify_engine.begin() as c:
            await c.execute(
                text(
                    "INSERT INTO deliveries (id, channel, target, event_id, event_source,"
                    " event_type, event_time, payload) VALUES (gen_random_uuid(), 'email',"
                    " 'address:x@y.example', 'e-1', 'tickets', 'ticket.opened', now(),"
                    ' \'{"template": "ticket_opened", "data": {}}\')'
                )
            )
        await drain(app.state.delivery_worker, notify_engine)
        [refused] = (await client.get("/v1/deliveries", headers=staff(notify_minter))).json()[
            "items"
        ]
    assert refused["status"] == "failed"
    assert "not a target for ticket.opened" in refused["last_error"]
    assert inbox.messages == []


async def test_a_bounce_is_recorded_on_its_delivery_and_a_permanent_one_marks_it_bounced(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = _contact(demo_contacts, "ana@acme-water.example")
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        await post_event(client, notify_minter, ticket_event(number="CS-000502", **ana))
        await drain(app.state.delivery_worker, notify_engine)
        [sent] = (await client.get("/v1/deliveries", headers=staff(notify_minter))).json()["items"]
        assert sent["status"] == "succeeded" and sent["bounced_at"] is None

        def bounce(action: str, status: str) -> dict:
            return {
                "delivery_id": sent["id"],
                "recipient": "ana@acme-water.example",
                "status": status,
                "action": action,
                "diagnostic": f"smtp; {status} mailbox busy",
                "inbound_id": str(uuid.uuid4()),
            }

        # A delay is recorded, the delivery stays succeeded.
        await post_event(
            client, notify_minter, mail_event("mail.bounced", bounce("delayed", "4.2.2"))
        )
        delayed = (
            await client.get(f"/v1/deliveries/{sent['id']}", headers=staff(notify_minter))
        ).json()
        assert delayed["status"] == "succeeded"
        assert (delayed["bounce_status"], delayed["bounce_action"]) == ("4.2.2", "delayed")

        await post_event(
            client, notify_minter, mail_event("mail.bounced", bounce("failed", "5.1.1"))
        )
        # A later delay does not hide the permanent bounce.
        await post_event(
            client, notify_minter, mail_event("mail.bounced", bounce("delayed", "4.4.1"))
        )
        # A bounce naming a delivery notify does not have is dropped, not an error.
        ghost = {**bounce("failed", "5.1.1"), "delivery_id": str(uuid.uuid4())}
        assert (
            await post_event(client, notify_minter, mail_event("mail.bounced", ghost))
        ).status_code == 202
        listed = await client.get(
            "/v1/deliveries", params={"status": "bounced"}, headers=staff(notify_minter)
        )
    [bounced] = listed.json()["items"]
    assert bounced["id"] == sent["id"] and bounced["bounced_at"] is not None
    assert bounced["bounce_status"] == "5.1.1" and bounced["bounce_action"] == "failed"
    assert bounced["bounce_diagnostic"] == "smtp; 5.1.1 mailbox busy"
    assert bounced["bounce_recipient"] == "ana@acme-water.example"
    assert len(inbox.messages) == 1


async def test_without_a_bounce_address_the_envelope_sender_is_the_from_address(
    live_notify, smtp_server, notify_minter, notify_engine
):
    inbox, port = smtp_server
    async with (
        live_notify(smtp_port=port, mail_bounce_address="") as app,
        asgi_client(app) as client,
    ):
        await post_event(
            client,
            notify_minter,
            mail_event("mail.unknown_sender", unknown_sender("a@b.example", "en")),
        )
        await drain(app.state.delivery_worker, notify_engine)
    [mail] = inbox.messages
    assert mail.envelope_from == "support@careplane.example"
