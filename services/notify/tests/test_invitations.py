"""Invitations: a customer administrator adds a contact at the real contracts app, contracts'
own outbox relay carries ``contact.invited`` to notify's inbox, and the invitation reaches a
real SMTP server in the customer's language with a working accept link. The token shows
nowhere else (webhooks, the delivery API, the stored mail, the inbox, the logs), and a
contact that has not accepted gets no other mail (maintenance notices, announcements)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from notify_testkit import EitherVerifier, drain, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.auth import Role
from careplane_shared.events import OutboxRelay
from careplane_shared.testing import asgi_client, bearer, password_token
from careplane_shared.testing.service import verifier_of
from contracts.models import outbox_events as contracts_outbox
from notify.audience import Addressing, pick_addresses
from notify.mail.compose import long_date, render

ACCEPT = re.compile(
    r"http://portal\.example/api/contracts(/v1/contacts/invitations/([A-Za-z0-9_-]+)/accept)"
)


@pytest.fixture
def verifier(contracts_app, notify_minter):
    return EitherVerifier(notify_minter.verifier(), verifier_of(contracts_app))


async def relay_contracts_outbox(contracts_app, notify_app, minter) -> None:
    """contracts' outbox relay, as it runs in production, posting to notify in-process."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=notify_app),
        base_url="http://notify",
        headers=minter.headers(Role.SERVICE, subject="svc-contracts"),
    ) as client:
        relay = OutboxRelay(
            contracts_app.state.database.sessionmaker,
            contracts_outbox,
            client,
            {"notify": "http://notify/v1/events"},
        )
        # Rows for other destinations (tickets) stay undelivered here: nobody listens.
        for _ in range(5):
            if await relay.run_once() == 0:
                break


