"""Contact preferences and case watchers: real contracts (who a contact is), real tickets
(may the caller see the case? asked with the caller's own token), a real SMTP server."""

from __future__ import annotations

import uuid

import httpx
import pytest
from notify_testkit import EitherVerifier, drain, post_event, ticket_event

from careplane_shared.testing import asgi_client
from careplane_shared.testing.service import verifier_of


@pytest.fixture
def verifier(contracts_app, notify_minter):
    return EitherVerifier(notify_minter.verifier(), verifier_of(contracts_app))


def prefs(contact) -> str:
    return f"/v1/contacts/{contact['id']}/preferences"


async def test_who_may_set_a_contacts_preferences(
    live_notify, contracts_transport, demo_contacts, verifier, login
):
    ben, bo = demo_contacts["ben@borealis.example"], demo_contacts["bo@borealis.example"]
    as_ben, as_bo = await login("ben@borealis.example"), await login("bo@borealis.example")
    as_cora, as_agent = await login("cora@cobalt.example"), await login("agent@example.com")
    async with (
        live_notify(contracts_transport=contracts_transport, verifier=verifier) as app,
        asgi_client(app) as client,
    ):
        fresh = (await client.get(prefs(ben), headers=as_ben)).json()
        # The contact itself.
        mine = await client.put(prefs(ben), json={"opted_out": ["surveys"]}, headers=as_ben)
        # Not a colleague's, unless an administrator of the same customer; never another
        # customer's (not even confirmed to exist); staff may.
        colleague = await client.put(prefs(bo), json={"opted_out": []}, headers=as_ben)
        admin = await client.put(
            prefs(ben), json={"opted_out": ["ticket_updates", "surveys"]}, headers=as_bo
        )
        stranger = await client.get(prefs(ben), headers=as_cora)
        by_staff = await client.get(prefs(ben), headers=as_agent)
        essential = await client.put(
            prefs(ben), json={"opted_out": ["maintenance", "surveys"]}, headers=as_ben
        )
        unknown = await client.put(prefs(ben), json={"opted_out": ["spam"]}, headers=as_ben)
        nobody = await client.get(f"/v1/contacts/{uuid.uuid4()}/preferences", headers=as_agent)

    assert fresh["opted_out"] == [] and not any(c["opted_out"] for c in fresh["categories"])
    assert {e["name"] for e in fresh["essential"]} >= {
        "case_number",
        "lifecycle_announcements",
        "maintenance",
    }
    assert mine.status_code == 200 and mine.json()["opted_out"] == ["surveys"]
    assert colleague.status_code == 403
    assert admin.status_code == 200 and admin.json()["opted_out"] == ["surveys", "ticket_updates"]
    assert admin.json()["updated_by"] == "bo@borealis.example"
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "CONTACT_NOT_FOUND"
    assert by_staff.json()["opted_out"] == ["surveys", "ticket_updates"]
    assert essential.status_code == 422
    assert essential.json()["error"]["code"] == "CATEGORY_ESSENTIAL"
    assert unknown.json()["error"]["code"] == "UNKNOWN_CATEGORY"
    assert nobody.status_code == 404


