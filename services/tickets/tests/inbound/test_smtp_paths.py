"""Every path of a mail through the real SMTP listener on 127.0.0.1, into the cases."""

from __future__ import annotations

import aiosmtplib
import pytest
from sqlalchemy import select

from tickets.models import Message, Ticket

ANA = "ana@acme-water.example"


async def _ticket(mailer, ticket_id) -> Ticket:
    async with mailer.app.state.database.sessionmaker() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def _messages(mailer, ticket_id) -> list[Message]:
    async with mailer.app.state.database.sessionmaker() as session:
        rows = await session.scalars(
            select(Message).where(Message.ticket_id == ticket_id).order_by(Message.created_at)
        )
        return list(rows)


async def test_a_mail_opens_a_case_and_a_reply_to_its_address_threads_into_it(mailer, compose):
    row = await mailer.deliver(compose(f"Ana Alvarez <{ANA}>", "Export fails", "It fails."))
    assert (row.status, row.outcome, row.source) == ("DONE", "opened", "smtp")
    ticket = await _ticket(mailer, row.ticket_id)
    assert ticket.channel == "email" and ticket.subject == "Export fails"
    assert ticket.received_at == row.received_at  # the intake's receipt, an SLA input
    assert ticket.external_refs["inbound_id"] == str(row.id)
    [opened] = await mailer.events("ticket.opened")
    assert opened["number"] == ticket.number and opened["channel"] == "email"
    assert opened["inbound_message_id"] == row.message_id
    assert "auto_answer" not in opened  # the acknowledgement is sent
    reply_address = opened["reply_address"]
    assert reply_address.startswith(f"support+r-{ticket.number.lower()}-")

    answer = compose(
        ANA,
        "Re: something else entirely",
        "Here is the log.\n\nOn Monday Ana wrote:\n> It fails.",
        to=reply_address,
    )
    row = await mailer.deliver(answer, recipients=[reply_address])
    assert (row.outcome, row.ticket_id, row.detail["threaded_by"]) == (
        "replied",
        ticket.id,
        "token",
    )
    [message] = await _messages(mailer, ticket.id)
    assert message.body == "Here is the log." and message.author_kind == "customer"
    assert message.id == row.ticket_message_id
    [replied] = await mailer.events("ticket.replied")
    assert replied["reply_address"] == reply_address


async def test_a_reply_threads_by_references_and_by_subject(mailer, compose):
    row = await mailer.deliver(compose(ANA, "Printer offline"))
    ticket = await _ticket(mailer, row.ticket_id)
    references = f"<other@x.example> <case.{ticket.number}@careplane.example>"
    by_refs = compose(ANA, "no number here", "By references.", References=references)
    row = await mailer.deliver(by_refs)
    assert (row.outcome, row.ticket_id, row.detail["threaded_by"]) == (
        "replied",
        ticket.id,
        "references",
    )
    by_subject = compose(ANA, f"Re: [{ticket.number}] Printer offline", "By subject.")
    row = await mailer.deliver(by_subject)
    assert (row.outcome, row.ticket_id, row.detail["threaded_by"]) == (
        "replied",
        ticket.id,
        "subject",
    )
    assert [m.body for m in await _messages(mailer, ticket.id)] == ["By references.", "By subject."]


