"""Bodies through the gateway's REST route, both ways, against the real tickets service
in-process: a small body passes whole, a large one streams (``BUFFERED_BYTES``), and either
way the service gets, and the caller gets back, exactly the bytes that were sent."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from careplane_gateway.proxy import BUFFERED_BYTES
from careplane_shared.testing import TokenBox, bearer

from .conftest import ContractsDemo

CORA = "cora@cobalt.example"


@pytest.fixture
async def case(
    gateway_tickets_client: httpx.AsyncClient, contracts_demo: ContractsDemo
) -> dict[str, str]:
    """A case of Cora's, opened through the gateway, with her token."""
    token = await TokenBox(gateway_tickets_client)(CORA)
    opened = await gateway_tickets_client.post(
        "/api/tickets/v1/tickets",
        json={
            "product_id": contracts_demo.product_id,
            "version": "3.1",
            "subject": "Model run stops at 42%",
            "description": "The hydraulic run stops with error E-1042.",
        },
        headers=bearer(token),
    )
    assert opened.status_code == 201, opened.text
    return {"id": opened.json()["id"], "token": token}


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("size", [1000, BUFFERED_BYTES + 1, 3 * BUFFERED_BYTES])
async def test_a_file_goes_up_and_comes_back_byte_for_byte(
    gateway_tickets_client: httpx.AsyncClient, case: dict[str, str], size: int
) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    attachments = f"/api/tickets/v1/tickets/{case['id']}/attachments"
    headers = {**bearer(case["token"]), "content-type": "application/octet-stream"}

    declared = await gateway_tickets_client.post(
        attachments, params={"filename": "declared.bin"}, content=data, headers=headers
    )
    streamed = await gateway_tickets_client.post(
        attachments, params={"filename": "streamed.bin"}, content=chunks(data), headers=headers
    )

    for uploaded in (declared, streamed):
        assert uploaded.status_code == 201, uploaded.text
        stored = uploaded.json()
        assert (stored["size"], stored["sha256"]) == (size, hashlib.sha256(data).hexdigest())
        download = await gateway_tickets_client.get(
            f"{attachments}/{stored['id']}", headers={**bearer(case["token"]), "x-request-id": "dl"}
        )
        assert download.status_code == 200
        assert download.content == data
        assert download.headers.get_list("x-request-id") == ["dl"]
        if "content-length" in download.headers:
            assert int(download.headers["content-length"]) == size


async def test_a_small_answer_comes_back_as_the_service_gave_it(
    gateway_tickets_client: httpx.AsyncClient, case: dict[str, str]
) -> None:
    path = f"/v1/tickets/{case['id']}"
    through = await gateway_tickets_client.get(
        f"/api/tickets{path}", headers={**bearer(case["token"]), "x-request-id": "small-1"}
    )

    assert through.status_code == 200, through.text
    assert through.json()["id"] == case["id"]
    assert through.headers["content-type"] == "application/json"
    assert int(through.headers["content-length"]) == len(through.content)
    assert through.headers.get_list("x-request-id") == ["small-1"]
    assert "transfer-encoding" not in through.headers
