"""Products, major versions, releases and lifecycle milestones through the real app."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.dates import add_months

pytestmark = pytest.mark.usefixtures("quick_demo_password")


def _today():
    return datetime.now(UTC).date()


@pytest.fixture
async def manager(staff, sign_in):
    return await sign_in(staff["MANAGER"])


@pytest.fixture
async def product(client, manager):
    response = await client.post(
        "/v1/products",
        json={"code": f"harbor-{uuid.uuid4().hex[:6]}", "name": "Harbor", "description": "Docks"},
        headers=manager,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _by_major(lifecycle):
    return {v["major"]: v for v in lifecycle}


async def test_products_created_listed_and_read(client, staff, sign_in, manager, product):
    assert product["name"] == "Harbor" and product["description"] == "Docks"
    again = await client.post(
        "/v1/products", json={"code": product["code"], "name": "Other"}, headers=manager
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "PRODUCT_CODE_TAKEN"
    response = await client.post(
        "/v1/products", json={"code": "Not A Code", "name": "x"}, headers=manager
    )
    assert response.status_code == 422

    agent = await sign_in(staff["AGENT"])
    assert product in (await client.get("/v1/products", headers=agent)).json()
    assert (await client.get(f"/v1/products/{product['id']}", headers=agent)).json() == product
    response = await client.post("/v1/products", json={"code": "x", "name": "x"}, headers=agent)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ROLE_FORBIDDEN"
    assert (await client.get("/v1/products")).status_code == 401


async def test_unknown_product_or_major_version_is_404(client, manager, product):
    unknown = uuid.uuid4()
    for method, path, body in [
        ("GET", f"/v1/products/{unknown}", None),
        ("GET", f"/v1/products/{unknown}/lifecycle", None),
        ("GET", f"/v1/products/{unknown}/supported-versions", None),
        ("POST", f"/v1/products/{unknown}/versions", {"major": 1, "ga": "2020-01-01"}),
        ("PATCH", f"/v1/products/{unknown}/versions/1", {"release_state": "x"}),
        ("POST", f"/v1/products/{unknown}/versions/1/releases", {"version": "1.0"}),
    ]:
        response = await client.request(method, path, json=body, headers=manager)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "PRODUCT_NOT_FOUND"
    base = f"/v1/products/{product['id']}/versions/7"
    for method, path, body in [
        ("PATCH", base, {"release_state": "x"}),
        ("POST", f"{base}/releases", {"version": "7.0"}),
    ]:
        response = await client.request(method, path, json=body, headers=manager)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "VERSION_NOT_FOUND"


async def test_tideway_lifecycle_is_derived_from_ga_and_eos(client, sign_in, demo_ids):
    # Any signed-in caller may read lifecycles, customers' contacts included.
    ana = await sign_in("ana@acme-water.example")
    url = f"/v1/products/{demo_ids.product}/lifecycle"
    response = await client.get(url, params={"at": "2025-01-01"}, headers=ana)
    assert response.status_code == 200, response.text
    versions = response.json()
    assert [(v["major"], v["ga"], v["eos"], v["eoms"], v["eol"], v["phase"]) for v in versions] == [
        (1, "2019-01-15", "2021-06-30", "2023-03-01", "2024-03-01", "END_OF_LIFE"),
        (2, "2021-03-01", "2024-06-30", "2026-09-01", "2027-09-01", "MAINSTREAM"),
        (3, "2024-09-01", None, None, None, "MAINSTREAM"),
    ]
    assert all(v["eoms_derived"] and v["eol_derived"] for v in versions)
    assert [[r["version"] for r in v["releases"]] for v in versions] == [
        ["1.4"],
        ["2.0", "2.3"],
        ["3.0", "3.1"],
    ]
    later = _by_major((await client.get(url, params={"at": "2027-01-01"}, headers=ana)).json())
    assert (later[2]["phase"], later[3]["phase"]) == ("EXTENDED", "MAINSTREAM")
    assert (await client.get(url, params={"at": "someday"}, headers=ana)).status_code == 422

    supported = (
        await client.get(
            f"/v1/products/{demo_ids.product}/supported-versions",
            params={"at": "2027-01-01"},
            headers=ana,
        )
    ).json()
    assert [(s["version"], s["major"], s["phase"]) for s in supported] == [
        ("2.0", 2, "EXTENDED"),
        ("2.3", 2, "EXTENDED"),
        ("3.0", 3, "MAINSTREAM"),
        ("3.1", 3, "MAINSTREAM"),
    ]


async def test_versions_and_releases_are_added(client, manager, product, outbox):
    url = f"/v1/products/{product['id']}/versions"
    response = await client.post(
        url, json={"major": 1, "ga": "2018-05-01", "eos": "2020-05-01"}, headers=manager
    )
    assert response.status_code == 201, response.text
    (one,) = response.json()
    assert (one["eoms"], one["eol"], one["phase"], one["release_state"]) == (
        "2021-05-01",
        "2023-05-01",  # at least 5 years from GA
        "END_OF_LIFE",
        "Production",
    )
    # A new major's GA may move the previous one's EOMS: here into the past, so no notice.
    response = await client.post(
        url,
        json={"major": 2, "ga": "2019-09-01", "release_state": "Long Term Support"},
        headers=manager,
    )
    assert response.status_code == 201, response.text
    one, two = response.json()
    assert (one["eoms"], one["eol"]) == ("2021-09-01", "2023-05-01")
    assert (two["ga"], two["eos"], two["release_state"]) == (
        "2019-09-01",
        None,
        "Long Term Support",
    )
    changed = await outbox("lifecycle.milestones_changed")
    assert [(e["major"], e["changed"]) for e in changed] == [
        (1, ["ga", "eos", "eoms", "eol"]),
        (1, ["eoms"]),
        (2, ["ga"]),
    ]
    assert changed[1]["before"]["eoms"] == "2021-05-01"
    assert changed[1]["after"]["eoms"] == "2021-09-01"
    assert changed[1]["product_id"] == product["id"]

    again = await client.post(url, json={"major": 2, "ga": "2019-09-01"}, headers=manager)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "VERSION_EXISTS"

    releases = f"{url}/2/releases"
    response = await client.post(
        releases, json={"version": "2.1", "released_on": "2020-01-10"}, headers=manager
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "version": "2.1",
        "release_state": "Production",
        "released_on": "2020-01-10",
    }
    again = await client.post(releases, json={"version": "2.1"}, headers=manager)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "RELEASE_EXISTS"
    response = await client.post(releases, json={"version": "3.0"}, headers=manager)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "RELEASE_MAJOR_MISMATCH"
    response = await client.post(releases, json={"version": "two"}, headers=manager)
    assert response.status_code == 422

    lifecycle = (
        await client.get(f"/v1/products/{product['id']}/lifecycle", headers=manager)
    ).json()
    assert [r["version"] for r in _by_major(lifecycle)[2]["releases"]] == ["2.1"]


async def test_milestones_out_of_order_are_refused(client, manager, product):
    url = f"/v1/products/{product['id']}/versions"
    response = await client.post(
        url, json={"major": 1, "ga": "2020-01-01", "eos": "2019-12-31"}, headers=manager
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "MILESTONES_OUT_OF_ORDER"
    assert "EOS" in error["message"]

    assert (
        await client.post(url, json={"major": 1, "ga": "2020-01-01"}, headers=manager)
    ).status_code == 201
    for body in (
        {"eos": "2019-01-01"},
        {"eos": "2021-01-01", "eoms_override": "2020-12-01", "override_reason": "r"},
        {"eol_override": "2019-06-01", "override_reason": "r"},
    ):
        response = await client.patch(f"{url}/1", json=body, headers=manager)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "MILESTONES_OUT_OF_ORDER"
    response = await client.patch(f"{url}/1", json={"ga": None}, headers=manager)
    assert response.status_code == 422


async def test_a_milestone_under_six_months_ahead_needs_a_forced_reason(
    client, manager, product, outbox
):
    today = _today()
    url = f"/v1/products/{product['id']}/versions"
    ga = add_months(today, -24).isoformat()
    assert (await client.post(url, json={"major": 1, "ga": ga}, headers=manager)).status_code == 201
    announced = len(await outbox("lifecycle.milestones_changed"))

    for eos in (today, add_months(today, 3), add_months(today, 6) - timedelta(days=1)):
        response = await client.patch(f"{url}/1", json={"eos": eos.isoformat()}, headers=manager)
        assert response.status_code == 422, eos
        error = response.json()["error"]
        assert error["code"] == "MILESTONE_NOTICE_TOO_SHORT"
        assert "EOS" in error["message"]
    response = await client.patch(
        f"{url}/1",
        json={"eos": add_months(today, 3).isoformat(), "force_reason": "   "},
        headers=manager,
    )
    assert response.status_code == 422
    assert len(await outbox("lifecycle.milestones_changed")) == announced
    view = (await client.get(f"/v1/products/{product['id']}/lifecycle", headers=manager)).json()
    assert view[0]["eos"] is None

    eos = add_months(today, 3)
    response = await client.patch(
        f"{url}/1",
        json={"eos": eos.isoformat(), "force_reason": "critical security flaw in the engine"},
        headers=manager,
    )
    assert response.status_code == 200, response.text
    (one,) = response.json()
    assert (one["eos"], one["eoms"]) == (eos.isoformat(), add_months(eos, 12).isoformat())
    event = (await outbox("lifecycle.milestones_changed"))[-1]
    assert event["major"] == 1
    assert event["changed"] == ["eos", "eoms", "eol"]
    assert event["forced_reason"] == "critical security flaw in the engine"
    assert event["before"]["eos"] is None and event["after"]["eos"] == eos.isoformat()
    assert event["changed_by"] == "manager@example.com"

    # Six months ahead or more needs no reason; a date in the past is history.
    for eos in (add_months(today, 6), add_months(today, 8), add_months(today, -1)):
        response = await client.patch(f"{url}/1", json={"eos": eos.isoformat()}, headers=manager)
        assert response.status_code == 200, (eos, response.text)


async def test_a_new_major_that_pulls_the_previous_eoms_close_needs_a_forced_reason(
    client, manager, product, outbox
):
    today = _today()
    url = f"/v1/products/{product['id']}/versions"
    first = {
        "major": 1,
        "ga": add_months(today, -36).isoformat(),
        "eos": add_months(today, -18).isoformat(),
    }
    assert (await client.post(url, json=first, headers=manager)).status_code == 201
    # Major 2's GA + 2 years lands within 6 months: major 1's EOMS would move there.
    second = {"major": 2, "ga": add_months(today, -20).isoformat()}
    response = await client.post(url, json=second, headers=manager)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "MILESTONE_NOTICE_TOO_SHORT"
    assert "EOMS" in response.json()["error"]["message"]
    lifecycle = await client.get(f"/v1/products/{product['id']}/lifecycle", headers=manager)
    assert [v["major"] for v in lifecycle.json()] == [1]

    response = await client.post(
        url, json={**second, "force_reason": "agreed with the customer board"}, headers=manager
    )
    assert response.status_code == 201, response.text
    one = _by_major(response.json())[1]
    assert one["eoms"] == add_months(add_months(today, -20), 24).isoformat()
    events = (await outbox("lifecycle.milestones_changed"))[-2:]
    assert [(e["major"], e["changed"]) for e in events] == [(1, ["eoms"]), (2, ["ga"])]
    assert {e["forced_reason"] for e in events} == {"agreed with the customer board"}


async def test_overrides_need_a_reason_and_state_changes_announce_nothing(
    client, manager, product, outbox
):
    url = f"/v1/products/{product['id']}/versions"
    await client.post(
        url, json={"major": 1, "ga": "2015-01-01", "eos": "2017-01-01"}, headers=manager
    )
    before = len(await outbox("lifecycle.milestones_changed"))
    for body in (
        {"eoms_override": "2019-01-01"},
        {"eol_override": "2021-01-01", "override_reason": "  "},
    ):
        response = await client.patch(f"{url}/1", json=body, headers=manager)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "OVERRIDE_REASON_REQUIRED"

    response = await client.patch(
        f"{url}/1",
        json={"eoms_override": "2019-01-01", "override_reason": "contract with the ministry"},
        headers=manager,
    )
    assert response.status_code == 200, response.text
    (one,) = response.json()
    assert (one["eoms"], one["eoms_derived"], one["eol"], one["eol_derived"]) == (
        "2019-01-01",
        False,
        "2020-01-01",  # GA + 5 years still holds
        True,
    )
    assert one["override_reason"] == "contract with the ministry"
    assert len(await outbox("lifecycle.milestones_changed")) == before + 1

    response = await client.patch(
        f"{url}/1", json={"release_state": "Long Term Support"}, headers=manager
    )
    assert response.status_code == 200
    assert response.json()[0]["release_state"] == "Long Term Support"
    assert len(await outbox("lifecycle.milestones_changed")) == before + 1

    response = await client.patch(
        f"{url}/1",
        json={"eoms_override": None, "override_reason": None},
        headers=manager,
    )
    assert response.status_code == 200
    assert response.json()[0]["eoms"] == "2018-01-01" and response.json()[0]["eoms_derived"]


async def test_only_managers_change_the_catalogue(client, staff, sign_in, product):
    agent = await sign_in(staff["AGENT"])
    url = f"/v1/products/{product['id']}/versions"
    for method, path, body in [
        ("POST", url, {"major": 1, "ga": "2020-01-01"}),
        ("PATCH", f"{url}/1", {"release_state": "x"}),
        ("POST", f"{url}/1/releases", {"version": "1.0"}),
    ]:
        response = await client.request(method, path, json=body, headers=agent)
        assert response.status_code == 403, (method, path)


async def test_a_major_version_number_beyond_any_real_one_is_a_validation_error(
    client, manager, product
):
    # Found by make fuzz: a number past PostgreSQL's integer was a 500.
    for major in (10_001, 6373746755278):
        path = f"/v1/products/{product['id']}/versions/{major}"
        answers = [
            await client.post(f"{path}/releases", json={"version": "3.2"}, headers=manager),
            await client.patch(path, json={"eos": "2030-01-01"}, headers=manager),
        ]
        for response in answers:
            assert response.status_code == 422, response.text
            assert response.json()["error"]["code"] == "VALIDATION_ERROR"
