"""A verified token is remembered until its ``exp``, never longer, and only while the key
that verified it is still the one its source holds."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import jwt
import pytest

from careplane_shared.auth import KeySource, Role, StaticKeySource, TokenVerifier
from careplane_shared.errors import Unauthenticated
from careplane_shared.testing import TokenMinter


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Every token whose signature was checked (jwt.decode, called through)."""
    checked: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return checked


def verifier_for(minter: TokenMinter, keys: KeySource | None = None, **kwargs: Any):
    return TokenVerifier(
        keys or StaticKeySource(minter.jwks),
        issuer=minter.issuer,
        audience=minter.audience,
        **kwargs,
    )


async def wait_until_expired(token: str) -> None:
    """At most the token's ttl (a second or two here) plus a little."""
    payload = token.split(".")[1]
    exp = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]
    await asyncio.sleep(max(exp - time.time(), 0) + 0.05)


async def test_a_token_is_verified_once_then_remembered(decodes):
    minter = TokenMinter()
    verifier = verifier_for(minter)
    token = minter.mint(Role.CONTACT, customer_id="9c1b3f52-1111-4a5e-9d1f-2f6c3a4b5c6d")
    other = minter.mint(Role.AGENT)

    first = await verifier.verify(token)
    again = [await verifier.verify(token) for _ in range(3)]
    await verifier.verify(other)

    assert decodes == [token, other]
    assert all(principal == first for principal in again)
    assert first.role is Role.CONTACT and first.token == token


async def test_an_expired_token_is_refused_even_when_remembered(decodes):
    minter = TokenMinter()
    verifier = verifier_for(minter, leeway_seconds=0)
    token = minter.mint(Role.AGENT, ttl=2)  # exp is whole seconds: valid for one at least
    await verifier.verify(token)

    await wait_until_expired(token)
    with pytest.raises(Unauthenticated) as refused:
        await verifier.verify(token)

    assert refused.value.code == "TOKEN_EXPIRED"
    assert decodes == [token, token]  # checked again, not taken from memory


async def test_past_its_exp_a_token_within_the_leeway_is_checked_every_time(decodes):
    minter = TokenMinter()
    verifier = verifier_for(minter, leeway_seconds=30)
    token = minter.mint(Role.AGENT, ttl=1)
    await verifier.verify(token)

    await wait_until_expired(token)
    await verifier.verify(token)
    await verifier.verify(token)

    assert decodes == [token, token, token]


class SwappableKeys(KeySource):
    """A key source whose keys change, as a JWKS does when a key is withdrawn."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.source = StaticKeySource(jwks)

    async def key_for(self, kid: str | None) -> Any:
        return await self.source.key_for(kid)


async def test_a_withdrawn_key_refuses_the_tokens_it_verified(decodes):
    minter, successor = TokenMinter(), TokenMinter()
    keys = SwappableKeys(minter.jwks)
    verifier = verifier_for(minter, keys)
    token = minter.mint(Role.AGENT)
    await verifier.verify(token)

    keys.source = StaticKeySource(successor.jwks)  # the old key is gone
    with pytest.raises(Unauthenticated) as refused:
        await verifier.verify(token)

    assert refused.value.code == "TOKEN_INVALID"


async def test_a_renewed_key_object_for_the_same_kid_checks_the_token_again(decodes):
    minter = TokenMinter()
    keys = SwappableKeys(minter.jwks)
    verifier = verifier_for(minter, keys)
    token = minter.mint(Role.AGENT)
    await verifier.verify(token)

    keys.source = StaticKeySource(minter.jwks)  # the JWKS read again
    await verifier.verify(token)
    await verifier.verify(token)

    assert decodes == [token, token]


async def test_at_most_cache_size_tokens_are_remembered(decodes):
    minter = TokenMinter()
    verifier = verifier_for(minter, cache_size=2)
    first, second, third = (minter.mint(Role.AGENT) for _ in range(3))

    for token in (first, second, first, third, first, second):
        await verifier.verify(token)

    # first stays (recently used), second was forgotten when third came, then came again.
    assert decodes == [first, second, third, second]


async def test_a_refused_token_is_not_remembered(decodes):
    minter = TokenMinter()
    verifier = verifier_for(minter)
    forged = TokenMinter(issuer="someone-else")  # our key, another issuer
    forged.private_key, forged.kid = minter.private_key, minter.kid
    token = forged.mint(Role.AGENT)

    for _ in range(2):
        with pytest.raises(Unauthenticated) as refused:
            await verifier.verify(token)
        assert refused.value.code == "TOKEN_INVALID"

    assert decodes == [token, token]
