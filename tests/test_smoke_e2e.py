"""``make run`` end to end: four real processes on an embedded PostgreSQL, a token, ``me``
through the gateway, Ctrl-C, nothing left behind, and a second run on the same data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psutil
import pytest

if TYPE_CHECKING:
    from conftest import DevRun, StartDevRun

pytestmark = pytest.mark.e2e

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 45.0
ME = "{ me { id email role customerId } }"


def get_token(client: httpx.Client, run: DevRun) -> str:
    response = client.post(
        f"{run.url('gateway')}/auth/token",
        data={"grant_type": "password", "username": "admin@example.com", "password": "careplane"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    return str(body["access_token"])


def query_me(client: httpx.Client, run: DevRun, token: str) -> dict[str, object]:
    response = client.post(
        f"{run.url('gateway')}/graphql",
        json={"query": ME},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    me: dict[str, object] = body["data"]["me"]
    return me


def stop_and_check_nothing_left(run: DevRun) -> None:
    processes = run.processes()
    assert len(processes) >= 5, [p.cmdline() for p in processes]  # four uvicorns + postmaster

    assert run.interrupt(STOP_TIMEOUT) == 0, run.output()

    _, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, [p.cmdline() for p in alive]
    assert not run.postmaster_pid_file.exists(), "PostgreSQL left its lock behind"
    assert not (run.data_dir / "devrun.lock").exists()
    for piece in run.ports:
        with pytest.raises(httpx.ConnectError), run.client() as client:
            client.get(f"{run.url(piece)}/healthz")


def test_make_run_serves_me_stops_clean_and_starts_again(
    start_devrun: StartDevRun, devrun_data_dir: Path
) -> None:
    data_dir = devrun_data_dir

    first = start_devrun(data_dir)
    first.wait_ready(READY_TIMEOUT)
    output = first.output(last=400)
    for account in ("admin@example.com", "manager@example.com", "agent@example.com"):
        assert account in output
    assert "careplane (dev profile only)" in output
    assert f"{first.url('gateway')}/graphql" in output

    with first.client() as client:
        for piece in first.ports:
            assert client.get(f"{first.url(piece)}/readyz").status_code == 200

        token = get_token(client, first)
        me = query_me(client, first, token)
        assert me["email"] == "admin@example.com"
        assert me["role"] == "ADMIN"
        assert me["customerId"] is None

        # A service route without a token: 401 in the shared error shape.
        response = client.get(f"{first.url('contracts')}/v1/me")
        assert response.status_code == 401, response.text
        error = response.json()["error"]
        assert {"code", "message", "request_id"} <= set(error)
        assert error["code"]

    stop_and_check_nothing_left(first)
    # The dev signing keys were generated into the data folder, not the checkout.
    assert (data_dir / "keys" / "jwt-ed25519.pem").is_file()
    assert (data_dir / "keys" / "license-ed25519.pem").is_file()

    # Same data folder: the databases, the demo data and the signing key persist.
    second = start_devrun(data_dir)
    second.wait_ready(READY_TIMEOUT)
    with second.client() as client:
        assert query_me(client, second, token)["email"] == "admin@example.com"
        assert query_me(client, second, get_token(client, second))["role"] == "ADMIN"
    stop_and_check_nothing_left(second)
