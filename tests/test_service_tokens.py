"""Services calling each other: a client_credentials token from the real contracts app,
verified by the real tickets app against contracts' JWKS fetched over HTTP."""

from __future__ import annotations

import httpx

from careplane_shared.auth import RemoteJWKS, TokenVerifier
from careplane_shared.http import ClientCredentialsAuth
from careplane_shared.settings import dev_secret
from careplane_shared.testing import running_app
from careplane_shared.testing.pieces import CONTRACTS, TICKETS


async def test_a_service_token_from_contracts_opens_another_services_inbox(
    provision_database, tmp_path
):
    contracts_url = await provision_database("contracts", CONTRACTS.service_dir)
    tickets_url = await provision_database("tickets", TICKETS.service_dir)
    contracts = CONTRACTS.app_factory(
        CONTRACTS.settings(contracts_url, jwt_private_key_file=tmp_path / "jwt.pem")
    )
    tickets = TICKETS.app_factory(TICKETS.settings(tickets_url))
    to_contracts = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=contracts), base_url="http://contracts"
    )
    jwks = RemoteJWKS("http://contracts/.well-known/jwks.json", to_contracts)
    tickets.state.token_verifier = TokenVerifier(jwks, issuer="careplane", audience="careplane")

    auth = ClientCredentialsAuth(
        "http://contracts/auth/token", "svc-notify", dev_secret("svc-notify")
    )
    async with running_app(contracts), running_app(tickets), to_contracts:
        as_notify = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=contracts), base_url="http://contracts", auth=auth
        )
        me = (await as_notify.get("/v1/me")).json()
        assert me["role"] == "SERVICE"
        # The cached token is reused, not fetched again per call.
        first_token = auth._token
        assert (await as_notify.get("/v1/me")).status_code == 200
        assert auth._token == first_token

        token = auth._token
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=tickets), base_url="http://tickets"
        ) as to_tickets:
            event = {"specversion": "1.0", "id": "x-1", "source": "notify", "type": "t.tested"}
            response = await to_tickets.post(
                "/v1/events", json=event, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code in (200, 202), response.text

            bad = ClientCredentialsAuth("http://contracts/auth/token", "svc-notify", "wrong")
            refused = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=contracts), base_url="http://contracts", auth=bad
            )
            try:
                await refused.get("/v1/me")
                raise AssertionError("a wrong client secret must not yield a token")
            except httpx.HTTPStatusError as exc:
                assert exc.response.status_code == 401
                assert exc.response.json()["error"]["code"] == "INVALID_CLIENT"
            finally:
                await refused.aclose()
        await as_notify.aclose()
