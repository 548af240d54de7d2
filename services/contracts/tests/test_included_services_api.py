"""What a customer's agreements include (asked by tickets before a visit or an emergency)
and the support centers' calendars (its on-call rota's timezones)."""

from __future__ import annotations

import uuid


async def test_a_customer_s_services_are_the_union_of_its_agreements_in_force(
    client, sign_in, demo_ids, service_headers
):
    delta = demo_ids.customers["Delta Secure"]  # Infotecs Basic + Premium
    response = await client.get(f"/v1/customers/{delta}/included-services", headers=service_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"emergency", "emergency_billed", "upgrades"} <= set(body["services"])
    assert "scheduled_visits" not in body["services"]
    premium = next(a for a in body["agreements"] if a["plan_code"] == "infotecs-premium")
    assert premium["agreement_id"] == str(demo_ids.agreements[("Delta Secure", "infotecs-premium")])
    assert "emergency_billed" in premium["services"]
    assert (body["customer_name"], body["support_center"]) == ("Delta Secure", "wallingford")
    assert body["support_center_timezone"] == "Europe/London"
    # An expired agreement includes nothing.
    echo = demo_ids.customers["Echo Mining"]
    expired = (
        await client.get(f"/v1/customers/{echo}/included-services", headers=service_headers)
    ).json()
    assert (expired["services"], expired["agreements"]) == ([], [])


async def test_a_customer_reads_its_own_and_no_other(client, sign_in, demo_ids):
    bo = await sign_in("bo@borealis.example")
    own = demo_ids.customers["Borealis Health"]
    answer = await client.get(f"/v1/customers/{own}/included-services", headers=bo)
    assert "scheduled_visits" in answer.json()["services"]
    for other in (demo_ids.customers["Acme Water"], uuid.uuid4()):
        refused = await client.get(f"/v1/customers/{other}/included-services", headers=bo)
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            404,
            "CUSTOMER_NOT_FOUND",
        )


async def test_center_calendars_are_the_vendor_side_s(client, sign_in, demo_ids, service_headers):
    centers = (await client.get("/v1/support-center-calendars", headers=service_headers)).json()
    assert {c["code"]: c["timezone"] for c in centers} == {
        "brisbane": "Australia/Brisbane",
        "broomfield": "America/Denver",
        "wallingford": "Europe/London",
    }
    bo = await sign_in("bo@borealis.example")
    refused = await client.get("/v1/support-center-calendars", headers=bo)
    assert refused.status_code == 403
