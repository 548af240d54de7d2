"""Attachments (streamed, size-limited, hashed) and escalations."""

from __future__ import annotations

import hashlib
import os

from sqlalchemy import select

from careplane_shared.settings import dev_secret
from careplane_shared.testing import bearer
from contracts.models import outbox_events as contracts_outbox
from tickets.models import Attachment, outbox_events


def _case(ids):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Crash on import",
        "description": "Importing the Riverside model crashes.",
    }


async def test_upload_download_and_the_size_limit(
    live, login, demo_ids, tickets_connection, live_app
):
    ana = await login("ana@acme-water.example")
    cora = await login("cora@cobalt.example")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    base = f"/v1/tickets/{ticket['id']}/attachments"
    content = os.urandom(40_000)

    async def chunks():
        for start in range(0, len(content), 7_000):
            yield content[start : start + 7_000]

    response = await live.post(
        base,
        params={"filename": "model.inp"},
        content=chunks(),
        headers={**ana, "content-type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    attachment = response.json()
    assert attachment["size"] == len(content)
    assert attachment["sha256"] == hashlib.sha256(content).hexdigest()

    download = await live.get(f"{base}/{attachment['id']}", headers=ana)
    assert download.status_code == 200 and download.content == content
    assert "model.inp" in download.headers["content-disposition"]
    # Another customer cannot even see the case.
    assert (await live.get(f"{base}/{attachment['id']}", headers=cora)).status_code == 404

    # Over the limit by Content-Length: refused before anything is read.
    too_big = os.urandom(70_000)
    response = await live.post(base, params={"filename": "big.bin"}, content=too_big, headers=ana)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "ATTACHMENT_TOO_LARGE"

    # Over the limit while streaming (no Content-Length): refused, and nothing is left behind.
    async def endless():
        for _ in range(20):
            yield b"x" * 8_000

    response = await live.post(
        base, params={"filename": "stream.bin"}, content=endless(), headers=ana
    )
    assert response.status_code == 413
    files = [p.name for p in live_app.state.settings.attachments_dir.rglob("*") if p.is_file()]
    assert files == [await _key(tickets_connection, attachment["id"])]

    link = await live.post(
        f"{base}/links",
        json={
            "url": "https://files.example.com/s/abc",
            "filename": "recording.mp4",
            "content_type": "video/mp4",
        },
        headers=ana,
    )
    assert link.status_code == 201 and link.json()["link_url"] == "https://files.example.com/s/abc"
    listed = (await live.get(base, headers=ana)).json()
    assert [a["filename"] for a in listed] == ["model.inp", "recording.mp4"]

    bad_name = await live.post(
        base, params={"filename": "../etc/passwd"}, content=b"x", headers=ana
    )
    assert bad_name.status_code == 422


async def _key(connection, attachment_id):
    return (
        await connection.execute(
            select(Attachment.storage_key).where(Attachment.id == attachment_id)
        )
    ).scalar()


async def test_escalations(live, login, demo_ids, tickets_connection):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    path = f"/v1/tickets/{ticket['id']}/escalations"

    response = await live.post(path, json={"kind": "INTERNAL", "reason": "to R&D"}, headers=ana)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "ROLE_FORBIDDEN")

    response = await live.post(
        path, json={"kind": "CUSTOMER", "reason": "No progress in a week"}, headers=ana
    )
    assert response.status_code == 200 and response.json()["status"] == "ESCALATED"
    response = await live.post(
        path, json={"kind": "INTERNAL", "reason": "to R&D", "team": "R&D"}, headers=agent
    )
    assert response.status_code == 200

    rows = (
        await tickets_connection.execute(
            select(outbox_events.c.envelope).where(outbox_events.c.type == "ticket.escalated")
        )
    ).all()
    kinds = {r.envelope["id"]: r.envelope["data"]["kind"] for r in rows}
    assert sorted(kinds.values()) == ["CUSTOMER", "INTERNAL"]

    await live.post(
        f"/v1/tickets/{ticket['id']}/close", json={"resolution": "fixed"}, headers=agent
    )
    response = await live.post(path, json={"kind": "CUSTOMER", "reason": "again"}, headers=ana)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "TICKET_CLOSED")


async def test_a_key_request_case_hears_when_its_key_is_issued(
    live, login, demo_ids, contracts_client, contracts_app
):
    """contracts issues the key linked to the case; its event, delivered to tickets' inbox
    as the outbox relay delivers it, adds an automated message to the case."""
    dan = await login("dan@delta.example")
    agent = await login("agent@example.com")
    case = {**_case(demo_ids), "type": "key_request", "subject": "Key for Tideway 3"}
    ticket = (await live.post("/v1/tickets", json=case, headers=dan)).json()
    issued = await contracts_client.post(
        "/v1/license-keys",
        json={
            "customer_id": demo_ids["Delta Secure"],
            "product_id": demo_ids["tideway"],
            "major_version": 3,
            "request_ticket_id": ticket["id"],
        },
        headers=agent,
    )
    assert issued.status_code == 201, issued.text
    async with contracts_app.state.database.sessionmaker() as session:
        envelope = (
            (
                await session.execute(
                    select(contracts_outbox.c.envelope).where(
                        contracts_outbox.c.type == "license_key.issued"
                    )
                )
            )
            .scalars()
            .first()
        )
    service_token = (
        await contracts_client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "svc-notify",
                "client_secret": dev_secret("svc-notify"),
            },
        )
    ).json()["access_token"]
    delivered = await live.post("/v1/events", json=envelope, headers=bearer(service_token))
    assert delivered.status_code == 202, delivered.text

    messages = (await live.get(f"/v1/tickets/{ticket['id']}/messages", headers=dan)).json()
    assert [(m["author_kind"], m["automated"]) for m in messages] == [("system", True)]
    assert "License key issued for major version 3" in messages[0]["body"]
    # An automated message is not a response: the first-response clock still runs.
    view = (await live.get(f"/v1/tickets/{ticket['id']}", headers=dan)).json()
    assert view["sla"][0]["stopped_at"] is None
