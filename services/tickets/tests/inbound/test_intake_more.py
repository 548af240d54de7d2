"""Bounces, the reopen window, the webhook, quarantine for malformed and unverified mail,
and 451 when the mail cannot be stored."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import aiosmtplib
import pytest
from sqlalchemy import update

from careplane_shared.testing.ports import free_port
from tickets.inbound.smtp import IntakeHandler, smtp_listener
from tickets.models import Ticket

ANA = "ana@acme-water.example"
BOUNCES = "bounces@careplane.example"


def dsn(delivery: uuid.UUID | None, original_id: str, *, to: str) -> bytes:
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.client.example>\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.client.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.client.example\r\n\r\n"
        "Final-Recipient: rfc822; gone@client.example\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\nSubject: Your case\r\n"
        "\r\n--B--\r\n"
    ).encode()


async def test_a_bounce_to_the_verp_address_is_recorded_against_its_delivery(mailer):
    delivery = uuid.uuid4()
    verp = f"bounces+b-{delivery.hex}@careplane.example"
    row = await mailer.deliver(
        dsn(delivery, "<case.CS-1@careplane.example>", to=verp), sender="", recipients=[verp]
    )
    assert (row.outcome, row.detail["delivery_id"]) == ("bounce", str(delivery))
    [bounced] = await mailer.events("mail.bounced")
    assert bounced == {
        "delivery_id": str(delivery), "recipient": "gone@client.example", "status": "5.1.1",
        "action": "failed", "diagnostic": "smtp; 550 5.1.1 user unknown", "inbound_id": str(row.id),
    }  # fmt: skip
    assert await mailer.events("mail.unknown_sender") == []  # a bounce is never answered


async def test_a_bounce_without_verp_is_matched_by_the_original_message_id(mailer):
    delivery = uuid.uuid4()
    row = await mailer.deliver(
        dsn(None, f"<{delivery}@careplane.example>", to="support@careplane.example"), sender=""
    )
    assert row.outcome == "bounce"
    assert [e["delivery_id"] for e in await mailer.events("mail.bounced")] == [str(delivery)]


async def test_a_bounce_address_without_a_delivery_is_refused(mailer, compose):
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await mailer.send(compose(ANA, "x", to=BOUNCES), recipients=[BOUNCES])


async def test_mail_to_a_closed_case_reopens_it_within_the_window_else_opens_a_linked_case(
    mailer, compose, live, login
):
    agent = await login("agent@example.com")
    row = await mailer.deliver(compose(ANA, "VPN drops"))
    ticket_id = row.ticket_id
    closed = await live.post(
        f"/v1/tickets/{ticket_id}/close", json={"resolution": "fixed"}, headers=agent
    )
    assert closed.status_code == 200, closed.text
    number = closed.json()["number"]
    row = await mailer.deliver(compose(ANA, f"Re: [{number}] VPN drops", "Again."))
    assert (row.outcome, row.ticket_id) == ("reopened", ticket_id)
    assert (await live.get(f"/v1/tickets/{ticket_id}", headers=agent)).json()["status"] == "OPEN"

    await live.post(f"/v1/tickets/{ticket_id}/close", json={"resolution": "fixed"}, headers=agent)
    await mailer.connection.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(closed_at=Ticket.closed_at - timedelta(days=15))
    )
    row = await mailer.deliver(compose(ANA, f"Re: [{number}] VPN drops", "Months later."))
    assert row.outcome == "linked" and row.ticket_id != ticket_id
    new = (await live.get(f"/v1/tickets/{row.ticket_id}", headers=agent)).json()
    assert new["external_refs"]["follows"] == number and new["channel"] == "email"
    assert (await live.get(f"/v1/tickets/{ticket_id}", headers=agent)).json()["status"] == "CLOSED"


async def test_the_reopen_window_is_the_case_plans(mailer, compose, live, login, contracts_client):
    """The plan's quota rule says how long a closed case reopens by mail: the same window
    in which a reopened case gives its quota ticket back."""
    agent, admin = await login("agent@example.com"), await login("admin@example.com")
    row = await mailer.deliver(compose(ANA, "Pump 7 stalls"))
    ticket_id = row.ticket_id
    code = (await live.get(f"/v1/tickets/{ticket_id}", headers=agent)).json()["plan_code"]
    plans = (await contracts_client.get("/v1/plans", headers=admin)).json()
    [plan_id] = [plan["id"] for plan in plans if plan["code"] == code]
    patched = await contracts_client.patch(
        f"/v1/plans/{plan_id}",
        json={"quota": {"yearly": 1000, "reopen_window_days": 30}},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    closed = await live.post(
        f"/v1/tickets/{ticket_id}/close", json={"resolution": "fixed"}, headers=agent
    )
    number = closed.json()["number"]
    await mailer.connection.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(closed_at=Ticket.closed_at - timedelta(days=20))
    )

    row = await mailer.deliver(compose(ANA, f"Re: [{number}] Pump 7 stalls", "Again."))

    # Twenty days is past the default 14, within this plan's 30.
    assert (row.outcome, row.ticket_id) == ("reopened", ticket_id), row.detail


async def _vendor_key_token(contracts_client, login, scopes: list[str]) -> dict[str, str]:
    admin = await login("admin@example.com")
    key = await contracts_client.post(
        "/v1/api-keys", json={"name": "mail provider", "scopes": scopes}, headers=admin
    )
    assert key.status_code == 201, key.text
    token = await contracts_client.post("/auth/token", data={
        "grant_type": "client_credentials", "client_id": key.json()["client_id"],
        "client_secret": key.json()["client_secret"],
    })  # fmt: skip
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_the_webhook_stores_raw_mail_for_the_intake(
    mailer, compose, live, login, contracts_client
):
    key = await _vendor_key_token(contracts_client, login, ["inbound:write"])
    raw = bytes(compose(ANA, "From the provider", "Posted raw.")).replace(b"\n", b"\r\n")
    posted = await live.post(
        "/v1/inbound/mime", content=raw, headers={**key, "content-type": "message/rfc822"}
    )
    assert posted.status_code == 202, posted.text
    assert posted.json()["status"] == "RECEIVED"
    await mailer.drain()
    row = await mailer.last()
    assert (str(row.id), row.source, row.outcome) == (posted.json()["id"], "api", "opened")

    too_big = await live.post("/v1/inbound/mime", content=b"x" * (31 * 1024 * 1024), headers=key)
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    reader = await _vendor_key_token(contracts_client, login, ["tickets:write"])
    for headers in (reader, await login("agent@example.com"), await login(ANA)):
        refused = await live.post("/v1/inbound/mime", content=raw, headers=headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "SCOPE_FORBIDDEN")


async def test_mail_without_a_sender_is_quarantined_as_malformed(mailer, live, login):
    row = await mailer.deliver(b"Subject: who am I\r\n\r\nno From header\r\n")
    assert (row.status, row.detail["reason"]) == ("QUARANTINED", "MALFORMED")
    assert "no_sender" in row.detail["flags"]
    agent = await login("agent@example.com")
    [held] = (await live.get("/v1/inbound/quarantine", headers=agent)).json()["items"]
    assert (held["reason"], held["from_address"], held["ticket_id"]) == ("MALFORMED", None, None)
    refused = await live.post(
        f"/v1/inbound/quarantine/{held['id']}/release", json={}, headers=agent
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "QUARANTINE_NO_CONTACT")
    unknown = await live.get(f"/v1/inbound/quarantine/{uuid.uuid4()}", headers=agent)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "QUARANTINE_NOT_FOUND")


async def test_authentication_results_are_believed_from_trusted_relays_only(
    mailer, compose, live, login
):
    state = mailer.app.state
    state.inbound_config = dataclasses.replace(
        state.inbound_config, trusted_relays=["mx.careplane.example"]
    )
    forged = "mx.careplane.example; spf=fail smtp.mailfrom=client.example; dkim=none; dmarc=fail"
    row = await mailer.deliver(compose(ANA, "Spoofed", Authentication_Results=forged))
    assert (row.status, row.detail["reason"]) == ("QUARANTINED", "UNVERIFIED_SENDER")
    assert row.detail["authentication"]["dmarc"] == "fail"
    untrusted = "mx.attacker.example; spf=pass; dkim=pass; dmarc=pass"
    row = await mailer.deliver(compose(ANA, "Fine", Authentication_Results=untrusted))
    assert (row.outcome, row.detail["authentication"]) == ("opened", {})
    # Staff vouch for the held one: it opens its case after all (it named none).
    agent = await login("agent@example.com")
    [held] = (await live.get("/v1/inbound/quarantine", headers=agent)).json()["items"]
    released = await live.post(
        f"/v1/inbound/quarantine/{held['id']}/release", json={}, headers=agent
    )
    assert released.status_code == 200, released.text
    assert released.json()["message_id"] is None and released.json()["ticket_id"]
    opened = await live.get(f"/v1/tickets/{released.json()['ticket_id']}", headers=agent)
    assert opened.json()["subject"] == "Spoofed" and opened.json()["channel"] == "email"
    passed = "mx.careplane.example; spf=pass; dkim=pass header.d=acme-water.example; dmarc=pass"
    row = await mailer.deliver(compose(ANA, "Signed", Authentication_Results=passed))
    assert row.outcome == "opened" and row.detail["authentication"]["dkim"] == "pass"


async def test_where_a_verdict_is_required_mail_without_one_is_held(mailer, compose):
    """Outside dev a From no trusted relay vouched for is only a claim: held for staff."""
    state = mailer.app.state
    state.inbound_config = dataclasses.replace(
        state.inbound_config, trusted_relays=["mx.careplane.example"], require_verdict=True
    )
    row = await mailer.deliver(compose(ANA, "Claims to be Ana"))
    assert (row.status, row.detail["reason"]) == ("QUARANTINED", "UNVERIFIED_SENDER")
    passed = "mx.careplane.example; spf=pass; dkim=pass header.d=acme-water.example; dmarc=pass"
    row = await mailer.deliver(compose(ANA, "Vouched for", Authentication_Results=passed))
    assert row.outcome == "opened"


def test_a_verdict_is_required_outside_dev_unless_switched_off():
    from tickets.config import TicketsSettings

    secrets = {
        "client_secret": "a-real-secret-0123456789abcdef",
        "inbound_reply_secret": "another-real-secret-0123456789",
    }
    assert TicketsSettings(env="test").inbound_verdict_required is False
    assert TicketsSettings(env="production", **secrets).inbound_verdict_required is True
    relaxed = TicketsSettings(env="production", inbound_require_verdict=False, **secrets)
    assert relaxed.inbound_verdict_required is False


class _Broken:
    def __call__(self):
        raise ConnectionError("the database is down")


async def test_the_sender_hears_451_when_the_mail_cannot_be_stored(compose):
    port = free_port()
    handler = IntakeHandler(_Broken(), support_address="support@careplane.example",  # type: ignore[arg-type]
                            bounce_address=BOUNCES)  # fmt: skip
    async with smtp_listener(handler, host="127.0.0.1", port=port, max_bytes=1024 * 1024):
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await aiosmtplib.send(compose(ANA, "x"), hostname="127.0.0.1", port=port)
    assert refused.value.code == 451
