"""Each demo plan's commitments (docs/domain.md section 5) through `POST /v1/sla/simulate`, the
same engine live tickets use, with the due times worked out by hand."""

from __future__ import annotations

import pytest


@pytest.fixture
async def plans(contracts_client, login):
    headers = await login("admin@example.com")
    return {
        p["code"]: p["id"]
        for p in (await contracts_client.get("/v1/plans", headers=headers)).json()
    }


CASES = [
    # InfoCare at Acme Water's center, Broomfield (America/Denver, MST = UTC-7), Mon-Fri
    # 08:00-17:00, US holidays. Monday 23 Nov 16:30 MST = 23:30Z.
    # FIRST_RESPONSE 120: 30 min on Monday, 90 from Tuesday 08:00 -> Tue 09:30 MST = 16:30Z.
    # RESOLUTION 1440: Mon 30 + Tue 540 + Wed 540 = 1110; Thursday 26 Nov is Thanksgiving;
    # the last 330 from Friday 08:00 -> Fri 27 Nov 13:30 MST = 20:30Z.
    (
        "infocare",
        "Acme Water",
        "NORMAL",
        "2026-11-23T23:30:00Z",
        {"FIRST_RESPONSE": "2026-11-24T16:30:00", "RESOLUTION": "2026-11-27T20:30:00"},
    ),
    # InfraCare (America/New_York, calendar time): Saturday 21 Nov 10:00 EST = 15:00Z is
    # outside the Mon-Fri 07:00-22:00 window -> 480 minutes -> 23:00Z.
    (
        "infracare",
        None,
        "NORMAL",
        "2026-11-21T15:00:00Z",
        {"FIRST_RESPONSE": "2026-11-21T23:00:00"},
    ),
    # Tuesday 24 Nov 09:00 EST = 14:00Z is inside the window -> 120 minutes -> 16:00Z.
    (
        "infracare",
        None,
        "NORMAL",
        "2026-11-24T14:00:00Z",
        {"FIRST_RESPONSE": "2026-11-24T16:00:00"},
    ),
    # Invantive (Europe/Amsterdam, CET = UTC+1, Mon-Fri 09:00-17:00, Dutch holidays), Cat III
    # on Christmas Eve 2025 16:00 CET = 15:00Z. FIRST_RESPONSE 1440: 60 on the 24th; 25 and 26
    # Dec are holidays, 27-28 a weekend; 29 and 30 Dec give 960 -> 1020; the last 420 end on
    # Wednesday 31 Dec 16:00 CET = 15:00Z.
    (
        "invantive-subscription",
        None,
        "III",
        "2025-12-24T15:00:00Z",
        {"FIRST_RESPONSE": "2025-12-31T15:00:00"},
    ),
    # Infotecs Basic (Europe/Moscow, UTC+3, Mon-Fri 09:00-18:00): Friday 20 Nov 17:00 MSK =
    # 14:00Z. FIRST_RESPONSE 480: 60 on Friday, 420 from Monday 09:00 -> 16:00 MSK = 13:00Z.
    (
        "infotecs-basic",
        None,
        "NORMAL",
        "2026-11-20T14:00:00Z",
        {"FIRST_RESPONSE": "2026-11-23T13:00:00"},
    ),
    # Infotecs Premium: CRITICAL is 60 calendar minutes, at night and at weekends too.
    (
        "infotecs-premium",
        None,
        "CRITICAL",
        "2026-11-21T03:00:00Z",
        {"FIRST_RESPONSE": "2026-11-21T04:00:00"},
    ),
    # ... the other priorities 240 business minutes: 60 on Friday, 180 from Monday 09:00 ->
    # 12:00 MSK = 09:00Z.
    (
        "infotecs-premium",
        None,
        "HIGH",
        "2026-11-20T14:00:00Z",
        {"FIRST_RESPONSE": "2026-11-23T09:00:00"},
    ),
]


@pytest.mark.parametrize(("plan", "customer", "priority", "received", "due"), CASES)
async def test_demo_plan_commitments(
    live, login, plans, demo_ids, plan, customer, priority, received, due
):
    manager = await login("manager@example.com")
    body = {
        "plan_id": plans[plan],
        "priority": priority,
        "received_at": received,
        "as_of": received,
    }
    if customer:
        body["customer_id"] = demo_ids[customer]
    response = await live.post("/v1/sla/simulate", json=body, headers=manager)
    assert response.status_code == 200, response.text
    clocks = {c["metric"]: c["due_at"] for c in response.json()}
    assert set(due) <= set(clocks)
    if plan in ("infracare", "infotecs-basic", "infotecs-premium"):
        assert "RESOLUTION" not in clocks  # these plans commit to no resolution time
    for metric, expected in due.items():
        assert clocks[metric].startswith(expected), (metric, clocks[metric])
