"""Plans as data: the demo's seed policies, and plans defined and changed through the API."""

from __future__ import annotations

import copy
import uuid

import pytest

pytestmark = pytest.mark.usefixtures("quick_demo_password")

POLICY = {
    "calendar": {
        "timezone": "Europe/Moscow",
        "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holiday_country": "RU",
    },
    "priorities": ["LOW", "NORMAL", "CRITICAL"],
    "default_priority": "NORMAL",
    "targets": [
        {
            "metric": "FIRST_RESPONSE",
            "minutes": 60,
            "business_time": False,
            "priorities": ["CRITICAL"],
        },
        {"metric": "FIRST_RESPONSE", "minutes": 480, "business_time": True},
    ],
}


def _plan(**fields):
    return {
        "code": f"gold-{uuid.uuid4().hex[:6]}",
        "name": "Gold",
        "description": "Round the clock for critical cases.",
        "sla_policy": POLICY,
        "channels": ["email", "phone"],
        "services": ["emergency", "on_site"],
        "contact_rule": "administrators_only",
        "quota": {
            "yearly": 12,
            "rollover": True,
            "when_exhausted": "billable",
            "reopen_window_days": 7,
        },
        "pricing": {"first_year_percent": "15", "later_years_percent": "18.5"},
        **fields,
    }


async def test_the_demo_plans_are_the_seed_policies(client, sign_in, demo_ids):
    # Contacts may read what is on offer.
    plans = (await client.get("/v1/plans", headers=await sign_in("ben@borealis.example"))).json()
    by_code = {p["code"]: p for p in plans}
    assert [p["name"] for p in plans] == [
        "InfoCare",
        "Infotecs Basic",
        "Infotecs Premium",
        "InfraCare",
        "Invantive Subscription",
    ]
    basic, premium = by_code["infotecs-basic"], by_code["infotecs-premium"]
    assert basic["quota"] == {
        "yearly": 40,
        "rollover": True,
        "when_exhausted": "billable",
        "reopen_window_days": 14,
    }
    assert {k: float(v) for k, v in basic["pricing"].items()} == {
        "first_year_percent": 12.0,
        "later_years_percent": 20.0,
        "upgrade_percent": 30.0,
    }
    assert premium["prerequisite_plan_id"] == basic["id"]
    assert premium["quota"] is None and premium["pricing"] is None
    assert by_code["infracare"]["contact_rule"] == "administrators_only"
    assert by_code["infracare"]["sla_policy"]["calendar"]["always_open"] is True
    assert by_code["infocare"]["sla_policy"]["calendar"]["use_customer_center"] is True
    invantive = by_code["invantive-subscription"]["sla_policy"]
    assert (invantive["priorities"], invantive["default_priority"]) == (["I", "II", "III"], "III")
    assert all(p["active"] for p in plans)


async def test_a_manager_defines_a_plan_and_reads_it_back(client, staff, sign_in):
    manager = await sign_in(staff["MANAGER"])
    body = _plan()
    response = await client.post("/v1/plans", json=body, headers=manager)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert {k: plan[k] for k in ("code", "name", "channels", "services", "contact_rule")} == {
        k: body[k] for k in ("code", "name", "channels", "services", "contact_rule")
    }
    assert plan["quota"] == body["quota"]
    assert float(plan["pricing"]["later_years_percent"]) == 18.5
    assert plan["pricing"]["upgrade_percent"] is None
    assert plan["sla_policy"]["targets"][0]["priorities"] == ["CRITICAL"]
    assert plan["sla_policy"]["calendar"]["always_open"] is False  # defaults filled in
    assert plan["active"] is True and plan["prerequisite_plan_id"] is None

    agent = await sign_in(staff["AGENT"])
    assert (await client.get(f"/v1/plans/{plan['id']}", headers=agent)).json() == plan
    assert plan in (await client.get("/v1/plans", headers=agent)).json()

    again = await client.post("/v1/plans", json={**body, "name": "Other"}, headers=manager)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "PLAN_CODE_TAKEN"

    response = await client.post("/v1/plans", json=_plan(), headers=agent)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"