async def test_watchers_follow_a_case_and_preferences_are_respected(
    live_notify,
    smtp_server,
    contracts_transport,
    tickets_app,
    demo_contacts,
    tideway,
    verifier,
    login,
    notify_minter,
    notify_engine,
):
    inbox, port = smtp_server
    bo, ben = demo_contacts["bo@borealis.example"], demo_contacts["ben@borealis.example"]
    as_bo, as_ben = await login("bo@borealis.example"), await login("ben@borealis.example")
    as_cora, as_agent = await login("cora@cobalt.example"), await login("agent@example.com")
    async with asgi_client(tickets_app, base_url="http://tickets") as tickets:
        opened = await tickets.post(
            "/v1/tickets",
            json={
                "product_id": tideway,
                "version": "3.1",
                "subject": "Night batch import fails",
                "description": "The 02:00 import stops with E-77.",
            },
            headers=as_bo,
        )
        assert opened.status_code == 201, opened.text
        case = opened.json()

    def event(type_, **data):
        data.setdefault("number", case["number"])
        return ticket_event(
            type_,
            ticket_id=case["id"],
            customer_id=bo["customer_id"],
            contact_id=bo["id"],
            **data,
        )

    watchers = f"/v1/tickets/{case['id']}/watchers"
    async with (
        live_notify(
            smtp_port=port,
            contracts_transport=contracts_transport,
            tickets_transport=httpx.ASGITransport(app=tickets_app),
            verifier=verifier,
        ) as app,
        asgi_client(app) as client,
    ):
        # Ben follows his colleague's case himself; a second time changes nothing.
        added = await client.post(watchers, json={"email": "Ben@Borealis.example"}, headers=as_ben)
        again = await client.post(watchers, json={"contact_id": ben["id"]}, headers=as_bo)
        # Another customer's people cannot see the case (tickets says so) ...
        other = await client.post(watchers, json={"email": "cora@cobalt.example"}, headers=as_cora)
        # ... nor be added to it, and the requester gets its mail anyway.
        stranger = await client.post(
            watchers, json={"email": "ana@acme-water.example"}, headers=as_agent
        )
        requester = await client.post(watchers, json={"contact_id": bo["id"]}, headers=as_bo)
        listed = (await client.get(watchers, headers=as_ben)).json()

        worker = app.state.delivery_worker
        await post_event(client, notify_minter, event("ticket.opened"))
        reply = event("ticket.replied", author_kind="staff", body="Please send the import log.")
        await post_event(client, notify_minter, reply)
        await drain(worker, notify_engine)
        opened_and_replied = [(m["To"], m["Subject"], m) for m in inbox.messages]
        inbox.messages.clear()

        # Bo no longer wants case updates; the number mail of a case still comes.
        await client.put(
            f"/v1/contacts/{bo['id']}/preferences",
            json={"opted_out": ["ticket_updates"]},
            headers=as_bo,
        )
        await post_event(
            client,
            notify_minter,
            event("ticket.status_changed", status="PENDING", previous_status="WORKING"),
        )
        await post_event(client, notify_minter, event("ticket.opened", number="CS-2026-999999"))
        await drain(worker, notify_engine)
        after_opt_out = sorted((m["To"], m["Subject"]) for m in inbox.messages)
        inbox.messages.clear()

        removed = await client.delete(f"{watchers}/{ben['id']}", headers=as_ben)
        gone = await client.delete(f"{watchers}/{ben['id']}", headers=as_ben)
        await post_event(client, notify_minter, event("ticket.replied", author_kind="staff"))
        await drain(worker, notify_engine)

    assert added.status_code == 201 and added.json()["email"] == "ben@borealis.example"
    assert again.status_code == 200
    assert other.status_code == 404 and other.json()["error"]["code"] == "TICKET_NOT_FOUND"
    assert stranger.status_code == 422
    assert stranger.json()["error"]["code"] == "NOT_A_CONTACT_OF_THE_CUSTOMER"
    assert requester.status_code == 409
    assert [w["contact_id"] for w in listed] == [ben["id"]]

    # The number mail goes to the requester only; the staff reply to the watcher as well.
    assert sorted((to, subject.split("]")[1][:10]) for to, subject, _ in opened_and_replied) == [
        ("ben@borealis.example", " New reply"),
        ("bo@borealis.example", " New reply"),
        ("bo@borealis.example", " We receiv"),
    ]
    to_ben = next(m for to, _, m in opened_and_replied if to == "ben@borealis.example")
    text = to_ben.get_body(("plain",)).get_content()
    assert text.startswith("Hello Ben Brooks,") and "You follow this case" in text
    assert to_ben["In-Reply-To"] == f"<case.{case['number']}@careplane.example>"
    [(watcher, status_mail), (requester_address, number_mail)] = after_opt_out
    assert watcher == "ben@borealis.example"
    assert status_mail.startswith(f"[{case['number']}] Your case is now Pending")
    assert requester_address == "bo@borealis.example"
    assert number_mail.startswith("[CS-2026-999999] We received your case")
    assert removed.status_code == 204 and gone.status_code == 404
    assert inbox.messages == []  # nobody left who wants the reply
