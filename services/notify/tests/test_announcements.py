"""Lifecycle announcements sent for real: due announcements go to every customer with an
active agreement on the product (the real contracts app with its demo data), one mail per
customer to its administrators in its language, through a real SMTP server, with proof per
customer listed through the API; a superseded announcement never sends."""

from __future__ import annotations

import uuid

import httpx
import pytest
from notify_testkit import drain, staff
from sqlalchemy import text

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client
from notify.announcements.sender import AnnouncementSender
from notify.audience import Addressing, customers_covering, pick_addresses
from notify.clients.contracts import ContractsClient
from notify.mail.compose import mail_context, render


def milestones_changed(product_id: str, before: dict, after: dict) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "contracts",
        "type": "lifecycle.milestones_changed",
        "data": {
            "product_id": product_id,
            "product_name": "Tideway",
            "major": 3,
            "changed": [m for m in ("EOS", "EOMS", "EOL") if before.get(m) != after.get(m)],
            "before": before,
            "after": after,
        },
    }


NO_DATES = {"GA": "2024-09-01", "EOS": None, "EOMS": None, "EOL": None}
FIRST = {"GA": "2024-09-01", "EOS": "2031-06-30", "EOMS": "2032-06-30", "EOL": "2033-06-30"}
MOVED = {"GA": "2024-09-01", "EOS": "2031-12-31", "EOMS": "2032-12-31", "EOL": "2033-12-31"}


async def post(client, minter, event) -> None:
    answer = await client.post("/v1/events", json=event, headers=minter.headers(Role.SERVICE))
    assert answer.status_code == 202, answer.text


async def make_announcement_due(engine, milestone: str) -> str:
    async with engine.begin() as c:
        return str(
            await c.scalar(
                text(
                    "UPDATE announcements SET announce_at = now() "
                    "WHERE milestone = :m AND status = 'scheduled' RETURNING id"
                ),
                {"m": milestone},
            )
        )


def test_who_is_written_to():
    contacts = [
        {"email": "Ben@x.example", "is_admin": False, "registered": True, "active": True},
        {"email": "old@x.example", "is_admin": True, "registered": True, "active": False},
        {"email": "kim@x.example", "is_admin": False, "registered": False, "active": True},
    ]
    # No active administrator: every registered contact, never an inactive or unregistered one.
    assert pick_addresses(contacts, Addressing.ADMINISTRATORS) == ["ben@x.example"]
    contacts.append({"email": "bo@x.example", "is_admin": True, "registered": True})
    assert pick_addresses(contacts, Addressing.ADMINISTRATORS) == ["bo@x.example"]
    assert pick_addresses(contacts, Addressing.REGISTERED) == ["ben@x.example", "bo@x.example"]
    p, q = uuid.uuid4(), uuid.uuid4()
    agreements = [
        {"customer_id": "a", "product_ids": [str(p)]},
        {"customer_id": "b", "product_ids": [str(q)]},
        {"customer_id": "a", "product_ids": [str(p), str(q)]},
    ]
    assert customers_covering(agreements, p) == {"a"}
    assert customers_covering(agreements, None) == {"a", "b"}


async def test_a_due_announcement_reaches_every_customer_on_the_product_with_proof(
    live_notify,
    smtp_server,
    contracts_transport,
    demo_contacts,
    tideway,
    notify_minter,
    notify_engine,
):
    inbox, port = smtp_server
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        await post(client, notify_minter, milestones_changed(tideway, NO_DATES, FIRST))
        # Nothing is due yet: announcements wait for six months before their dates.
        assert (await app.state.jobs.run_once()).announcements == 0
        announcement_id = await make_announcement_due(notify_engine, "EOS")
        assert (await app.state.jobs.run_once()).announcements == 1
        assert (await app.state.jobs.run_once()).announcements == 0  # sent once only
        await drain(app.state.delivery_worker, notify_engine)

        detail = (
            await client.get(f"/v1/announcements/{announcement_id}", headers=staff(notify_minter))
        ).json()
        listed = (
            await client.get(
                "/v1/announcements", params={"status": "scheduled"}, headers=staff(notify_minter)
            )
        ).json()
        borealis = demo_contacts["bo@borealis.example"]["customer_id"]
        own = (
            await client.get(
                f"/v1/announcements/{announcement_id}",
                headers=notify_minter.headers(Role.CUSTOMER_ADMIN, customer_id=borealis),
            )
        ).json()
        theirs = await client.get(
            "/v1/announcements",
            headers=notify_minter.headers(Role.CONTACT, customer_id=uuid.uuid4()),
        )

    # Every customer with an active agreement on Tideway: not Echo (expired); Fjord is
    # suspended but still under agreement and told. Borealis: its administrator only.
    by_to = {m["To"]: m for m in inbox.messages}
    assert sorted(by_to) == [
        "ana@acme-water.example",
        "bo@borealis.example",
        "cora@cobalt.example",
        "dan@delta.example",  # two agreements (Basic and Premium), one mail
        "finn@fjord.example",
    ]
    english, dutch = by_to["ana@acme-water.example"], by_to["cora@cobalt.example"]
    assert english["Subject"] == "Tideway 3: End of Sales on 30 June 2031"
    assert english.get_body(("plain",)).get_content().startswith("Dear Acme Water,")
    assert english["Auto-Submitted"] == "auto-generated"
    assert dutch["Subject"] == "Tideway 3: einde verkoop op 30 juni 2031"
    assert dutch["Content-Language"] == "nl"

    assert detail["status"] == "sent" and detail["customers"] == 5
    proof = {r["customer_name"]: r for r in detail["recipients"]}
    assert sorted(proof) == [
        "Acme Water",
        "Borealis Health",
        "Cobalt Logistics",
        "Delta Secure",
        "Fjord Analytics",
    ]
    for recipient in detail["recipients"]:
        mail = by_to[recipient["to_addresses"][0]]
        assert recipient["delivery_status"] == "succeeded" and recipient["sent_at"]
        assert recipient["message_id"] == mail["Message-ID"]
        assert recipient["subject"] == mail["Subject"]
    assert proof["Cobalt Logistics"]["language"] == "nl"
    # EOMS and EOL are still planned.
    assert sorted(a["milestone"] for a in listed["items"]) == ["EOL", "EOMS"]
    # A customer reads its own proof only, and nothing it was not sent.
    assert [r["customer_name"] for r in own["recipients"]] == ["Borealis Health"]
    assert theirs.json()["total"] == 0