async def test_a_foreign_sender_is_quarantined_and_staff_release_it(mailer, compose, live, login):
    row = await mailer.deliver(compose(ANA, "Dashboard slow"))
    ticket = await _ticket(mailer, row.ticket_id)
    foreign = compose("mallory@evil.example", f"[{ticket.number}] please close", "Close it.")
    row = await mailer.deliver(foreign)
    assert (row.status, row.outcome, row.ticket_id) == ("QUARANTINED", "quarantined", ticket.id)
    assert await _messages(mailer, ticket.id) == []
    # A contact of another customer is just as foreign.
    other = await mailer.deliver(compose("bo@borealis.example", f"[{ticket.number}] hi", "x"))
    assert other.status == "QUARANTINED"

    agent = await login("agent@example.com")
    held = (await live.get("/v1/inbound/quarantine", headers=agent)).json()
    assert held["total"] == 2
    item = next(i for i in held["items"] if i["from_address"] == "mallory@evil.example")
    assert (item["reason"], item["ticket_number"], item["status"]) == (
        "FOREIGN_SENDER",
        ticket.number,
        "HELD",
    )
    ana = await login(ANA)
    assert (await live.get("/v1/inbound/quarantine", headers=ana)).status_code == 403
    released = await live.post(
        f"/v1/inbound/quarantine/{item['id']}/release", json={}, headers=agent
    )
    assert released.status_code == 200, released.text
    body = released.json()
    assert body["ticket_id"] == str(ticket.id) and body["item"]["status"] == "RELEASED"
    [message] = await _messages(mailer, ticket.id)
    assert message.body == "Close it." and message.author_id == "mallory@evil.example"
    again = await live.post(f"/v1/inbound/quarantine/{item['id']}/release", json={}, headers=agent)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "QUARANTINE_DECIDED")

    bo = next(i for i in held["items"] if i["from_address"] == "bo@borealis.example")
    rejected = await live.post(
        f"/v1/inbound/quarantine/{bo['id']}/reject", json={"reason": "spam"}, headers=agent
    )
    assert rejected.json()["status"] == "REJECTED" and rejected.json()["decision_reason"] == "spam"
    listed = await live.get("/v1/inbound/quarantine?status=REJECTED", headers=agent)
    assert [i["id"] for i in listed.json()["items"]] == [bo["id"]]

    raw = await live.get(f"/v1/tickets/{ticket.id}/messages/{message.id}/raw", headers=agent)
    assert raw.headers["content-type"] == "message/rfc822" and b"Close it." in raw.content
    assert (await live.get(f"/v1/tickets/{ticket.id}/raw", headers=agent)).status_code == 200


async def test_an_unknown_sender_is_answered_once_a_day(mailer, compose):
    row = await mailer.deliver(compose("stranger@nowhere.example", "Help"))
    assert (row.outcome, row.ticket_id) == ("unknown_sender", None)
    await mailer.deliver(compose("stranger@nowhere.example", "Help again"))
    [event] = await mailer.events("mail.unknown_sender")
    assert event["address"] == "stranger@nowhere.example" and event["subject"] == "Help"
    assert event["support_address"] == "support@careplane.example"
    assert event["language"] == "en" and event["inbound_message_id"]


async def test_auto_replies_and_lists_get_no_automatic_answer(mailer, compose):
    await mailer.deliver(
        compose("stranger@nowhere.example", "Out of office", Auto_Submitted="auto-replied")
    )
    await mailer.deliver(compose("list@nowhere.example", "Digest", Precedence="bulk"))
    assert await mailer.events("mail.unknown_sender") == []
    row = await mailer.deliver(compose(ANA, "Away", Auto_Submitted="auto-replied"))
    assert row.outcome == "opened" and row.detail["no_auto_answer"] == "auto_submitted"
    [opened] = await mailer.events("ticket.opened")
    assert opened["auto_answer"] is False


async def test_the_hourly_limit_of_automatic_answers(mailer, compose):
    assert mailer.app.state.inbound_config.auto_answers_per_hour == 5
    for index in range(6):
        await mailer.deliver(compose(ANA, f"Case {index}"))
    opened = sorted(await mailer.events("ticket.opened"), key=lambda e: e["number"])
    answers = [e.get("auto_answer", True) for e in opened]
    assert answers == [True] * 5 + [False]


async def test_unknown_recipients_are_refused(mailer, compose):
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await mailer.send(compose(ANA, "x", to="sales@careplane.example"),
                          recipients=["sales@careplane.example"])  # fmt: skip
    assert refused.value.recipients[0].code == 550


async def test_a_30_mb_attachment_is_refused_before_it_is_stored(mailer, compose):
    message = compose(ANA, "Big file")
    message.add_attachment(
        b"\0" * (30 * 1024 * 1024),
        maintype="application",
        subtype="octet-stream",
        filename="dump.bin",
    )
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await mailer.send(message)
    assert refused.value.code == 552
    assert await mailer.drain() == 0
