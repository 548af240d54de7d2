"""Sign-in abuse limits on POST /auth/token: per account from one address, per account
from every address (known-good addresses exempt), per address (an IPv6 /64), kept in
PostgreSQL (every replica shares them), counted before any password is hashed, with a
lockout that grows but is capped. Real app, real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from starlette.requests import Request

from careplane_shared.testing import asgi_client, running_app
from careplane_shared.testing.pieces import CONTRACTS
from careplane_shared.testing.plugin import ProvisionDatabase
from contracts import client_address as addresses
from contracts.identity import secrets
from contracts.main import create_app
from contracts.models import LoginAttempt, LoginKnownAddress, StaffUser

pytestmark = pytest.mark.usefixtures("quick_demo_password")

LIMITS = {
    "login_account_max_failures": 3,
    "login_account_wide_max_failures": 6,
    "login_address_max_failures": 5,
    "login_window_seconds": 600,
    "login_lockout_base_seconds": 60,
    "login_lockout_max_seconds": 120,
    # The in-process client's address: it stands for the gateway here.
    "trusted_proxies": ["127.0.0.1/32", "10.0.0.0/8"],
}


@pytest.fixture
async def limited(contracts_settings, connection) -> AsyncIterator[FastAPI]:
    settings = contracts_settings.model_copy(update=LIMITS)
    async with running_app(create_app(settings), connection) as app:
        yield app


@pytest.fixture
async def api(limited: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(limited) as client:
        yield client


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Each password verification, with the stored hash it ran against (None: the
    account does not exist or has no password)."""
    calls: list[str | None] = []
    real = secrets._verify

    def counting(password_hash: str | None, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(secrets, "_verify", counting)
    return calls


async def _password(
    client: httpx.AsyncClient, username: str, password: str, via: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": via} if via else {}
    return await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers=headers,
    )


def _locked(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
    return int(response.headers["retry-after"])


async def test_an_account_is_locked_after_its_failures_before_any_hashing(api, staff, argon2_calls):
    for _ in range(3):
        response = await _password(api, "admin@example.com", "wrong")
        assert response.json()["error"]["code"] == "INVALID_GRANT"
    assert len(argon2_calls) == 3

    # Locked: even the right password is not tried, and costs no argon2 work.
    retry = _locked(await _password(api, "admin@example.com", "careplane"))
    assert 0 < retry <= 60
    assert len(argon2_calls) == 3
    # Another account from elsewhere is not affected.
    response = await _password(api, "manager@example.com", "careplane", via="192.0.2.7")
    assert response.status_code == 200


async def test_a_success_starts_the_accounts_count_again(api, staff):
    for _ in range(2):
        assert (await _password(api, "agent@example.com", "wrong")).status_code == 400
    assert (await _password(api, "agent@example.com", "careplane")).status_code == 200
    for _ in range(2):
        assert (await _password(api, "agent@example.com", "wrong")).status_code == 400
    assert (await _password(api, "agent@example.com", "careplane")).status_code == 200


async def _expire_lockouts(session) -> None:
    """The lockouts have run out (moved into the past, as waiting would)."""
    await session.execute(
        update(LoginAttempt).values(locked_until=text("now() - interval '1 second'"))
    )
    await session.commit()


async def test_lockouts_grow_but_are_capped(contracts_settings, connection, staff, session):
    wide = {**LIMITS, "login_address_max_failures": 50, "login_account_wide_max_failures": 50}
    settings = contracts_settings.model_copy(update=wide)
    async with running_app(create_app(settings), connection) as app, asgi_client(app) as api:

        async def lock_once(via: str) -> int:
            for _ in range(3):
                response = await _password(api, "manager@example.com", "nope", via)
                assert response.status_code == 400
            retry = _locked(await _password(api, "manager@example.com", "careplane", via))
            await _expire_lockouts(session)
            return retry

        first = await lock_once("10.1.0.1")
        second = await lock_once("10.1.0.1")
        third = await lock_once("10.1.0.1")
        assert 0 < first <= 60
        assert 60 < second <= 120
        assert 60 < third <= 120  # capped: never more than login_lockout_max_seconds
        # After the lockout, the real user signs in and the slate is clean.
        response = await _password(api, "manager@example.com", "careplane", "10.1.0.1")
        assert response.status_code == 200
        for _ in range(3):
            response = await _password(api, "manager@example.com", "nope", "10.1.0.1")
            assert response.status_code == 400


async def test_an_attacker_never_locks_the_owner_out_of_a_known_address(api, staff, session):
    """The hard lock is per (account, address): an attacker hammering the account from one
    address, lockout after lockout, never keeps its owner out of an address the owner
    signed in from before; spreading the attack over new addresses meets the account-wide
    limit, which that known-good address is exempt from."""
    victim, attacker = "198.51.100.10", "203.0.113.66"
    assert (await _password(api, "admin@example.com", "careplane", victim)).status_code == 200

    for _cycle in range(4):
        guesses = 0
        for _ in range(10):  # bounded: the attacker is stopped after a few
            response = await _password(api, "admin@example.com", "guess", attacker)
            if response.status_code == 429:
                break
            assert response.json()["error"]["code"] == "INVALID_GRANT"
            guesses += 1
        else:
            pytest.fail("the attacker was never stopped")
        assert guesses <= 3  # login_account_max_failures per lockout
        # Locked out — but the owner, from its known address, gets in with its password.
        response = await _password(api, "admin@example.com", "careplane", victim)
        assert response.status_code == 200, response.text
        await _expire_lockouts(session)

    # Spreading the guesses over new addresses meets the account-wide limit…
    sprayed = 0
    for i in range(20):
        response = await _password(api, "admin@example.com", "guess", f"192.0.2.{100 + i}")
        if response.status_code == 429:
            break
        assert response.status_code == 400
        sprayed += 1
    else:
        pytest.fail("the spread attack was never stopped")
    assert sprayed <= 6  # login_account_wide_max_failures
    # …which stops the right password from a new address too, not from the known one.
    _locked(await _password(api, "admin@example.com", "careplane", "192.0.2.250"))
    assert (await _password(api, "admin@example.com", "careplane", victim)).status_code == 200
    assert (await _password(api, "admin@example.com", "wrong", victim)).status_code == 400
    known = (await session.scalars(select(LoginKnownAddress.address))).all()
    assert len(known) == 1  # the victim's address only, as a digest


async def test_an_ipv6_caller_is_limited_per_64(api, staff):
    for i in range(5):
        via = f"2001:db8:1:2::{i + 1:x}"
        response = await _password(api, f"v6-{i}@example.com", "wrong", via=via)
        assert response.status_code == 400
    # Another address in the same /64 is the same caller…
    _locked(await _password(api, "admin@example.com", "careplane", via="2001:db8:1:2:ffff::9"))
    # …the next /64 is not.
    response = await _password(api, "admin@example.com", "careplane", via="2001:db8:1:3::1")
    assert response.status_code == 200


async def test_unknown_accounts_cost_the_same_and_lock_the_same(api, staff, argon2_calls):
    for username in ("admin@example.com", "nobody@example.com"):
        for _ in range(3):
            response = await _password(api, username, "wrong", via=f"198.51.100.{len(username)}")
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "INVALID_GRANT"
        _locked(await _password(api, username, "wrong", via=f"198.51.100.{len(username)}"))
    # One argon2 verification per attempt either way, with the same parameters.
    assert len(argon2_calls) == 6
    real = [h for h in argon2_calls if h is not None]
    assert len(real) == 3
    params = {h.rsplit("$", 2)[0] for h in [*real, secrets._dummy_hash()]}
    assert len(params) == 1


async def test_an_address_is_limited_across_accounts(api, staff):
    for i in range(5):
        response = await _password(api, f"guess{i}@example.com", "wrong", via="203.0.113.5")
        assert response.status_code == 400
    _locked(await _password(api, "admin@example.com", "careplane", via="203.0.113.5"))
    # The same account from another address signs in.
    assert (
        await _password(api, "admin@example.com", "careplane", "203.0.113.6")
    ).status_code == 200


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    contracts_settings, connection, staff
):
    # Nothing trusted: the header is the caller's own claim and changes nothing.
    settings = contracts_settings.model_copy(update={**LIMITS, "trusted_proxies": []})
    async with running_app(create_app(settings), connection) as app, asgi_client(app) as api:
        for i in range(5):
            response = await _password(api, f"spray{i}@example.com", "x", via=f"192.0.2.{i}")
            assert response.status_code == 400
        _locked(await _password(api, "spray9@example.com", "x", via="192.0.2.200"))


async def test_client_credentials_are_limited_per_address_only(api, staff, client_secret_pair):
    """A client id is never locked (anyone could stop a service's sign-in that way; its
    secret is not guessable); the address that keeps failing is."""
    client_id, secret = client_secret_pair

    async def attempt(secret: str, via: str) -> httpx.Response:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return await api.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}", "X-Forwarded-For": via},
        )

    for _ in range(5):
        response = await attempt("no", "192.0.2.50")
        assert response.json()["error"]["code"] == "INVALID_CLIENT"
    _locked(await attempt(secret, "192.0.2.50"))
    assert (await attempt(secret, "192.0.2.51")).status_code == 200


