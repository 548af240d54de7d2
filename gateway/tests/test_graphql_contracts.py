"""The contracts part of the GraphQL schema, through ``/graphql`` with real tokens, against the
real contracts service (in-process) on real PostgreSQL with the demo data of docs/domain.md
section 5. Where REST answers the same question, GraphQL is checked against that answer."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import FastAPI

from careplane_shared.testing import TokenBox, bearer
from careplane_shared.testing.graphql import data_of, graphql, only_error
from careplane_shared.testing.transport import RecordingTransport, SerialTransport

from .conftest import ContractsDemo, GatewayFactory

ADMIN = "admin@example.com"
AGENT = "agent@example.com"
ANA = "ana@acme-water.example"  # InfoCare, Acme Water (AMERICAS)
BEN = "ben@borealis.example"  # InfraCare (administrators only), not an administrator
DAN = "dan@delta.example"  # Infotecs Basic + Premium


@pytest.fixture
async def tokens(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> TokenBox:
    return TokenBox(gateway_serial_client)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def policy_as_graphql(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The REST policy JSON as the GraphQL SlaPolicy must show it: camelCase, intervals as
    ``{start, end}``, weekdays and metrics as enum names."""
    calendar = policy["calendar"]
    hours = calendar.get("hours") or {}
    return {
        "calendar": {
            **{camel(k): v for k, v in calendar.items() if k != "hours"},
            "hours": {
                day: [{"start": s, "end": e} for s, e in hours.get(day, [])]
                for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        },
        "priorities": policy["priorities"],
        "defaultPriority": policy["default_priority"],
        "targets": [
            {
                **{camel(k): v for k, v in target.items() if k != "window"},
                "window": None
                if target["window"] is None
                else {
                    **target["window"],
                    "days": [d.upper() for d in target["window"]["days"]],
                },
            }
            for target in policy["targets"]
        ],
    }


SLA_FIELDS = """
    calendar {
      timezone alwaysOpen holidayCountry holidaySubdivision extraHolidays useCustomerCenter
      hours {
        mon { start end } tue { start end } wed { start end } thu { start end }
        fri { start end } sat { start end } sun { start end }
      }
    }
    priorities defaultPriority
    targets {
      metric minutes businessTime priorities scheduledVisit
      window { timezone days start end }
    }
"""

ENTITLEMENT = f"""
query Entitlement($contact: ID!, $product: ID!, $version: String!) {{
  entitlement(contactId: $contact, productId: $product, version: $version) {{
    entitled reasons phase scope quotaRemaining billable majorVersion
    planCode planName supportCenter customerLanguage
    plan {{ name }} customer {{ name }} product {{ name }}
    sla {{ {SLA_FIELDS} }}
  }}
}}
"""


# -- entitlement -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "version", "entitled", "reasons", "phase", "scope"),
    [
        (BEN, "3.0", False, ["CONTACT_NOT_ADMIN"], "MAINSTREAM", None),
        (ANA, "2.3", True, ["EXTENDED_SUPPORT_LIMITED"], "EXTENDED", "SECURITY_AND_CRITICAL"),
        (ANA, "3.1", True, [], "MAINSTREAM", "FULL"),
        (DAN, "3.1", True, [], "MAINSTREAM", "FULL"),
        ("eve@echo.example", "3.1", False, ["NO_ACTIVE_AGREEMENT"], "MAINSTREAM", None),
        ("finn@fjord.example", "3.1", False, ["CUSTOMER_SUSPENDED"], "MAINSTREAM", None),
    ],
)
async def test_entitlement_of_demo_contacts_matches_rest(
    gateway_serial_client: httpx.AsyncClient,
    contracts_demo: ContractsDemo,
    tokens: TokenBox,
    email: str,
    version: str,
    entitled: bool,
    reasons: list[str],
    phase: str,
    scope: str | None,
) -> None:
    admin = await tokens(ADMIN)
    contact = contracts_demo.contacts[email]

    data = await data_of(
        gateway_serial_client,
        admin,
        ENTITLEMENT,
        {"contact": contact, "product": contracts_demo.product_id, "version": version},
    )
    rest = await gateway_serial_client.post(
        "/api/contracts/v1/entitlements/check",
        json={"contact_id": contact, "product_id": contracts_demo.product_id, "version": version},
        headers=bearer(admin),
    )

    answer = data["entitlement"]
    assert (answer["entitled"], answer["reasons"], answer["phase"], answer["scope"]) == (
        entitled,
        reasons,
        phase,
        scope,
    )
    assert rest.status_code == 200, rest.text
    expected = rest.json()
    assert answer["quotaRemaining"] == expected["quota_remaining"]
    assert answer["billable"] == expected["billable"]
    assert answer["planCode"] == expected["plan_code"]
    assert answer["supportCenter"] == expected["support_center"]
    assert answer["customerLanguage"] == expected["customer_language"].upper()
    if expected["sla_policy"] is None:
        assert answer["sla"] is None
    else:
        assert answer["sla"] == policy_as_graphql(expected["sla_policy"])


