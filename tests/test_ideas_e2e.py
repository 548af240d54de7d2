"""``make run`` end to end for ideas and development: the demo idea and the demo case with
development are there, and shipping the idea, reporting the fix and routing a paid
customization land their mails in the local mailbox, each in its recipient's language."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

# The smoke test's helpers (importlib mode adds no path).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_smoke_e2e import READY_TIMEOUT, login, stop_and_check_nothing_left, wait_for

if TYPE_CHECKING:
    from conftest import DevRun, StartDevRun

pytestmark = pytest.mark.e2e

IDEAS = '{ ideas(search: "GeoJSON") { nodes { id title votes asked status } } }'
SHIP = """mutation Ship($id: ID!) { markIdeaShipped(id: $id, version: "3.3") { status } }"""
FIX = """mutation Fix($ticketId: ID!) {
  reportDevelopmentFix(ticketId: $ticketId, version: "3.2.1", note: "Import fixed.") {
    ticket { status }
  }
}"""


def _graphql(
    client: httpx.Client, run: DevRun, headers: dict[str, str], query: str, **v: Any
) -> Any:
    response = client.post(
        f"{run.url('gateway')}/graphql", json={"query": query, "variables": v}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert not response.json().get("errors"), response.text
    return response.json()["data"]


def _mailbox(client: httpx.Client, run: DevRun, staff: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get(f"{run.url('gateway')}/api/notify/v1/mailbox", headers=staff)
    assert answer.status_code == 200, answer.text
    mails: list[dict[str, Any]] = answer.json()
    return mails


def _landed(
    client: httpx.Client, run: DevRun, staff: dict[str, str], to: str, subject: str
) -> Callable[[], bool]:
    return lambda: any(
        m["to"] == to and subject in (m["subject"] or "") for m in _mailbox(client, run, staff)
    )


def test_ideas_and_development_mail_lands_in_the_local_mailbox(
    start_devrun: StartDevRun, devrun_data_dir: Path
) -> None:
    run = start_devrun(devrun_data_dir)
    run.wait_ready(READY_TIMEOUT)
    gateway = run.url("gateway")
    with run.client() as client:
        admin = login(client, run, "admin@example.com")
        agent = login(client, run, "agent@example.com")
        [idea] = _graphql(client, run, admin, IDEAS)["ideas"]["nodes"]
        assert (idea["votes"], idea["asked"], idea["status"]) == (2, 1, "PLANNED")
        assert _graphql(client, run, admin, SHIP, id=idea["id"])["markIdeaShipped"] == {
            "status": "SHIPPED"
        }
        # The asker (Acme Water, en) and the voters (Cobalt, nl; Borealis, en), once each.
        for to, subject in (
            ("ana@acme-water.example", "Your idea has shipped in version 3.3"),
            ("cora@cobalt.example", "Uw idee is uitgebracht in versie 3.3"),
            ("ben@borealis.example", "Your idea has shipped in version 3.3"),
        ):
            wait_for(f"the idea mail to {to}", _landed(client, run, agent, to, subject))

        cases = client.get(
            f"{gateway}/api/tickets/v1/tickets",
            params={"search": "Riverside", "status": "WITH_DEVELOPMENT"},
            headers=agent,
        ).json()["items"]
        [defect] = cases
        fixed = _graphql(client, run, agent, FIX, ticketId=defect["id"])
        assert fixed["reportDevelopmentFix"]["ticket"]["status"] == "PENDING"
        wait_for(
            "the fix mail",
            _landed(client, run, agent, "ana@acme-water.example", "Fixed in version 3.2.1"),
        )

        ana = login(client, run, "ana@acme-water.example")
        product = client.get(f"{gateway}/api/contracts/v1/products", headers=ana).json()[0]["id"]
        opened = client.post(
            f"{gateway}/api/tickets/v1/tickets",
            json={
                "product_id": product,
                "version": "3.1",
                "type": "feature_request",
                "subject": "A board report of our own",
                "description": "We would pay for a monthly board report.",
            },
            headers=ana,
        )
        assert opened.status_code == 201, opened.text
        routed = client.post(
            f"{gateway}/api/tickets/v1/tickets/{opened.json()['id']}/feature-request",
            json={"route": "sales", "note": "Paid customization"},
            headers=agent,
        )
        assert routed.status_code == 200, routed.text
        wait_for(
            "the price proposal mail",
            _landed(client, run, agent, "sales@careplane.example", "Price proposal wanted"),
        )
    stop_and_check_nothing_left(run)