async def test_a_basic_header_that_is_not_ascii_is_an_invalid_client(api):
    for value in (b"Basic \xe9\xe9\xe9\xe9", b"Basic !!!!", b"Basic /w=="):
        response = await api.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": value},
        )
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "INVALID_CLIENT"


@pytest.fixture
async def client_secret_pair(api, sign_in) -> tuple[str, str]:
    admin = await sign_in("admin@example.com")
    key = (await api.post("/v1/api-keys", json={"name": "crm"}, headers=admin)).json()
    return key["client_id"], key["client_secret"]


async def test_every_replica_sees_the_same_limits(contracts_settings, connection, staff):
    settings = contracts_settings.model_copy(update=LIMITS)
    async with (
        running_app(create_app(settings), connection) as one,
        running_app(create_app(settings), connection) as two,
        asgi_client(one) as first,
        asgi_client(two) as second,
    ):
        for replica in (first, second, first):
            assert (await _password(replica, "admin@example.com", "no")).status_code == 400
        _locked(await _password(second, "admin@example.com", "careplane"))


async def test_inactive_staff_cost_the_same_work_and_say_the_same(
    api, staff, session, argon2_calls
):
    await session.execute(
        update(StaffUser).where(StaffUser.email == "agent@example.com").values(active=False)
    )
    await session.commit()
    response = await _password(api, "agent@example.com", "careplane")
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_GRANT"
    assert len(argon2_calls) == 1
    rows = (await session.scalars(select(LoginAttempt.key))).all()
    assert all("agent@example.com" not in key for key in rows)  # digests, not emails