async def test_ana_on_2_3_is_limited_to_extended_support_on_her_centers_calendar(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    # A contact may check itself.
    ana = await tokens(ANA)
    variables = {
        "contact": contracts_demo.contacts[ANA],
        "product": contracts_demo.product_id,
        "version": "2.3",
    }

    answer = (await data_of(gateway_serial_client, ana, ENTITLEMENT, variables))["entitlement"]

    assert answer["entitled"] is True
    assert answer["reasons"] == ["EXTENDED_SUPPORT_LIMITED"]
    assert answer["planName"] == "InfoCare"
    assert answer["plan"] == {"name": "InfoCare"}
    assert answer["customer"] == {"name": "Acme Water"}
    assert answer["product"] == {"name": "Tideway"}
    # InfoCare uses the customer's support center: Broomfield, Colorado.
    assert answer["supportCenter"] == "broomfield"
    calendar = answer["sla"]["calendar"]
    assert calendar["timezone"] == "America/Denver"
    assert calendar["useCustomerCenter"] is False
    assert calendar["holidayCountry"] == "US"
    assert calendar["hours"]["mon"] == [{"start": "08:00", "end": "17:00"}]
    assert calendar["hours"]["sat"] == []


async def test_dan_is_served_under_infotecs_premium(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    variables = {
        "contact": contracts_demo.contacts[DAN],
        "product": contracts_demo.product_id,
        "version": "3",
    }

    answer = (await data_of(gateway_serial_client, await tokens(DAN), ENTITLEMENT, variables))[
        "entitlement"
    ]

    assert answer["entitled"] is True
    assert answer["planName"] == "Infotecs Premium"
    assert answer["quotaRemaining"] == 40  # Premium counts against the Basic agreement's quota
    sla = answer["sla"]
    assert sla["calendar"]["timezone"] == "Europe/Moscow"
    assert sla["priorities"] == ["LOW", "NORMAL", "HIGH", "CRITICAL"]
    assert sla["targets"][0] == {
        "metric": "FIRST_RESPONSE",
        "minutes": 60,
        "businessTime": False,
        "priorities": ["CRITICAL"],
        "scheduledVisit": False,
        "window": None,
    }


async def test_entitlement_of_an_unknown_or_malformed_contact_is_an_error(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    admin = await tokens(ADMIN)
    query = """query($contact: ID!, $product: ID!) {
      entitlement(contactId: $contact, productId: $product, version: "3.1") { entitled }
    }"""

    unknown = await graphql(
        gateway_serial_client,
        admin,
        query,
        {"contact": "00000000-0000-4000-8000-000000000000", "product": contracts_demo.product_id},
    )
    malformed = await graphql(
        gateway_serial_client,
        admin,
        query,
        {"contact": "../plans", "product": contracts_demo.product_id},
    )
    foreign = await graphql(
        gateway_serial_client,
        await tokens(ANA),
        query,
        {"contact": contracts_demo.contacts[DAN], "product": contracts_demo.product_id},
    )

    assert unknown["data"] is None
    assert only_error(unknown)["extensions"]["code"] == "CONTACT_NOT_FOUND"
    assert only_error(malformed)["extensions"]["code"] == "VALIDATION_ERROR"
    assert "contactId" in only_error(malformed)["message"]
    # Another customer's contact does not even exist for Ana.
    assert only_error(foreign)["extensions"]["code"] == "CONTACT_NOT_FOUND"


# -- products, lifecycles, plans ----------------------------------------------------------------

LIFECYCLE = """query($product: ID!, $at: Date) {
  productLifecycle(productId: $product, at: $at) {
    major ga eos eoms eol phase eomsDerived eolDerived overrideReason releaseState
    supported limitedSupport
    releases { version releaseState releasedOn }
  }
}"""


async def test_product_lifecycle_of_tideway_matches_rest(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    token = await tokens(ANA)
    product = contracts_demo.product_id

    data = await data_of(gateway_serial_client, token, LIFECYCLE, {"product": product})
    rest = await gateway_serial_client.get(
        f"/api/contracts/v1/products/{product}/lifecycle", headers=bearer(token)
    )

    majors = data["productLifecycle"]
    dates = [(m["major"], m["ga"], m["eos"], m["eoms"], m["eol"]) for m in majors]
    # EOMS = max(EOS + 1 y, next GA + 2 y); EOL = max(EOMS + 1 y, GA + 5 y).
    assert dates == [
        (1, "2019-01-15", "2021-06-30", "2023-03-01", "2024-03-01"),
        (2, "2021-03-01", "2024-06-30", "2026-09-01", "2027-09-01"),
        (3, "2024-09-01", None, None, None),
    ]
    assert rest.status_code == 200, rest.text
    assert [
        {camel(k): v for k, v in major.items() if k != "releases"} for major in rest.json()
    ] == [
        {k: v for k, v in m.items() if k not in {"releases", "supported", "limitedSupport"}}
        for m in majors
    ]
    assert [[r["version"] for r in m["releases"]] for m in majors] == [
        ["1.4"],
        ["2.0", "2.3"],
        ["3.0", "3.1"],
    ]
    assert all(m["eomsDerived"] and m["eolDerived"] for m in majors)
    for major in majors:
        assert major["supported"] is (major["phase"] in ("MAINSTREAM", "EXTENDED"))
        assert major["limitedSupport"] is (major["phase"] == "EXTENDED")


async def test_product_lifecycle_phases_at_a_date(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    data = await data_of(
        gateway_serial_client,
        await tokens(ANA),
        LIFECYCLE,
        {"product": contracts_demo.product_id, "at": "2027-01-01"},
    )

    assert [(m["major"], m["phase"], m["supported"]) for m in data["productLifecycle"]] == [
        (1, "END_OF_LIFE", False),
        (2, "EXTENDED", True),
        (3, "MAINSTREAM", True),
    ]


async def test_products_with_nested_lifecycle_and_supported_versions(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    query = """{
      products {
        id code name
        lifecycle(at: "2027-01-01") { major phase }
        supportedVersions(at: "2027-01-01") { version major phase }
      }
    }"""

    data = await data_of(gateway_serial_client, await tokens(DAN), query)

    [tideway] = data["products"]
    assert tideway["id"] == contracts_demo.product_id
    assert (tideway["code"], tideway["name"]) == ("tideway", "Tideway")
    assert [m["major"] for m in tideway["lifecycle"]] == [1, 2, 3]
    assert [(v["version"], v["phase"]) for v in tideway["supportedVersions"]] == [
        ("2.0", "EXTENDED"),
        ("2.3", "EXTENDED"),
        ("3.0", "MAINSTREAM"),
        ("3.1", "MAINSTREAM"),
    ]


async def test_supported_versions_of_a_product(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    query = """query($product: ID!) {
      supportedVersions(productId: $product, at: "2025-01-01") { version major releaseState }
    }"""

    data = await data_of(
        gateway_serial_client, await tokens(ANA), query, {"product": contracts_demo.product_id}
    )

    assert [v["version"] for v in data["supportedVersions"]] == ["2.0", "2.3", "3.0", "3.1"]
    assert {v["releaseState"] for v in data["supportedVersions"]} == {"Production"}


PLANS = f"""{{
  plans {{
    id code name description channels services contactRule active prerequisitePlanId
    quota {{ yearly rollover whenExhausted }}
    pricing {{ firstYearPercent laterYearsPercent upgradePercent }}
    prerequisite {{ code name }}
    sla {{ {SLA_FIELDS} }}
  }}
}}"""


async def test_the_five_demo_plans_match_rest(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    token = await tokens(ANA)

    plans = (await data_of(gateway_serial_client, token, PLANS))["plans"]
    rest = (
        await gateway_serial_client.get("/api/contracts/v1/plans", headers=bearer(token))
    ).json()

    assert sorted(p["name"] for p in plans) == [
        "InfoCare",
        "Infotecs Basic",
        "Infotecs Premium",
        "InfraCare",
        "Invantive Subscription",
    ]
    by_code = {p["code"]: p for p in plans}
    for expected in rest:
        plan = by_code[expected["code"]]
        assert plan["id"] == expected["id"]
        assert plan["sla"] == policy_as_graphql(expected["sla_policy"])
        assert plan["channels"] == [c.upper() for c in expected["channels"]]
        assert plan["services"] == [s.upper() for s in expected["services"]]
        assert plan["contactRule"] == expected["contact_rule"].upper()
    basic, premium = by_code["infotecs-basic"], by_code["infotecs-premium"]
    assert basic["quota"] == {"yearly": 40, "rollover": True, "whenExhausted": "BILLABLE"}
    assert [float(basic["pricing"][k]) for k in basic["pricing"]] == [12, 20, 30]
    assert premium["prerequisitePlanId"] == basic["id"]
    assert premium["prerequisite"] == {"code": "infotecs-basic", "name": "Infotecs Basic"}
    assert by_code["infracare"]["contactRule"] == "ADMINISTRATORS_ONLY"
    daytime = by_code["infracare"]["sla"]["targets"][1]
    assert daytime["window"] == {
        "timezone": "America/New_York",
        "days": ["MON", "TUE", "WED", "THU", "FRI"],
        "start": "07:00",
        "end": "22:00",
    }
    assert by_code["infocare"]["sla"]["calendar"]["useCustomerCenter"] is True


async def test_plans_without_a_token_are_unauthenticated(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> None:
    response = await gateway_serial_client.post("/graphql", json={"query": "{ plans { id } }"})

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_support_centers_for_staff_only(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    query = "{ supportCenters { code regions calendar { timezone holidaySubdivision } } }"

    staff = await data_of(gateway_serial_client, await tokens(AGENT), query)
    contact = await graphql(gateway_serial_client, await tokens(ANA), query)

    assert {c["code"]: c["calendar"]["timezone"] for c in staff["supportCenters"]} == {
        "brisbane": "Australia/Brisbane",
        "broomfield": "America/Denver",
        "wallingford": "Europe/London",
    }
    assert only_error(contact)["extensions"]["code"] == "ROLE_FORBIDDEN"


# -- license keys ---------------------------------------------------------------------------

ISSUE = """mutation($customer: ID!, $product: ID!, $major: Int!) {
  issueLicenseKey(customerId: $customer, productId: $product, majorVersion: $major) {
    id key customerId productId majorVersion status issuedAt expiresAt
    customer { name } product { name }
  }
}"""

VALIDATE = """query($key: String!, $product: ID!, $version: String!) {
  validateLicenseKey(key: $key, productId: $product, version: $version) {
    valid code licenseId customerId productId majorVersion
  }
}"""


def tampered_signature(key: str) -> str:
    """The key with one signature character changed, always: the last characters of a
    base64url signature may only carry padding bits, so the change lands well inside."""
    position = len(key) - 10
    replacement = "B" if key[position] == "A" else "A"
    return key[:position] + replacement + key[position + 1 :]


async def test_staff_issue_a_key_that_validates(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    agent = await tokens(AGENT)
    customer = contracts_demo.customers["Cobalt Logistics"]
    product = contracts_demo.product_id

    key = (
        await data_of(
            gateway_serial_client,
            agent,
            ISSUE,
            {"customer": customer, "product": product, "major": 3},
        )
    )["issueLicenseKey"]
    valid = await data_of(
        gateway_serial_client,
        agent,
        VALIDATE,
        {"key": key["key"], "product": product, "version": "3.1"},
    )
    wrong_major = await data_of(
        gateway_serial_client,
        agent,
        VALIDATE,
        {"key": key["key"], "product": product, "version": "2.3"},
    )
    tampered = await data_of(
        gateway_serial_client,
        agent,
        VALIDATE,
        {"key": tampered_signature(key["key"]), "product": product, "version": "3.1"},
    )

    assert key["key"].startswith("key/")
    assert (key["customerId"], key["productId"], key["majorVersion"]) == (customer, product, 3)
    assert key["status"] == "ACTIVE"
    assert key["customer"] == {"name": "Cobalt Logistics"}
    assert key["product"] == {"name": "Tideway"}
    assert valid["validateLicenseKey"] == {
        "valid": True,
        "code": "VALID",
        "licenseId": key["id"],
        "customerId": customer,
        "productId": product,
        "majorVersion": 3,
    }
    assert wrong_major["validateLicenseKey"]["code"] == "VERSION_MISMATCH"
    assert tampered["validateLicenseKey"]["code"] == "BAD_SIGNATURE"


async def test_a_key_verifies_offline_with_the_public_key_from_graphql(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    agent = await tokens(AGENT)
    key = (
        await data_of(
            gateway_serial_client,
            agent,
            ISSUE,
            {
                "customer": contracts_demo.customers["Acme Water"],
                "product": contracts_demo.product_id,
                "major": 2,
            },
        )
    )["issueLicenseKey"]["key"]

    pem = (await data_of(gateway_serial_client, agent, "{ licensePublicKey }"))["licensePublicKey"]

    public_key = load_pem_public_key(pem.encode())
    assert isinstance(public_key, Ed25519PublicKey)
    signed, signature = key.rsplit(".", 1)
    public_key.verify(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), signed.encode()
    )
    payload = signed.removeprefix("key/")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["major_version"] == 2


async def test_a_contact_may_not_issue_a_key(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    body = await graphql(
        gateway_serial_client,
        await tokens(ANA),
        ISSUE,
        {
            "customer": contracts_demo.customers["Acme Water"],
            "product": contracts_demo.product_id,
            "major": 3,
        },
    )

    assert body["data"] is None
    error = only_error(body)
    assert error["path"] == ["issueLicenseKey"]
    assert error["extensions"]["code"] == "ROLE_FORBIDDEN"
    assert error["extensions"]["status"] == 403


async def test_suspend_resume_reissue_and_revoke_a_key(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    agent = await tokens(AGENT)
    product = contracts_demo.product_id
    issued = (
        await data_of(
            gateway_serial_client,
            agent,
            ISSUE,
            {"customer": contracts_demo.customers["Delta Secure"], "product": product, "major": 3},
        )
    )["issueLicenseKey"]
    action = """mutation($id: ID!, $reason: String!) {
      %s(licenseKeyId: $id, reason: $reason) { id key status statusReason replacesId }
    }"""

    async def act(name: str, key_id: str) -> dict[str, Any]:
        variables = {"id": key_id, "reason": f"{name} in a test"}
        return (await data_of(gateway_serial_client, agent, action % name, variables))[name]

    async def code_of(key: str) -> str:
        variables = {"key": key, "product": product, "version": "3.1"}
        answer = await data_of(gateway_serial_client, agent, VALIDATE, variables)
        return str(answer["validateLicenseKey"]["code"])

    suspended = await act("suspendLicenseKey", issued["id"])
    assert (suspended["status"], suspended["statusReason"]) == (
        "SUSPENDED",
        "suspendLicenseKey in a test",
    )
    assert await code_of(issued["key"]) == "SUSPENDED"
    again = await graphql(
        gateway_serial_client,
        agent,
        action % "suspendLicenseKey",
        {"id": issued["id"], "reason": "x"},
    )
    assert only_error(again)["extensions"]["code"] == "LICENSE_KEY_STATUS_TRANSITION"

    assert (await act("resumeLicenseKey", issued["id"]))["status"] == "ACTIVE"
    assert await code_of(issued["key"]) == "VALID"

    reissued = await act("reissueLicenseKey", issued["id"])
    assert reissued["replacesId"] == issued["id"]
    assert reissued["key"] != issued["key"]
    assert await code_of(issued["key"]) == "REVOKED"
    assert await code_of(reissued["key"]) == "VALID"

    assert (await act("revokeLicenseKey", reissued["id"]))["status"] == "REVOKED"
    assert await code_of(reissued["key"]) == "REVOKED"


async def test_license_keys_list_and_one_key(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    agent = await tokens(AGENT)
    acme, cobalt = (
        contracts_demo.customers["Acme Water"],
        contracts_demo.customers["Cobalt Logistics"],
    )
    ids = []
    for customer in (acme, acme, cobalt):
        variables = {"customer": customer, "product": contracts_demo.product_id, "major": 3}
        ids.append(
            (await data_of(gateway_serial_client, agent, ISSUE, variables))["issueLicenseKey"]["id"]
        )
    query = """query($customer: ID, $id: ID!) {
      licenseKeys(customerId: $customer) { totalCount nodes { id customerId } }
      all: licenseKeys(status: ACTIVE, first: 1) { totalCount nodes { id } }
      licenseKey(id: $id) { id customer { name } }
    }"""

    data = await data_of(gateway_serial_client, agent, query, {"customer": acme, "id": ids[2]})
    ana = await data_of(
        gateway_serial_client, await tokens(ANA), query, {"customer": None, "id": ids[0]}
    )
    hidden = await graphql(
        gateway_serial_client, await tokens(ANA), query, {"customer": None, "id": ids[2]}
    )

    assert data["licenseKeys"]["totalCount"] == 2
    assert sorted(k["id"] for k in data["licenseKeys"]["nodes"]) == sorted(ids[:2])
    assert data["all"]["totalCount"] == 3
    assert len(data["all"]["nodes"]) == 1
    assert data["licenseKey"] == {"id": ids[2], "customer": {"name": "Cobalt Logistics"}}
    # A contact sees its own customer's keys only, and another's key not at all.
    assert ana["licenseKeys"]["totalCount"] == 2
    assert {k["customerId"] for k in ana["licenseKeys"]["nodes"]} == {acme}
    assert hidden["data"]["licenseKey"] is None
    assert only_error(hidden)["extensions"]["code"] == "LICENSE_KEY_NOT_FOUND"
    assert only_error(hidden)["path"] == ["licenseKey"]


# -- customers, tenancy, batching ------------------------------------------------------------------

CUSTOMERS_DEEP = """query($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes {
      id name standing language region externalId
      contacts { email isAdmin customer { name } }
      agreements { planName status year quotaRemaining plan { code } customer { name } }
      licenseKeys { id }
    }
  }
}"""


async def test_a_contact_sees_only_its_own_customer(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    ana = await tokens(ANA)
    delta = {"id": contracts_demo.customers["Delta Secure"]}

    data = await data_of(gateway_serial_client, ana, CUSTOMERS_DEEP)
    other = await data_of(
        gateway_serial_client,
        ana,
        "{ agreements { totalCount nodes { customer { name } } } billableItems { totalCount } }",
    )
    foreign = await graphql(
        gateway_serial_client, ana, "query($id: ID!) { customer(id: $id) { name } }", delta
    )
    foreign_agreements = await data_of(
        gateway_serial_client,
        ana,
        "query($id: ID!) { agreements(customerId: $id) { totalCount } }",
        delta,
    )

    customers = data["customers"]
    assert customers["totalCount"] == 1
    [acme] = customers["nodes"]
    assert acme["name"] == "Acme Water"
    assert [c["email"] for c in acme["contacts"]] == [ANA]
    assert [a["planName"] for a in acme["agreements"]] == ["InfoCare"]
    assert other["agreements"]["totalCount"] == 1
    assert other["agreements"]["nodes"] == [{"customer": {"name": "Acme Water"}}]
    assert foreign["data"] == {"customer": None}
    assert only_error(foreign)["extensions"]["code"] == "CUSTOMER_NOT_FOUND"
    assert foreign_agreements["agreements"]["totalCount"] == 0


async def test_nested_customer_fields_are_batched_per_request(
    start_gateway: GatewayFactory,
    contracts_app: FastAPI,
    contracts_demo: ContractsDemo,
    tokens: TokenBox,
) -> None:
    admin = await tokens(ADMIN)
    # The calls of the query: not the gateway's fetch of the keys that verify tokens.
    transport = RecordingTransport(
        SerialTransport.to(contracts_app), ignore={"/.well-known/jwks.json"}
    )

    async with start_gateway(contracts_transport=transport) as client:
        data = await data_of(client, admin, CUSTOMERS_DEEP)

    customers = {c["name"]: c for c in data["customers"]["nodes"]}
    assert data["customers"]["totalCount"] == 6
    assert len(customers) == 6
    # One call per kind of thing for all six customers: never one per customer. The
    # agreements' customers come from the first answer; plans from one list.
    assert sorted(transport.paths) == [
        "/v1/agreements",
        "/v1/contacts",
        "/v1/customers",
        "/v1/license-keys",
        "/v1/plans",
    ]
    batched = {r.url.path: r.url.params.get_list("customer_id") for r in transport.requests}
    assert sorted(batched["/v1/agreements"]) == sorted(contracts_demo.customers.values())
    assert sorted(batched["/v1/contacts"]) == sorted(contracts_demo.customers.values())
    delta = customers["Delta Secure"]
    assert sorted(a["planName"] for a in delta["agreements"]) == [
        "Infotecs Basic",
        "Infotecs Premium",
    ]
    assert {a["customer"]["name"] for a in delta["agreements"]} == {"Delta Secure"}
    assert sorted(c["email"] for c in customers["Borealis Health"]["contacts"]) == [
        "ben@borealis.example",
        "bo@borealis.example",
    ]
    assert customers["Echo Mining"]["agreements"][0]["status"] == "EXPIRED"
    assert customers["Fjord Analytics"]["standing"] == "SUSPENDED"
    assert customers["Cobalt Logistics"]["language"] == "NL"
    assert all(c["licenseKeys"] == [] for c in customers.values())


async def test_customers_page_by_page(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    admin = await tokens(ADMIN)
    names: list[str] = []
    after = None
    pages = []
    while True:
        page = (
            await data_of(
                gateway_serial_client, admin, CUSTOMERS_DEEP, {"first": 4, "after": after}
            )
        )["customers"]
        pages.append(page)
        names += [c["name"] for c in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert names == sorted(contracts_demo.customers)
    assert [len(p["nodes"]) for p in pages] == [4, 2]
    assert [p["totalCount"] for p in pages] == [6, 6]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True]


async def test_bad_page_arguments_are_refused(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    admin = await tokens(ADMIN)
    query = """query($first: Int, $after: String) {
      customers(first: $first, after: $after) { totalCount }
    }"""

    too_many = await graphql(gateway_serial_client, admin, query, {"first": 500})
    not_a_cursor = await graphql(gateway_serial_client, admin, query, {"after": "bm9wZQ"})
    # Digits to str.isdigit that int() cannot read, and a number no list reaches.
    odd_cursors = [
        base64.urlsafe_b64encode(f"offset:{number}".encode()).decode()
        for number in ("\u00b2", "\u0663", "9" * 13, "9" * 5000)
    ]
    odd = [await graphql(gateway_serial_client, admin, query, {"after": c}) for c in odd_cursors]
    good_cursor = base64.urlsafe_b64encode(b"offset:3").decode().rstrip("=")
    good = await graphql(gateway_serial_client, admin, query, {"after": good_cursor})

    assert only_error(too_many)["extensions"]["code"] == "VALIDATION_ERROR"
    assert only_error(not_a_cursor)["extensions"]["code"] == "INVALID_CURSOR"
    assert [only_error(body)["extensions"]["code"] for body in odd] == ["INVALID_CURSOR"] * 4
    assert good["data"]["customers"]["totalCount"] == 6, good


async def test_customers_search_and_one_customer_with_its_contacts(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    admin = await tokens(ADMIN)
    query = """query($id: ID!) {
      found: customers(search: "bore") { totalCount nodes { name } }
      suspended: customers(standing: SUSPENDED) { nodes { name } }
      customer(id: $id) { name timezone contacts { email isAdmin registered active } }
    }"""

    data = await data_of(
        gateway_serial_client, admin, query, {"id": contracts_demo.customers["Borealis Health"]}
    )

    assert data["found"] == {"totalCount": 1, "nodes": [{"name": "Borealis Health"}]}
    assert data["suspended"]["nodes"] == [{"name": "Fjord Analytics"}]
    assert data["customer"]["timezone"] == "America/New_York"
    assert data["customer"]["contacts"] == [
        {"email": BEN, "isAdmin": False, "registered": True, "active": True},
        {"email": "bo@borealis.example", "isAdmin": True, "registered": True, "active": True},
    ]


UPSERT = """mutation($externalId: String!, $input: CustomerInput!) {
  upsertCustomerByExternalId(externalId: $externalId, input: $input) {
    created
    customer { id name externalId language standing timezone }
  }
}"""


async def test_upsert_customer_by_external_id_is_idempotent(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    admin = await tokens(ADMIN)
    first_input = {"name": "Gale Power", "region": "EMEA", "timezone": "Europe/Amsterdam"}

    created = await data_of(
        gateway_serial_client, admin, UPSERT, {"externalId": "crm-42", "input": first_input}
    )
    updated = await data_of(
        gateway_serial_client,
        admin,
        UPSERT,
        {
            "externalId": "crm-42",
            "input": {**first_input, "name": "Gale Power BV", "language": "NL"},
        },
    )
    forbidden = await graphql(
        gateway_serial_client,
        await tokens(ANA),
        UPSERT,
        {"externalId": "crm-43", "input": first_input},
    )
    bad_zone = await graphql(
        gateway_serial_client,
        admin,
        UPSERT,
        {"externalId": "crm-44", "input": {**first_input, "timezone": "Mars/Olympus"}},
    )

    first, second = created["upsertCustomerByExternalId"], updated["upsertCustomerByExternalId"]
    assert first["created"] is True
    assert second["created"] is False
    assert first["customer"]["id"] == second["customer"]["id"]
    assert first["customer"] == {
        "id": first["customer"]["id"],
        "name": "Gale Power",
        "externalId": "crm-42",
        "language": "EN",
        "standing": "GOOD",
        "timezone": "Europe/Amsterdam",
    }
    assert (second["customer"]["name"], second["customer"]["language"]) == ("Gale Power BV", "NL")
    assert only_error(forbidden)["extensions"]["code"] == "ROLE_FORBIDDEN"
    assert only_error(bad_zone)["extensions"]["code"] == "VALIDATION_ERROR"
    listed = await data_of(
        gateway_serial_client, admin, '{ customers(search: "Gale") { totalCount } }'
    )
    assert listed["customers"]["totalCount"] == 1


async def test_an_external_id_stays_one_path_segment(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    customer = {"name": "Dot Dot", "region": "EMEA", "timezone": "Europe/Oslo"}

    data = await data_of(
        gateway_serial_client,
        await tokens(ADMIN),
        UPSERT,
        {"externalId": "..", "input": customer},
    )

    upserted = data["upsertCustomerByExternalId"]
    assert upserted["created"] is True
    assert upserted["customer"]["externalId"] == ".."


async def test_a_customer_administrator_registers_a_contact(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    query = """mutation($customer: ID!, $input: ContactInput!) {
      createContact(customerId: $customer, input: $input) { email isAdmin customer { name } }
    }"""
    variables = {
        "customer": contracts_demo.customers["Acme Water"],
        "input": {"email": "al@acme-water.example", "name": "Al Acme"},
    }

    data = await data_of(gateway_serial_client, await tokens(ANA), query, variables)
    again = await graphql(gateway_serial_client, await tokens(ANA), query, variables)

    assert data["createContact"] == {
        "email": "al@acme-water.example",
        "isAdmin": False,
        "customer": {"name": "Acme Water"},
    }
    assert only_error(again)["extensions"]["code"] == "CONTACT_EMAIL_TAKEN"


# -- agreements and quotas --------------------------------------------------------------------

AGREEMENT_FIELDS = """
  id year status startsOn endsOn termMonths licensePrice currency price upgradePrice
  quotaRemaining previousAgreementId renewedById productIds
  plan { code } products { name } customer { name }
  quota { yearly granted consumed remaining whenExhausted rollover }
"""

CREATE_AGREEMENT = f"""mutation($input: CreateAgreementInput!) {{
  createAgreement(input: $input) {{ {AGREEMENT_FIELDS} }}
}}"""


async def test_premium_without_basic_is_refused_with_the_rest_code(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    variables = {
        "input": {
            "customerId": contracts_demo.customers["Acme Water"],
            "planId": contracts_demo.plans["infotecs-premium"],
            "commencement": date.today().isoformat(),
            "licensePrice": "5000.00",
            "productIds": [contracts_demo.product_id],
        }
    }

    body = await graphql(gateway_serial_client, await tokens(ADMIN), CREATE_AGREEMENT, variables)

    assert body["data"] is None
    error = only_error(body)
    assert error["extensions"]["code"] == "PLAN_PREREQUISITE_MISSING"
    assert error["extensions"]["details"] == {
        "prerequisite_plan_id": contracts_demo.plans["infotecs-basic"]
    }


async def test_create_renew_and_suspend_an_agreement(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    manager = await tokens("manager@example.com")
    commencement = date.today() - timedelta(days=10)
    variables = {
        "input": {
            "customerId": contracts_demo.customers["Cobalt Logistics"],
            "planId": contracts_demo.plans["infotecs-basic"],
            "commencement": commencement.isoformat(),
            "licensePrice": "5000.00",
            "productIds": [contracts_demo.product_id],
        }
    }

    created = (await data_of(gateway_serial_client, manager, CREATE_AGREEMENT, variables))[
        "createAgreement"
    ]

    assert created["year"] == 1
    assert created["status"] == "ACTIVE"
    assert created["startsOn"] == commencement.isoformat()
    assert created["termMonths"] == 12
    assert created["currency"] == "EUR"
    assert float(created["licensePrice"]) == 5000
    assert float(created["price"]) == 600  # 12% the first year
    assert float(created["upgradePrice"]) == 1500  # 30%
    assert created["plan"] == {"code": "infotecs-basic"}
    assert created["products"] == [{"name": "Tideway"}]
    assert created["customer"] == {"name": "Cobalt Logistics"}
    assert created["quotaRemaining"] == 40
    assert created["quota"] == {
        "yearly": 40,
        "granted": 40,
        "consumed": 0,
        "remaining": 40,
        "whenExhausted": "BILLABLE",
        "rollover": True,
    }

    renew = (
        f"""mutation($id: ID!) {{ renewAgreement(agreementId: $id) {{ {AGREEMENT_FIELDS} }} }}"""
    )
    renewed = (await data_of(gateway_serial_client, manager, renew, {"id": created["id"]}))[
        "renewAgreement"
    ]
    twice = await graphql(gateway_serial_client, manager, renew, {"id": created["id"]})

    assert renewed["year"] == 2
    assert renewed["previousAgreementId"] == created["id"]
    assert float(renewed["price"]) == 1000  # 20% in later years
    assert renewed["quota"]["granted"] == 80  # 40 rolled over
    assert only_error(twice)["extensions"]["code"] == "AGREEMENT_ALREADY_RENEWED"

    change = """mutation($id: ID!, $status: AgreementStatus!) {
      changeAgreementStatus(agreementId: $id, status: $status, reason: "unpaid") {
        status storedStatus
      }
    }"""
    suspended = await data_of(
        gateway_serial_client, manager, change, {"id": created["id"], "status": "SUSPENDED"}
    )
    not_allowed = await graphql(
        gateway_serial_client, manager, change, {"id": created["id"], "status": "EXPIRED"}
    )

    assert suspended["changeAgreementStatus"] == {
        "status": "SUSPENDED",
        "storedStatus": "SUSPENDED",
    }
    error = only_error(not_allowed)
    assert error["extensions"]["code"] == "AGREEMENT_STATUS_TRANSITION"
    assert error["extensions"]["details"] == {"from": "suspended", "to": "expired"}


async def test_agreement_with_quota_ledger_purchases_and_exchanges(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    admin = await tokens(ADMIN)
    delta = contracts_demo.customers["Delta Secure"]
    listed = await data_of(
        gateway_serial_client,
        admin,
        """query($id: ID!) {
          agreements(customerId: $id) { totalCount nodes { id plan { code } } }
        }""",
        {"id": delta},
    )
    basic = next(
        a["id"] for a in listed["agreements"]["nodes"] if a["plan"]["code"] == "infotecs-basic"
    )
    premium = next(
        a["id"] for a in listed["agreements"]["nodes"] if a["plan"]["code"] == "infotecs-premium"
    )

    purchase = await data_of(
        gateway_serial_client,
        admin,
        """mutation($id: ID!) {
          purchaseQuota(agreementId: $id, amount: 5, note: "top-up") { kind amount note }
        }""",
        {"id": basic},
    )
    exchange = await data_of(
        gateway_serial_client,
        admin,
        """mutation($id: ID!) {
          exchangeQuota(agreementId: $id, amount: 3, service: "training") { kind amount }
        }""",
        {"id": basic},
    )
    query = """query($basic: ID!, $premium: ID!) {
      basic: agreement(id: $basic) {
        quotaRemaining
        quota { granted consumed remaining }
        quotaEntries(first: 2) { totalCount nodes { kind amount note } pageInfo { hasNextPage } }
      }
      premium: agreement(id: $premium) { quotaRemaining quota { remaining } }
    }"""
    data = await data_of(gateway_serial_client, admin, query, {"basic": basic, "premium": premium})
    contact = await graphql(
        gateway_serial_client, await tokens(ANA), query, {"basic": basic, "premium": premium}
    )

    assert listed["agreements"]["totalCount"] == 2
    assert purchase["purchaseQuota"] == {"kind": "PURCHASE", "amount": 5, "note": "top-up"}
    assert exchange["exchangeQuota"] == {"kind": "EXCHANGE", "amount": -3}
    assert data["basic"]["quotaRemaining"] == 42
    assert data["basic"]["quota"] == {"granted": 45, "consumed": 0, "remaining": 42}
    entries = data["basic"]["quotaEntries"]
    assert entries["totalCount"] == 3
    assert [e["kind"] for e in entries["nodes"]] == ["GRANT", "PURCHASE"]
    assert entries["pageInfo"]["hasNextPage"] is True
    # Premium has no quota of its own.
    assert data["premium"] == {"quotaRemaining": None, "quota": None}
    # Another customer's agreements do not exist for Ana.
    assert contact["data"] == {"basic": None, "premium": None}
    assert {e["extensions"]["code"] for e in contact["errors"]} == {"AGREEMENT_NOT_FOUND"}


# -- milestones ---------------------------------------------------------------------------------

SET_MILESTONES = """mutation($product: ID!, $major: Int!, $input: MilestonesInput!) {
  setMilestones(productId: $product, major: $major, input: $input) {
    major eos eoms eol eomsDerived eolDerived overrideReason
  }
}"""


async def test_a_milestone_under_six_months_ahead_needs_a_reason(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    manager = await tokens("manager@example.com")
    soon = (date.today() + timedelta(days=60)).isoformat()
    later = (date.today() + timedelta(days=400)).isoformat()
    variables: dict[str, Any] = {"product": contracts_demo.product_id, "major": 3}

    refused = await graphql(
        gateway_serial_client, manager, SET_MILESTONES, {**variables, "input": {"eos": soon}}
    )
    agent = await graphql(
        gateway_serial_client,
        await tokens(AGENT),
        SET_MILESTONES,
        {**variables, "input": {"eos": later}},
    )
    forced = await data_of(
        gateway_serial_client,
        manager,
        SET_MILESTONES,
        {**variables, "input": {"eos": soon, "forceReason": "security end of sale"}},
    )

    error = only_error(refused)
    assert error["extensions"]["code"] == "MILESTONE_NOTICE_TOO_SHORT"
    assert error["extensions"]["status"] == 422
    assert only_error(agent)["extensions"]["code"] == "ROLE_FORBIDDEN"
    major3 = forced["setMilestones"][2]
    assert major3["major"] == 3
    assert major3["eos"] == soon
    assert major3["eoms"] is not None and major3["eoms"] > soon
    assert major3["eomsDerived"] is True


async def test_an_override_without_a_reason_and_then_with_one(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    manager = await tokens("manager@example.com")
    variables: dict[str, Any] = {"product": contracts_demo.product_id, "major": 2}

    no_reason = await graphql(
        gateway_serial_client,
        manager,
        SET_MILESTONES,
        {**variables, "input": {"eolOverride": "2030-01-01"}},
    )
    with_reason = await data_of(
        gateway_serial_client,
        manager,
        SET_MILESTONES,
        {**variables, "input": {"eolOverride": "2030-01-01", "overrideReason": "key account"}},
    )
    cleared = await data_of(
        gateway_serial_client,
        manager,
        SET_MILESTONES,
        {**variables, "input": {"eolOverride": None, "overrideReason": None}},
    )

    assert only_error(no_reason)["extensions"]["code"] == "OVERRIDE_REASON_REQUIRED"
    major2 = with_reason["setMilestones"][1]
    assert (major2["eol"], major2["eolDerived"], major2["overrideReason"]) == (
        "2030-01-01",
        False,
        "key account",
    )
    restored = cleared["setMilestones"][1]
    assert (restored["eol"], restored["eolDerived"]) == ("2027-09-01", True)


async def test_add_a_major_version(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    query = """mutation($product: ID!, $input: MajorVersionInput!) {
      addMajorVersion(productId: $product, input: $input) { major ga releaseState }
    }"""
    ga = (date.today() + timedelta(days=300)).isoformat()
    variables = {"product": contracts_demo.product_id, "input": {"major": 4, "ga": ga}}

    data = await data_of(gateway_serial_client, await tokens(ADMIN), query, variables)
    again = await graphql(gateway_serial_client, await tokens(ADMIN), query, variables)

    assert data["addMajorVersion"][-1] == {"major": 4, "ga": ga, "releaseState": "Production"}
    assert only_error(again)["extensions"]["code"] == "VERSION_EXISTS"


# -- billable items -------------------------------------------------------------------------

RECORD = """mutation($input: RecordBillableItemInput!) {
  recordBillableItem(input: $input) {
    id kind quantity unit minutesWorked occurredAt customer { name }
  }
}"""


async def test_record_and_list_billable_items(
    gateway_serial_client: httpx.AsyncClient, contracts_demo: ContractsDemo, tokens: TokenBox
) -> None:
    agent = await tokens(AGENT)
    delta = contracts_demo.customers["Delta Secure"]
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    session = {
        "customerId": delta,
        "kind": "OTHER_SUPPORT",
        "occurredAt": at.isoformat(),
        "minutes": 45,
        "idempotencyKey": "session-1",
    }

    first = (await data_of(gateway_serial_client, agent, RECORD, {"input": session}))[
        "recordBillableItem"
    ]
    repeated = (await data_of(gateway_serial_client, agent, RECORD, {"input": session}))[
        "recordBillableItem"
    ]
    await data_of(
        gateway_serial_client,
        agent,
        RECORD,
        {
            "input": {
                "customerId": delta,
                "kind": "EMERGENCY_CALL",
                "occurredAt": (at + timedelta(days=40)).isoformat(),
            }
        },
    )
    query = """query($customer: ID!, $since: DateTime, $until: DateTime) {
      billableItems(customerId: $customer, since: $since, until: $until) {
        totalCount nodes { kind quantity unit }
      }
    }"""
    march = await data_of(
        gateway_serial_client,
        agent,
        query,
        {"customer": delta, "since": "2026-03-01T00:00:00Z", "until": "2026-04-01T00:00:00Z"},
    )
    everything = await data_of(gateway_serial_client, agent, query, {"customer": delta})
    backwards = await graphql(
        gateway_serial_client,
        agent,
        query,
        {"customer": delta, "since": "2026-04-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
    )
    dan = await data_of(gateway_serial_client, await tokens(DAN), query, {"customer": delta})
    ana = await data_of(gateway_serial_client, await tokens(ANA), query, {"customer": delta})

    # 45 minutes are billed as two started half hours.
    assert (first["kind"], float(first["quantity"]), first["unit"]) == ("OTHER_SUPPORT", 1, "hour")
    assert first["minutesWorked"] == 45
    assert first["customer"] == {"name": "Delta Secure"}
    assert datetime.fromisoformat(first["occurredAt"]) == at
    assert repeated["id"] == first["id"]
    assert march["billableItems"]["totalCount"] == 1
    assert everything["billableItems"]["totalCount"] == 2
    assert only_error(backwards)["extensions"]["code"] == "PERIOD_OUT_OF_ORDER"
    assert dan["billableItems"]["totalCount"] == 2
    assert ana["billableItems"]["totalCount"] == 0