def eos_set(product_id: str) -> dict:
    """contracts' word that Tideway 3's end of sales is set: one announcement to plan."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "contracts",
        "type": "lifecycle.milestones_changed",
        "data": {
            "product_id": product_id,
            "product_name": "Tideway",
            "major": 3,
            "changed": ["EOS"],
            "before": {"EOS": None},
            "after": {"EOS": "2031-06-30"},
        },
    }


def window(customer_id: str, title: str) -> dict:
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    return {
        "title": title,
        "description": "The portal is read-only.",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "kind": "scheduled",
        "customer_ids": [customer_id],
    }


async def test_an_invited_contact_gets_its_invitation_and_nothing_else_until_it_accepts(
    live_notify,
    smtp_server,
    receiver,
    contracts_app,
    contracts_transport,
    demo_contacts,
    tideway,
    verifier,
    login,
    notify_minter,
    notify_engine,
    caplog,
):
    caplog.set_level(logging.INFO)
    inbox, port = smtp_server
    target, url = receiver
    cora = demo_contacts["cora@cobalt.example"]
    cobalt = str(cora["customer_id"])
    as_cora = await login("cora@cobalt.example")
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            verifier=verifier,
            portal_url="http://portal.example/",
        ) as app,
        asgi_client(app) as client,
        asgi_client(contracts_app, base_url="http://contracts") as contracts,
    ):
        # The customer's own endpoint takes every event type.
        hook = await client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{url}/cobalt", "event_types": ["*"]},
            headers=as_cora,
        )
        assert hook.status_code == 201, hook.text
        # Cora invites a colleague; a second administrator in all but acceptance.
        added = await contracts.post(
            f"/v1/customers/{cobalt}/contacts",
            json={"email": "pim@cobalt.example", "name": "Pim Jansen", "is_admin": True},
            headers=as_cora,
        )
        assert added.status_code == 201, added.text
        pim = added.json()
        assert pim["pending"] is True
        async with contracts_app.state.database.sessionmaker() as session:
            expires = (
                await session.execute(
                    text("SELECT invitation_expires_at FROM contacts WHERE id = :id"),
                    {"id": pim["id"]},
                )
            ).scalar_one()
        await relay_contracts_outbox(contracts_app, app, notify_minter)
        # Before Pim accepts: a maintenance notice to Cobalt goes to Cora only.
        made = await client.post(
            "/v1/maintenance-windows",
            json=window(cobalt, "Index rebuild"),
            headers=staff(notify_minter),
        )
        assert made.status_code == 201, made.text
        # ... and so does a lifecycle announcement, though Pim is to be an administrator.
        await post_event(client, notify_minter, eos_set(tideway))
        async with notify_engine.begin() as c:
            await c.execute(text("UPDATE announcements SET announce_at = now()"))
        assert (await app.state.jobs.run_once()).announcements == 1
        await drain(app.state.delivery_worker, notify_engine)
        before = list(inbox.messages)
        inbox.messages.clear()

        deliveries = (
            await client.get(
                "/v1/deliveries", params={"event_type": "contact.invited"}, headers=as_cora
            )
        ).json()
        [invitation] = deliveries["items"]
        shown = await client.get(f"/v1/deliveries/{invitation['id']}", headers=as_cora)
        webhooked = sorted(json.loads(r["body"])["type"] for r in target.requests)

        [mail] = [m for m in before if m["To"] == "pim@cobalt.example"]
        link = ACCEPT.search(mail.get_body(("plain",)).get_content())
        assert link is not None
        accept_path, token = link.group(1), link.group(2)
        # The link works: Pim chooses a password and signs in with it.
        accepted = await contracts.post(accept_path, json={"password": "pim-secret-1"})
        assert accepted.status_code == 200, accepted.text
        as_pim = bearer(await password_token(contracts, "pim@cobalt.example", "pim-secret-1"))
        assert as_pim["Authorization"].startswith("Bearer ")

        # After: the next notice reaches both.
        again = await client.post(
            "/v1/maintenance-windows",
            json=window(cobalt, "Index rebuild, part 2"),
            headers=staff(notify_minter),
        )
        assert again.status_code == 201, again.text
        await drain(app.state.delivery_worker, notify_engine)
        after = list(inbox.messages)

    async with notify_engine.connect() as c:
        stored_mail = (
            await c.execute(
                text(
                    "SELECT m.text_body || m.html_body FROM mail_messages m "
                    "JOIN deliveries d ON d.id = m.delivery_id "
                    "WHERE d.event_type = 'contact.invited'"
                )
            )
        ).scalar_one()
        stored_rows = (
            await c.execute(
                text(
                    "SELECT (SELECT string_agg(envelope::text, '') FROM inbox_events) "
                    "|| (SELECT string_agg(payload::text, '') FROM deliveries)"
                )
            )
        ).scalar_one()

    # The invitation: to the invited address only, in Cobalt's language (Dutch).
    assert mail.envelope_to == ["pim@cobalt.example"]
    assert mail["Subject"] == "Cobalt Logistics nodigt u uit voor haar supportaccount"
    assert mail["Content-Language"] == "nl"
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert plain.startswith("Beste Pim Jansen,")
    expires = expires.astimezone(UTC)
    assert f"verloopt op {long_date(expires, 'nl')} om {expires:%H:%M} UTC." in plain
    assert f'href="http://portal.example/api/contracts{accept_path}"' in html

    # Cora's maintenance notice came alone; Pim got only the invitation.
    cobalt_mail = [a for m in before for a in m.envelope_to if a.endswith("@cobalt.example")]
    assert sorted(cobalt_mail) == [
        "cora@cobalt.example",
        "cora@cobalt.example",
        "pim@cobalt.example",
    ]
    assert [m["To"] for m in before if m["Subject"].startswith("Gepland")] == [
        "cora@cobalt.example"
    ]
    announced = [m for m in before if m["Subject"].startswith("Tideway 3: einde verkoop")]
    assert [m["To"] for m in announced] == ["cora@cobalt.example"]
    assert sorted(a for m in after for a in m.envelope_to) == [
        "cora@cobalt.example",
        "pim@cobalt.example",
    ]

    # The customer's own "*" endpoint heard that a contact was added, not the invitation.
    assert webhooked == ["customer.contact_added"]
    # Cora sees the invitation went out, never its token.
    assert invitation["status"] == "succeeded" and invitation["target"] == f"contact:{pim['id']}"
    assert shown.status_code == 200
    assert shown.json()["payload"]["invitation"] == "[redacted]"
    assert "token" not in shown.json()["payload"]["data"]
    assert token not in shown.text
    # Nor is it kept in the clear anywhere notify stores it, nor logged.
    assert "[redacted]" in stored_mail and token not in stored_mail
    assert token not in stored_rows
    # Nor logged (the accept request's access log names its route, not its path: see
    # careplane_shared's test of the access log).
    assert caplog.records
    assert token not in caplog.text


async def test_only_contracts_invites_and_a_stale_invitation_is_not_sent(
    live_notify,
    smtp_server,
    contracts_app,
    contracts_transport,
    demo_contacts,
    login,
    notify_minter,
    notify_engine,
):
    inbox, port = smtp_server
    ana = demo_contacts["ana@acme-water.example"]
    acme = str(ana["customer_id"])
    as_ana = await login("ana@acme-water.example")

    def invited(contact_id: str, email: str, *, source: str = "contracts", **data) -> dict:
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "type": "contact.invited",
            "time": datetime.now(UTC).isoformat(),
            "data": {
                "customer_id": acme,
                "customer_name": "Acme Water",
                "contact_id": contact_id,
                "email": email,
                "name": "Lee Lane",
                "language": "en",
                "token": "t" * 43,
                "accept_path": f"/v1/contacts/invitations/{'t' * 43}/accept",
                "expires_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                **data,
            },
        }

    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
        asgi_client(contracts_app, base_url="http://contracts") as contracts,
    ):
        added = await contracts.post(
            f"/v1/customers/{acme}/contacts",
            json={"email": "lee@acme-water.example", "name": "Lee Lane"},
            headers=as_ana,
        )
        assert added.status_code == 201, added.text
        lee = added.json()
        # Another service cannot make notify mail an invitation.
        forged = invited(lee["id"], lee["email"], source="tickets")
        assert (await post_event(client, notify_minter, forged)).status_code == 202
        # Invitations notify may not send: expired, or for an address the contact no
        # longer has, or for an accepted contact (Ana).
        expired = invited(
            lee["id"], lee["email"], expires_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat()
        )
        elsewhere = invited(lee["id"], "someone@else.example")
        accepted = invited(str(ana["id"]), ana["email"])
        for event in (expired, elsewhere, accepted):
            assert (await post_event(client, notify_minter, event)).status_code == 202
        # Nor does a pending contact get any other mail (a case's, were it named on one).
        case = ticket_event("ticket.opened", customer_id=acme, contact_id=lee["id"])
        assert (await post_event(client, notify_minter, case)).status_code == 202
        await drain(app.state.delivery_worker, notify_engine)
        listed = (
            await client.get(
                "/v1/deliveries",
                params={"event_type": "contact.invited"},
                headers=staff(notify_minter),
            )
        ).json()
        [case_mail] = (
            await client.get(
                "/v1/deliveries", params={"event_id": case["id"]}, headers=staff(notify_minter)
            )
        ).json()["items"]

    assert inbox.messages == []
    by_event = {d["event_id"]: d for d in listed["items"]}
    assert forged["id"] not in by_event
    assert {by_event[e["id"]]["status"] for e in (expired, elsewhere, accepted)} == {"failed"}
    assert by_event[expired["id"]]["last_error"] == "The invitation has expired."
    assert (
        by_event[elsewhere["id"]]["last_error"] == "The contact's address is not the one invited."
    )
    assert by_event[accepted["id"]]["last_error"] == "The invitation has been accepted."
    assert case_mail["status"] == "failed"
    assert case_mail["last_error"] == "The contact has not accepted its invitation."


def test_the_invitation_reads_in_english_with_its_expiry():
    context = {
        "name": "Lee Lane",
        "customer_name": "Acme Water",
        "email": "lee@acme-water.example",
        "accept_url": "https://portal.example/api/contracts/v1/contacts/invitations/abc/accept",
        "expires_at": "2027-03-09T14:05:00+00:00",
    }
    mail = render("contact_invited", "en", context)
    assert mail.language == "en"
    assert mail.subject == "Acme Water invites you to its support account"
    assert mail.text.startswith("Dear Lee Lane,")
    assert "expires on 9 March 2027 at 14:05 UTC" in mail.text
    assert context["accept_url"] in mail.text
    assert f'<a href="{context["accept_url"]}">' in mail.html
    dutch = render("contact_invited", "nl", context)
    assert "verloopt op 9 maart 2027 om 14:05 UTC" in dutch.text


def test_pending_contacts_are_never_addressed():
    contacts = [
        {"email": "admin@x.example", "is_admin": True, "pending": False},
        {"email": "pending@x.example", "is_admin": True, "pending": True},
        {"email": "user@x.example", "is_admin": False},
    ]
    assert pick_addresses(contacts, Addressing.ADMINISTRATORS) == ["admin@x.example"]
    assert pick_addresses(contacts, Addressing.REGISTERED) == [
        "admin@x.example",
        "user@x.example",
    ]


async def test_a_pending_contact_cannot_be_made_to_watch_a_case(
    live_notify,
    contracts_app,
    contracts_transport,
    tickets_app,
    demo_contacts,
    tideway,
    verifier,
    login,
):
    borealis = demo_contacts["bo@borealis.example"]["customer_id"]
    as_bo = await login("bo@borealis.example")
    async with (
        asgi_client(contracts_app, base_url="http://contracts") as contracts,
        asgi_client(tickets_app, base_url="http://tickets") as tickets,
    ):
        invited = await contracts.post(
            f"/v1/customers/{borealis}/contacts",
            json={"email": "bea@borealis.example", "name": "Bea Blom"},
            headers=as_bo,
        )
        assert invited.status_code == 201, invited.text
        opened = await tickets.post(
            "/v1/tickets",
            json={
                "product_id": tideway,
                "version": "3.1",
                "subject": "Exports are empty",
                "description": "Since Monday every export has no rows.",
            },
            headers=as_bo,
        )
        assert opened.status_code == 201, opened.text
    watchers = f"/v1/tickets/{opened.json()['id']}/watchers"
    async with (
        live_notify(
            contracts_transport=contracts_transport,
            tickets_transport=httpx.ASGITransport(app=tickets_app),
            verifier=verifier,
        ) as app,
        asgi_client(app) as client,
    ):
        by_id = await client.post(
            watchers, json={"contact_id": invited.json()["id"]}, headers=as_bo
        )
        by_email = await client.post(
            watchers, json={"email": "bea@borealis.example"}, headers=as_bo
        )
        colleague = await client.post(
            watchers, json={"email": "ben@borealis.example"}, headers=as_bo
        )
    for refused in (by_id, by_email):
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "NOT_A_CONTACT_OF_THE_CUSTOMER"
    assert colleague.status_code == 201
