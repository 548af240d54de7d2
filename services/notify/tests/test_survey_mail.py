"""Survey invitations (seed 000): mailed to the contact asked, in its language, with the
link; never to a contact who switched survey mail off. Real SMTP server on 127.0.0.1."""

from __future__ import annotations

from notify_testkit import drain, post_event, staff, ticket_event

from careplane_shared.testing import asgi_client

LINK = "http://127.0.0.1:8000/api/tickets/v1/surveys/abc.123.sig"


def _invitation(demo_contacts, email, number):
    contact = demo_contacts[email]
    return ticket_event(
        "survey.invited",
        number=number,
        status="CLOSED",
        survey_url=LINK,
        expires_at="2027-01-02T12:00:00+00:00",
        contact_id=contact["id"],
        customer_id=contact["customer_id"],
        language=None,
    )


async def test_survey_invitations_reach_the_contacts_who_did_not_switch_them_off(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    dan = demo_contacts["dan@delta.example"]
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        switched = await client.put(
            f"/v1/contacts/{dan['id']}/preferences",
            json={"opted_out": ["surveys"]},
            headers=staff(notify_minter),
        )
        assert switched.status_code == 200, switched.text
        for email, number in (
            ("ana@acme-water.example", "CS-000301"),
            ("cora@cobalt.example", "CS-000302"),
            ("dan@delta.example", "CS-000303"),
        ):
            await post_event(client, notify_minter, _invitation(demo_contacts, email, number))
        await drain(app.state.delivery_worker, notify_engine)

    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {"ana@acme-water.example", "cora@cobalt.example"}
    english = by_recipient["ana@acme-water.example"]
    assert english["Subject"].startswith("[CS-000301] How did we do?")
    text = english.get_body(("plain",)).get_content()
    assert LINK in text and "five questions" in text and "never affects" in text
    assert f'href="{LINK}"' in english.get_body(("html",)).get_content()
    dutch = by_recipient["cora@cobalt.example"]
    assert dutch["Subject"].startswith("[CS-000302] Hoe hebben we het gedaan?")
    assert LINK in dutch.get_body(("plain",)).get_content()
