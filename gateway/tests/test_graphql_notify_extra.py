"""Notify's REST-only features through ``/graphql`` (maintenance windows, announcements,
contacts' mail preferences, the staff digest), with real tokens from contracts, against the
real notify and contracts services in-process on real PostgreSQL with the demo data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from careplane_shared.testing import password_token
from careplane_shared.testing.graphql import data_of, error_code, graphql
from careplane_shared.testing.transport import SerialTransport

from .conftest import ContractsDemo, NotifyFactory, NotifyGatewayFactory

ADMIN = "admin@example.com"
MANAGER = "manager@example.com"
AGENT = "agent@example.com"
ANA = "ana@acme-water.example"  # customer administrator, Acme Water
BEN = "ben@borealis.example"  # a contact of another customer
CORA = "cora@cobalt.example"  # customer administrator, Cobalt Logistics

WINDOW = """
  id uid sequence kind status title description startsAt endsAt productId customerIds
  createdBy cancelledAt cancelledBy cancelReason customers
"""

CREATE_WINDOW = f"""
mutation Create($input: MaintenanceWindowInput!) {{
  createMaintenanceWindow(input: $input) {{
    {WINDOW}
    recipients {{ customerId customerName language timezone toAddresses deliveryId sentAt }}
  }}
}}
"""

WINDOWS = f"""
query Windows($status: MaintenanceStatus, $first: Int, $after: String) {{
  maintenanceWindows(status: $status, first: $first, after: $after) {{
    totalCount nodes {{ {WINDOW} recipients {{ customerId }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

CANCEL_WINDOW = """
mutation Cancel($id: ID!, $reason: String) {
  cancelMaintenanceWindow(id: $id, reason: $reason) {
    id status cancelReason cancelledBy sequence
    recipients { customerId cancelDeliveryId cancelDeliveryStatus }
  }
}
"""

PREFERENCES = """
query Prefs($contactId: ID!) {
  contactPreferences(contactId: $contactId) {
    contactId customerId optedOut categories { category description optedOut }
    essential { name description } updatedBy updatedAt
  }
}
"""

SET_PREFERENCES = """
mutation SetPrefs($contactId: ID!, $optedOut: [String!]!) {
  setContactPreferences(contactId: $contactId, input: { optedOut: $optedOut }) {
    contactId optedOut categories { category optedOut } updatedBy updatedAt
  }
}
"""

DIGEST = "timezone quietStart quietEnd digestMinutes inQuietHours held nextReleaseAt updatedBy"

SET_DIGEST = f"""
mutation SetDigest($input: StaffDigestSettingsInput!) {{
  setStaffDigestSettings(input: $input) {{ {DIGEST} }}
}}
"""

ANNOUNCEMENTS = """
query Announcements($first: Int) {
  announcements(first: $first) {
    totalCount
    nodes { id productName major milestone milestoneDate status customers recipients { subject } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


@pytest.fixture
async def notify_app(start_notify: NotifyFactory) -> AsyncIterator[FastAPI]:
    async with start_notify() as app:
        yield app


@pytest.fixture
async def client(
    start_notify_gateway: NotifyGatewayFactory,
    notify_app: FastAPI,
    contracts_demo: ContractsDemo,
) -> AsyncIterator[httpx.AsyncClient]:
    async with start_notify_gateway(SerialTransport.to(notify_app)) as client:
        yield client


@pytest.fixture
async def tokens(client: httpx.AsyncClient) -> dict[str, str]:
    emails = (ADMIN, MANAGER, AGENT, ANA, BEN, CORA)
    return {email: await password_token(client, email) for email in emails}


# -- maintenance windows ----------------------------------------------------------------------


async def test_a_maintenance_window_is_announced_listed_and_cancelled(
    client: httpx.AsyncClient, tokens: dict[str, str], contracts_demo: ContractsDemo
) -> None:
    acme = contracts_demo.customers["Acme Water"]
    starts = datetime.now(UTC) + timedelta(days=3)
    window = {
        "title": "Database upgrade",
        "description": "PostgreSQL goes to the next major version.",
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=2)).isoformat(),
        "customerIds": [acme],
    }

    created = (await data_of(client, tokens[ADMIN], CREATE_WINDOW, {"input": window}))[
        "createMaintenanceWindow"
    ]
    listed = (await data_of(client, tokens[ADMIN], WINDOWS, {"status": "SCHEDULED"}))[
        "maintenanceWindows"
    ]
    seen_by_ana = (await data_of(client, tokens[ANA], WINDOWS))["maintenanceWindows"]
    seen_by_cora = (await data_of(client, tokens[CORA], WINDOWS))["maintenanceWindows"]
    one = await data_of(
        client,
        tokens[ANA],
        "query One($id: ID!) { maintenanceWindow(id: $id) { id title recipients { customerId } } }",
        {"id": created["id"]},
    )

    assert created["status"] == "SCHEDULED"
    assert created["kind"] == "SCHEDULED"
    assert created["customerIds"] == [acme]
    assert created["customers"] == 1
    assert datetime.fromisoformat(created["startsAt"]) == starts
    [recipient] = created["recipients"]
    assert recipient["customerId"] == acme
    assert recipient["customerName"] == "Acme Water"
    assert ANA in recipient["toAddresses"]
    assert recipient["deliveryId"] is not None

    assert listed["totalCount"] == 1
    assert [node["id"] for node in listed["nodes"]] == [created["id"]]
    # Lists carry no recipients; the one window does.
    assert listed["nodes"][0]["recipients"] is None
    assert [node["id"] for node in seen_by_ana["nodes"]] == [created["id"]]
    assert seen_by_cora["totalCount"] == 0
    assert one["maintenanceWindow"]["recipients"] == [{"customerId": acme}]

    cancelled = (
        await data_of(
            client, tokens[ADMIN], CANCEL_WINDOW, {"id": created["id"], "reason": "Postponed"}
        )
    )["cancelMaintenanceWindow"]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancelReason"] == "Postponed"
    assert cancelled["cancelledBy"]
    assert cancelled["sequence"] == created["sequence"] + 1
    assert cancelled["recipients"][0]["cancelDeliveryId"] is not None

    still_scheduled = (await data_of(client, tokens[ADMIN], WINDOWS, {"status": "SCHEDULED"}))[
        "maintenanceWindows"
    ]
    assert still_scheduled["totalCount"] == 0
    again = await error_code(client, tokens[ADMIN], CANCEL_WINDOW, {"id": created["id"]})
    assert again == "ALREADY_CANCELLED"


async def test_only_staff_announce_maintenance_and_bad_windows_are_refused(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    starts = datetime.now(UTC) + timedelta(days=1)
    window = {
        "title": "Upgrade",
        "description": "An upgrade.",
        "startsAt": starts.isoformat(),
        "endsAt": starts.isoformat(),
    }
    backwards = await error_code(client, tokens[ADMIN], CREATE_WINDOW, {"input": window})
    by_customer = await error_code(
        client,
        tokens[ANA],
        CREATE_WINDOW,
        {"input": {**window, "endsAt": (starts + timedelta(hours=1)).isoformat()}},
    )
    unknown = await error_code(
        client,
        tokens[ADMIN],
        "query One($id: ID!) { maintenanceWindow(id: $id) { id } }",
        {"id": "00000000-0000-0000-0000-000000000000"},
    )
    assert backwards == "VALIDATION_ERROR"
    assert by_customer == "ROLE_FORBIDDEN"
    assert unknown == "MAINTENANCE_WINDOW_NOT_FOUND"


# -- contact preferences ----------------------------------------------------------------------


async def test_a_contact_sets_its_preferences_but_not_away_essential_notices(
    client: httpx.AsyncClient, tokens: dict[str, str], contracts_demo: ContractsDemo
) -> None:
    ana = contracts_demo.contacts[ANA]
    before = (await data_of(client, tokens[ANA], PREFERENCES, {"contactId": ana}))[
        "contactPreferences"
    ]
    assert before["contactId"] == ana
    assert before["customerId"] == contracts_demo.customers["Acme Water"]
    assert before["optedOut"] == []
    assert {c["category"] for c in before["categories"]} >= {"ticket_updates", "surveys"}
    assert not any(c["optedOut"] for c in before["categories"])
    assert "maintenance" in {e["name"] for e in before["essential"]}

    after = (
        await data_of(
            client, tokens[ANA], SET_PREFERENCES, {"contactId": ana, "optedOut": ["surveys"]}
        )
    )["setContactPreferences"]
    assert after["optedOut"] == ["surveys"]
    assert {c["category"]: c["optedOut"] for c in after["categories"]}["surveys"] is True
    assert after["updatedAt"] is not None

    # Staff read them too.
    by_staff = (await data_of(client, tokens[ADMIN], PREFERENCES, {"contactId": ana}))[
        "contactPreferences"
    ]
    assert by_staff["optedOut"] == ["surveys"]

    essential = await error_code(
        client, tokens[ANA], SET_PREFERENCES, {"contactId": ana, "optedOut": ["maintenance"]}
    )
    unknown = await error_code(
        client, tokens[ANA], SET_PREFERENCES, {"contactId": ana, "optedOut": ["horoscopes"]}
    )
    # Another customer's contact is not found for Cora, as notify answers.
    foreign = await error_code(client, tokens[CORA], PREFERENCES, {"contactId": ana})
    bad_id = await error_code(client, tokens[ANA], PREFERENCES, {"contactId": "../digest"})
    assert essential == "CATEGORY_ESSENTIAL"
    assert unknown == "UNKNOWN_CATEGORY"
    assert foreign == "CONTACT_NOT_FOUND"
    assert bad_id == "VALIDATION_ERROR"

    unchanged = (await data_of(client, tokens[ANA], PREFERENCES, {"contactId": ana}))[
        "contactPreferences"
    ]
    assert unchanged["optedOut"] == ["surveys"]


# -- staff digest -----------------------------------------------------------------------------


async def test_managers_set_the_staff_digest_and_agents_may_not(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    query = f"{{ staffDigestSettings {{ {DIGEST} }} }}"
    before = (await data_of(client, tokens[AGENT], query))["staffDigestSettings"]
    assert before["timezone"]
    assert before["held"] == 0

    settings = {
        "timezone": "Europe/Amsterdam",
        "quietStart": "22:00:00",
        "quietEnd": "07:00:00",
        "digestMinutes": 60,
    }
    changed = (await data_of(client, tokens[MANAGER], SET_DIGEST, {"input": settings}))[
        "setStaffDigestSettings"
    ]
    assert changed["timezone"] == "Europe/Amsterdam"
    assert changed["quietStart"] == "22:00:00"
    assert changed["quietEnd"] == "07:00:00"
    assert changed["digestMinutes"] == 60
    assert changed["updatedBy"] == MANAGER
    assert isinstance(changed["inQuietHours"], bool)

    read_back = (await data_of(client, tokens[ADMIN], query))["staffDigestSettings"]
    assert read_back == changed

    by_agent = await error_code(client, tokens[AGENT], SET_DIGEST, {"input": settings})
    by_customer = await error_code(client, tokens[ANA], query)
    half_quiet = await error_code(
        client,
        tokens[MANAGER],
        SET_DIGEST,
        {"input": {"timezone": "UTC", "quietStart": "22:00:00"}},
    )
    bad_zone = await error_code(
        client, tokens[MANAGER], SET_DIGEST, {"input": {"timezone": "Mars/Olympus"}}
    )
    assert by_agent == "ROLE_FORBIDDEN"
    assert by_customer == "ROLE_FORBIDDEN"
    assert half_quiet == "VALIDATION_ERROR"
    assert bad_zone == "VALIDATION_ERROR"


# -- announcements ----------------------------------------------------------------------------


async def test_announcements_are_a_connection(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    staff = (await data_of(client, tokens[ADMIN], ANNOUNCEMENTS, {"first": 10}))["announcements"]
    customer = (await data_of(client, tokens[ANA], ANNOUNCEMENTS))["announcements"]
    # No product reaches a lifecycle date in the demo data: the list is empty, yet shaped.
    assert staff["totalCount"] == len(staff["nodes"]) == 0
    assert staff["pageInfo"]["hasNextPage"] is False
    assert staff["pageInfo"]["hasPreviousPage"] is False
    assert customer["totalCount"] == 0
    unknown = await error_code(
        client,
        tokens[ADMIN],
        "query One($id: ID!) { announcement(id: $id) { id recipients { subject } } }",
        {"id": "00000000-0000-0000-0000-000000000000"},
    )
    too_many = await graphql(client, tokens[ADMIN], ANNOUNCEMENTS, {"first": 1000})
    assert unknown == "ANNOUNCEMENT_NOT_FOUND"
    assert too_many["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
