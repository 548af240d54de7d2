"""With Development through the API, on the real contracts app: a defect handed over with
its tracker reference, the fix reported by staff, by the tracker's integration key and by
the tracker's signed webhook, and every refusal."""

from __future__ import annotations

import json
import time

from ideas_testkit import case, code, events

from careplane_shared.testing import bearer
from tickets.development.rules import signature

HAND_OVER = {"issue_key": "TW-4711", "issue_url": "https://tracker.example/browse/TW-4711"}


async def _defect(live, headers, demo_ids):
    response = await live.post(
        "/v1/tickets", json=case(demo_ids, type="incident", subject="Crash"), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _key(contracts_client, admin, scopes, **extra):
    created = await contracts_client.post(
        "/v1/api-keys", json={"name": "tracker", "scopes": scopes, **extra}, headers=admin
    )
    assert created.status_code == 201, created.text
    token = await contracts_client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created.json()["client_id"],
            "client_secret": created.json()["client_secret"],
        },
    )
    return bearer(token.json()["access_token"])


async def test_hand_over_and_the_fix_reported_by_staff(live, login, demo_ids, tickets_connection):
    ana = await login("ana@acme-water.example")
    agent = await login("agent@example.com")
    ticket = await _defect(live, ana, demo_ids)
    base = f"/v1/tickets/{ticket['id']}/development"

    assert code(await live.get(base, headers=ana)) == "DEVELOPMENT_LINK_NOT_FOUND"
    refused = await live.post(base, json=HAND_OVER, headers=ana)
    assert refused.status_code == 403 and code(refused) == "ROLE_FORBIDDEN"
    early = await live.post(f"{base}/fix", json={"version": "3.2.1"}, headers=agent)
    assert early.status_code == 409 and code(early) == "NOT_WITH_DEVELOPMENT"

    handed = await live.post(base, json={**HAND_OVER, "reason": "Reproduced"}, headers=agent)
    assert handed.status_code == 200, handed.text
    assert handed.json()["ticket"]["status"] == "WITH_DEVELOPMENT"
    assert handed.json()["development"]["issue_url"] == HAND_OVER["issue_url"]
    twice = await live.post(base, json=HAND_OVER, headers=agent)
    assert twice.status_code == 409 and code(twice) == "ALREADY_WITH_DEVELOPMENT"
    # The customer sees the issue key, not the vendor's tracker address.
    seen = (await live.get(base, headers=ana)).json()
    assert seen["issue_key"] == "TW-4711" and seen["issue_url"] is None
    [status] = [
        e
        for e in await events(tickets_connection, "ticket.status_changed")
        if e["data"]["status"] == "WITH_DEVELOPMENT"
    ]
    assert status["data"]["issue_key"] == "TW-4711"

    not_customer = await live.post(f"{base}/fix", json={"version": "3.2.1"}, headers=ana)
    assert not_customer.status_code == 403
    fixed = await live.post(
        f"{base}/fix", json={"version": "3.2.1", "note": "Import no longer crashes."}, headers=agent
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["ticket"]["status"] == "PENDING"
    assert fixed.json()["development"]["fixed_version"] == "3.2.1"
    [told] = await events(tickets_connection, "ticket.development_fixed")
    assert told["data"]["fixed_version"] == "3.2.1"
    assert told["data"]["contact_id"] == demo_ids["ana@acme-water.example"]
    assert told["data"]["previous_status"] == "WITH_DEVELOPMENT"
    assert told["data"]["status"] == "PENDING"
    again = await live.post(f"{base}/fix", json={"version": "3.2.1"}, headers=agent)
    assert again.status_code == 409 and code(again) == "NOT_WITH_DEVELOPMENT"
    history = (await live.get(f"/v1/tickets/{ticket['id']}/history", headers=ana)).json()
    kinds = [h["kind"] for h in history]
    assert "HANDED_TO_DEVELOPMENT" in kinds and "DEVELOPMENT_FIXED" in kinds

    # The customer's reply to the PENDING case (the fix did not hold) reopens it.
    await live.post(f"/v1/tickets/{ticket['id']}/messages", json={"body": "Still"}, headers=ana)
    assert (await live.get(f"/v1/tickets/{ticket['id']}", headers=ana)).json()["status"] == "OPEN"
    # Handed over again, with another issue: the earlier fix is forgotten.
    again = await live.post(base, json={**HAND_OVER, "issue_key": "TW-4800"}, headers=agent)
    assert again.status_code == 200
    assert again.json()["development"]["fixed_version"] is None


async def test_the_trackers_integration_key_reports_fixes(live, login, demo_ids, contracts_client):
    ana = await login("ana@acme-water.example")
    admin = await login("admin@example.com")
    ticket = await _defect(live, ana, demo_ids)
    base = f"/v1/tickets/{ticket['id']}/development"
    assert (await live.post(base, json=HAND_OVER, headers=admin)).status_code == 200

    reader = await _key(contracts_client, admin, [])
    bound = await _key(
        contracts_client,
        admin,
        ["development:write", "tickets:write"],
        customer_id=demo_ids["Acme Water"],
    )
    tracker = await _key(contracts_client, admin, ["development:write"])
    for headers in (reader, bound):
        refused = await live.post(f"{base}/fix", json={"version": "3.2.2"}, headers=headers)
        assert refused.status_code == 403 and code(refused) == "ROLE_FORBIDDEN"
    # A development:write key is for fixes only: it cannot hand cases over.
    handing = await live.post(
        f"/v1/tickets/{(await _defect(live, ana, demo_ids))['id']}/development",
        json=HAND_OVER,
        headers=tracker,
    )
    assert handing.status_code == 403
    fixed = await live.post(f"{base}/fix", json={"version": "3.2.2"}, headers=tracker)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["ticket"]["status"] == "PENDING"


def _signed(body: bytes, secret: str, *, at: int | None = None) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    return {
        "content-type": "application/json",
        "x-careplane-timestamp": timestamp,
        "x-careplane-signature": signature(secret, timestamp, body),
    }


async def test_the_trackers_signed_webhook_moves_every_case_of_the_issue(
    live, live_app, login, demo_ids, tickets_connection
):
    ana = await login("ana@acme-water.example")
    cora = await login("cora@cobalt.example")
    agent = await login("agent@example.com")
    secret = live_app.state.settings.development_webhook_secret
    assert secret
    tickets = [await _defect(live, who, demo_ids) for who in (ana, cora)]
    for ticket in tickets:
        handed = await live.post(
            f"/v1/tickets/{ticket['id']}/development", json=HAND_OVER, headers=agent
        )
        assert handed.status_code == 200
    url = "/v1/development/webhook"
    body = json.dumps({"issue_key": "TW-4711", "version": "3.2.3"}).encode()

    unsigned = await live.post(url, content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401 and code(unsigned) == "WEBHOOK_TIMESTAMP_INVALID"
    forged = await live.post(url, content=body, headers=_signed(body, "not-the-secret"))
    assert forged.status_code == 401 and code(forged) == "WEBHOOK_SIGNATURE_INVALID"
    stale = await live.post(
        url, content=body, headers=_signed(body, secret, at=int(time.time()) - 3600)
    )
    assert stale.status_code == 401 and code(stale) == "WEBHOOK_TIMESTAMP_INVALID"
    # A signature of another body does not carry over.
    other = json.dumps({"issue_key": "TW-4711", "version": "9.9"}).encode()
    swapped = await live.post(url, content=other, headers=_signed(body, secret))
    assert swapped.status_code == 401 and code(swapped) == "WEBHOOK_SIGNATURE_INVALID"
    for ticket in tickets:
        current = await live.get(f"/v1/tickets/{ticket['id']}", headers=agent)
        assert current.json()["status"] == "WITH_DEVELOPMENT"

    junk = b'{"issue": 1}'
    invalid = await live.post(url, content=junk, headers=_signed(junk, secret))
    assert invalid.status_code == 422

    done = await live.post(url, content=body, headers=_signed(body, secret))
    assert done.status_code == 200, done.text
    assert sorted(done.json()["moved"]) == sorted(t["id"] for t in tickets)
    told = await events(tickets_connection, "ticket.development_fixed")
    assert sorted(e["data"]["contact_id"] for e in told) == sorted(
        [demo_ids["ana@acme-water.example"], demo_ids["cora@cobalt.example"]]
    )
    # The tracker sending again changes nothing and tells nobody twice.
    repeat = await live.post(url, content=body, headers=_signed(body, secret))
    assert repeat.json()["moved"] == [] and len(repeat.json()["already"]) == 2
    assert len(await events(tickets_connection, "ticket.development_fixed")) == 2
    unknown = json.dumps({"issue_key": "NOPE-1", "version": "1"}).encode()
    nothing = await live.post(url, content=unknown, headers=_signed(unknown, secret))
    assert nothing.json() == {"issue_key": "NOPE-1", "version": "1", "moved": [], "already": []}