def _request(peer: str, forwarded: list[str]) -> Request:
    headers: list[tuple[bytes, bytes]] = [(b"x-forwarded-for", v.encode()) for v in forwarded]
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/auth/token",
        "headers": headers,
        "client": (peer, 5000),
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", ["1.2.3.4"], ["10.0.0.0/8"], "203.0.113.9"),  # untrusted peer
        ("10.0.0.2", ["1.2.3.4"], ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.2", ["6.6.6.6, 1.2.3.4"], ["10.0.0.0/8"], "1.2.3.4"),  # spoofed left part
        ("10.0.0.2", ["6.6.6.6, 1.2.3.4, 10.0.0.9"], ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.2", ["6.6.6.6", "1.2.3.4"], ["10.0.0.0/8"], "1.2.3.4"),  # two headers
        ("10.0.0.2", [], ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", ["garbage"], ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", ["[2001:db8::1]:443"], ["10.0.0.0/8"], "2001:db8::1"),
        ("10.0.0.2", ["1.2.3.4"], [], "10.0.0.2"),
    ],
)
def test_client_address(peer, forwarded, trusted, expected):
    assert addresses.client_address(_request(peer, forwarded), trusted) == expected


def test_trusted_proxies_must_be_addresses_or_networks(contracts_settings):
    from pydantic import ValidationError

    from contracts.config import ContractsSettings

    with pytest.raises(ValidationError):
        ContractsSettings(**{**contracts_settings.model_dump(), "trusted_proxies": ["gateway"]})


async def test_parallel_guesses_get_no_more_tries_than_the_limit(
    provision_database: ProvisionDatabase, contracts_settings, argon2_calls
):
    """20 wrong passwords at once against a real, committing app (its own pool, each
    request its own transaction): each attempt is counted before hashing, so no more
    than the limit ever reach argon2, and the rest are refused."""
    url = await provision_database("contracts_concurrency", CONTRACTS.service_dir)
    settings = contracts_settings.model_copy(update={**LIMITS, "database_url": url})
    email = f"race-{uuid.uuid4().hex[:12]}@example.com"
    via = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    async with running_app(create_app(settings)) as app, asgi_client(app) as api:
        sessions = app.state.database.sessionmaker
        async with sessions() as session, session.begin():
            session.add(
                StaffUser(
                    email=email,
                    name="Race",
                    role="AGENT",
                    password_hash=secrets.hash_password("right"),
                )
            )
        try:
            answers = await asyncio.gather(
                *[_password(api, email, f"wrong-{i}", via=via) for i in range(20)]
            )
            codes = sorted(a.status_code for a in answers)
            assert codes == [400] * 3 + [429] * 17, codes
            assert len(argon2_calls) == 3
        finally:
            async with sessions() as session, session.begin():
                await session.execute(StaffUser.__table__.delete().where(StaffUser.email == email))