async def test_a_prerequisite_must_be_a_known_plan(client, staff, sign_in):
    manager = await sign_in(staff["MANAGER"])
    base = (await client.post("/v1/plans", json=_plan(), headers=manager)).json()
    response = await client.post(
        "/v1/plans", json=_plan(prerequisite_plan_id=base["id"]), headers=manager
    )
    assert response.status_code == 201
    assert response.json()["prerequisite_plan_id"] == base["id"]

    response = await client.post(
        "/v1/plans", json=_plan(prerequisite_plan_id=str(uuid.uuid4())), headers=manager
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PLAN_NOT_FOUND"


def _bad_policies():
    unknown_tz = copy.deepcopy(POLICY)
    unknown_tz["calendar"]["timezone"] = "Europe/Atlantis"
    unordered = copy.deepcopy(POLICY)
    unordered["calendar"]["hours"]["mon"] = [["17:00", "09:00"]]
    unknown_priority = copy.deepcopy(POLICY)
    unknown_priority["targets"][0]["priorities"] = ["P1"]
    bad_default = copy.deepcopy(POLICY)
    bad_default["default_priority"] = "HIGH"
    no_hours = copy.deepcopy(POLICY)
    no_hours["calendar"]["hours"] = {}
    bad_metric = copy.deepcopy(POLICY)
    bad_metric["targets"][1]["metric"] = "WHENEVER"
    return [unknown_tz, unordered, unknown_priority, bad_default, no_hours, bad_metric]


async def test_an_sla_policy_the_engine_cannot_compute_with_is_refused(client, staff, sign_in):
    manager = await sign_in(staff["MANAGER"])
    for policy in _bad_policies():
        response = await client.post("/v1/plans", json=_plan(sla_policy=policy), headers=manager)
        assert response.status_code == 422, policy
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert all(d["loc"][:2] == ["body", "sla_policy"] for d in error["details"])


async def test_bad_plan_fields_are_422(client, staff, sign_in):
    manager = await sign_in(staff["MANAGER"])
    for fields in (
        {"quota": {"yearly": -1}},
        {"quota": {"yearly": 5, "when_exhausted": "panic"}},
        {"pricing": {"first_year_percent": "12"}},
        {"channels": ["pigeon"]},
        {"contact_rule": "anyone"},
        {"code": "Gold Plan"},
    ):
        response = await client.post("/v1/plans", json=_plan(**fields), headers=manager)
        assert response.status_code == 422, fields
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_a_plan_is_changed_and_retired(client, staff, sign_in):
    manager = await sign_in(staff["MANAGER"])
    plan = (await client.post("/v1/plans", json=_plan(), headers=manager)).json()
    url = f"/v1/plans/{plan['id']}"

    response = await client.patch(
        url,
        json={"quota": {"yearly": 20, "when_exhausted": "refuse"}, "name": "Gold 2"},
        headers=manager,
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["name"] == "Gold 2"
    assert changed["quota"] == {
        "yearly": 20,
        "rollover": False,
        "when_exhausted": "refuse",
        "reopen_window_days": 14,
    }
    assert changed["pricing"] == plan["pricing"]  # untouched

    response = await client.patch(url, json={"quota": None, "channels": ["web"]}, headers=manager)
    assert response.status_code == 200
    assert (response.json()["quota"], response.json()["channels"]) == (None, ["web"])

    for body in ({"name": None}, {"sla_policy": None}, {"contact_rule": None}):
        response = await client.patch(url, json=body, headers=manager)
        assert response.status_code == 422, body

    response = await client.patch(url, json={"active": False}, headers=manager)
    assert response.status_code == 200 and response.json()["active"] is False
    listed = (await client.get("/v1/plans", headers=manager)).json()
    assert plan["id"] not in {p["id"] for p in listed}
    # Still readable by id: agreements on it keep pointing to it.
    assert (await client.get(url, headers=manager)).status_code == 200

    agent = await sign_in(staff["AGENT"])
    response = await client.patch(url, json={"active": True}, headers=agent)
    assert response.status_code == 403


async def test_unknown_plan_is_404(client, staff, sign_in):
    manager = await sign_in(staff["MANAGER"])
    unknown = uuid.uuid4()
    for method, body in [("GET", None), ("PATCH", {"name": "x"})]:
        response = await client.request(method, f"/v1/plans/{unknown}", json=body, headers=manager)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "PLAN_NOT_FOUND"


async def test_the_sla_policy_a_case_would_run_under(client, staff, sign_in, demo_ids):
    agent = await sign_in(staff["AGENT"])
    infocare = demo_ids.plans["infocare"]
    url = f"/v1/plans/{infocare}/sla-policy"

    async def calendar(headers, **params):
        response = await client.get(url, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["calendar"]

    # Without a customer, the plan's own calendar; with one, its support center's.
    own = await calendar(agent)
    assert (own["timezone"], own["use_customer_center"]) == ("America/Denver", False)
    cobalt = str(demo_ids.customers["Cobalt Logistics"])
    emea = await calendar(agent, customer_id=cobalt)
    assert (emea["timezone"], emea["holiday_country"], emea["holiday_subdivision"]) == (
        "Europe/London",
        "GB",
        "ENG",
    )
    assert emea["use_customer_center"] is False
    policy = (await client.get(url, params={"customer_id": cobalt}, headers=agent)).json()
    assert [t["minutes"] for t in policy["targets"]] == [120, 120, 1440]

    invantive = demo_ids.plans["invantive-subscription"]
    response = await client.get(
        f"/v1/plans/{invantive}/sla-policy", params={"customer_id": cobalt}, headers=agent
    )
    assert response.json()["calendar"]["timezone"] == "Europe/Amsterdam"

    # A contact asks for its own customer only.
    ana = await sign_in("ana@acme-water.example")
    acme = str(demo_ids.customers["Acme Water"])
    assert (await calendar(ana, customer_id=acme))["timezone"] == "America/Denver"
    response = await client.get(url, params={"customer_id": cobalt}, headers=ana)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"

    response = await client.get(f"/v1/plans/{uuid.uuid4()}/sla-policy", headers=agent)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "PLAN_NOT_FOUND")
    response = await client.get(url, params={"customer_id": str(uuid.uuid4())}, headers=agent)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "CUSTOMER_NOT_FOUND")
