"""The pure rules of ideas and development: who is told when an idea ships, and the
tracker webhook's signature."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.development.rules import DevelopmentRuleError, check_signature, signature
from tickets.ideas.rules import told_when_shipped

contacts = st.lists(st.sampled_from([str(uuid.UUID(int=i)) for i in range(8)]), max_size=12)


@given(contacts, contacts)
def test_everyone_who_asked_or_voted_is_told_once(askers: list[str], voters: list[str]) -> None:
    told = told_when_shipped(askers, voters)
    assert sorted(told) == sorted(set(askers) | set(voters))
    assert len(told) == len(set(told))
    # Askers come first, in their order.
    assert told[: len(dict.fromkeys(askers))] == list(dict.fromkeys(askers))


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=10**10))
def test_a_signature_holds_for_its_body_and_time_only(body: bytes, at: int) -> None:
    secret = "s3cret"
    stamp = str(at)
    good = signature(secret, stamp, body)
    check_signature(
        secret=secret, timestamp=stamp, given=good, body=body, now=at, tolerance_seconds=300
    )
    with pytest.raises(DevelopmentRuleError) as refused:
        check_signature(
            secret=secret,
            timestamp=stamp,
            given=good,
            body=body + b"x",
            now=at,
            tolerance_seconds=300,
        )
    assert refused.value.code == "WEBHOOK_SIGNATURE_INVALID"
    with pytest.raises(DevelopmentRuleError) as late:
        check_signature(
            secret=secret,
            timestamp=stamp,
            given=good,
            body=body,
            now=at + 301,
            tolerance_seconds=300,
        )
    assert late.value.code == "WEBHOOK_TIMESTAMP_INVALID"