async def test_a_superseded_announcement_never_sends(
    live_notify, contracts_transport, demo_contacts, tideway, notify_minter, notify_engine
):
    async with (
        live_notify(contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        await post(client, notify_minter, milestones_changed(tideway, NO_DATES, FIRST))
        await make_announcement_due(notify_engine, "EOS")
        sender: AnnouncementSender = app.state.jobs.announcements
        # A worker claims the due announcement and is reading its customers ...
        [claimed] = await sender.claim()
        # ... when the dates move: the claimed row is superseded and a new one planned.
        await post(client, notify_minter, milestones_changed(tideway, FIRST, MOVED))
        assert await sender.send(claimed) is None
        # A scheduled one that is superseded before it is due never goes either.
        await make_announcement_due(notify_engine, "EOMS")
        await post(
            client,
            notify_minter,
            milestones_changed(tideway, MOVED, {**MOVED, "EOMS": "2033-03-31"}),
        )
        assert (await app.state.jobs.run_once()).announcements == 0

        async with notify_engine.connect() as c:
            deliveries = await c.scalar(text("SELECT count(*) FROM deliveries"))
            recipients = await c.scalar(text("SELECT count(*) FROM announcement_recipients"))
            rows = (
                await c.execute(
                    text(
                        "SELECT milestone, milestone_date::text, status FROM announcements "
                        "ORDER BY milestone, milestone_date"
                    )
                )
            ).all()
    assert deliveries == 0 and recipients == 0
    assert [tuple(r) for r in rows] == [
        ("EOL", "2033-06-30", "superseded"),
        ("EOL", "2033-12-31", "scheduled"),
        ("EOMS", "2032-06-30", "superseded"),
        ("EOMS", "2032-12-31", "superseded"),
        ("EOMS", "2033-03-31", "scheduled"),
        ("EOS", "2031-06-30", "superseded"),
        ("EOS", "2031-12-31", "scheduled"),
    ]


async def test_contracts_down_leaves_the_announcement_to_be_taken_over(
    live_notify, smtp_server, contracts_transport, demo_contacts, tideway, notify_minter,
    notify_engine,
):  # fmt: skip
    inbox, port = smtp_server
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        await post(client, notify_minter, milestones_changed(tideway, NO_DATES, FIRST))
        announcement_id = await make_announcement_due(notify_engine, "EOL")
        async with httpx.AsyncClient(base_url="http://127.0.0.1:1") as unreachable:
            broken = AnnouncementSender(
                app.state.database.sessionmaker,
                ContractsClient(unreachable),
                app.state.settings,
                worker_id="broken",
            )
            [claimed] = await broken.claim()
            assert await broken.send(claimed) is None
        listed = (
            await client.get(
                "/v1/announcements", params={"status": "sending"}, headers=staff(notify_minter)
            )
        ).json()
        [stuck] = listed["items"]
        assert stuck["id"] == announcement_id and "Contracts unavailable" in stuck["last_error"]
        # The lease holds until it runs out; then any worker takes it over and sends it.
        assert (await app.state.jobs.run_once()).announcements == 0
        async with notify_engine.begin() as c:
            await c.execute(text("UPDATE announcements SET locked_until = now() - interval '1 s'"))
        assert (await app.state.jobs.run_once()).announcements == 1
        await drain(app.state.delivery_worker, notify_engine)
        detail = (
            await client.get(f"/v1/announcements/{announcement_id}", headers=staff(notify_minter))
        ).json()
    assert detail["status"] == "sent" and detail["attempts"] == 2 and detail["last_error"] is None
    assert len(inbox.messages) == 5
    subjects = {m["To"]: m["Subject"] for m in inbox.messages}
    assert subjects["ana@acme-water.example"] == "Tideway 3: End of Life on 30 June 2033"
    assert subjects["cora@cobalt.example"] == "Tideway 3: einde levensduur op 30 juni 2033"


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("milestone", ["EOS", "EOMS", "EOL"])
def test_every_announcement_template_renders_with_a_moved_date(language, milestone):
    data = {
        "product_name": "Tideway",
        "major": 2,
        "milestone": milestone,
        "milestone_date": "2027-06-30",
        "previous_date": "2027-03-31",
    }
    context = mail_context(data, "https://support.example", "Acme <Water>")
    template = f"announcement_{milestone.lower()}"
    mail = render(template, language, context)
    assert mail.language == language and mail.subject.startswith("Tideway 2: ")
    assert ("30 June 2027" if language == "en" else "30 juni 2027") in mail.subject
    assert ("31 March 2027" if language == "en" else "31 maart 2027") in mail.text
    assert "Acme &lt;Water&gt;" in mail.html and "https://support.example" in mail.text
    without = render(template, language, {**context, "previous_date": None})
    assert "2027-03-31" not in without.text and "March" not in without.text
