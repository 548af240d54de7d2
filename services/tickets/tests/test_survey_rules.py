"""The pure rules behind surveys and billable time: sampling, the signed link, rounding."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careplane_shared.billing import billed_minutes
from tickets.survey import tokens
from tickets.survey.sampling import SamplingRule, should_invite

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
rates = st.floats(min_value=0, max_value=1)
draws = st.floats(min_value=0, max_value=1, exclude_max=True)
days = st.integers(min_value=0, max_value=400)


@given(rates, draws, days, st.none() | st.integers(min_value=0, max_value=800))
def test_an_opted_out_contact_is_never_asked(rate, draw, cooldown, ago):
    rule = SamplingRule(rate, timedelta(days=cooldown))
    last = None if ago is None else NOW - timedelta(days=ago)
    assert not should_invite(rule, opted_out=True, last_invited_at=last, now=NOW, draw=draw)


@given(rates, draws, days, st.integers(min_value=0, max_value=400))
def test_no_contact_is_asked_twice_within_the_cooldown(rate, draw, cooldown, ago):
    rule = SamplingRule(rate, timedelta(days=cooldown))
    last = NOW - timedelta(days=ago)
    invited = should_invite(rule, opted_out=False, last_invited_at=last, now=NOW, draw=draw)
    if ago < cooldown:
        assert not invited
    else:
        assert invited == (draw < rate)


@given(draws, days)
def test_rate_one_asks_every_eligible_closing_and_rate_zero_none(draw, cooldown):
    always, never = (SamplingRule(r, timedelta(days=cooldown)) for r in (1.0, 0.0))
    assert should_invite(always, opted_out=False, last_invited_at=None, now=NOW, draw=draw)
    assert not should_invite(never, opted_out=False, last_invited_at=None, now=NOW, draw=draw)


@pytest.mark.parametrize("rate", [0.1, 0.25, 0.5, 0.9])
def test_the_share_asked_follows_the_rate(rate):
    """Seeded draws: of 20 000 eligible closings, the share asked is the rate (to 1.5%)."""
    source = random.Random(12)
    rule = SamplingRule(rate, timedelta(days=90))
    asked = sum(
        should_invite(rule, opted_out=False, last_invited_at=None, now=NOW, draw=source.random())
        for _ in range(20_000)
    )
    assert abs(asked / 20_000 - rate) < 0.015


def test_a_rule_out_of_range_is_refused():
    with pytest.raises(ValueError):
        SamplingRule(1.5, timedelta(days=1))
    with pytest.raises(ValueError):
        SamplingRule(0.5, timedelta(days=-1))


@given(st.uuids(), st.integers(min_value=1, max_value=10_000))
def test_a_signed_link_names_its_survey_until_it_expires(survey_id, minutes):
    key = tokens.link_key("secret")
    expires = NOW + timedelta(minutes=minutes)
    token = tokens.sign(key, survey_id, expires)
    assert tokens.verify(key, token, now=NOW) == (survey_id, True)
    assert tokens.verify(key, token, now=expires + timedelta(seconds=1)) == (survey_id, False)
    with pytest.raises(ValueError):
        tokens.verify(tokens.link_key("other"), token, now=NOW)


def test_a_changed_link_does_not_verify():
    key = tokens.link_key("secret")
    token = tokens.sign(key, uuid.uuid4(), NOW + timedelta(days=1))
    raw_id, expiry, mac = token.split(".")
    for bad in (
        f"{raw_id}.{int(expiry) + 86400}.{mac}",
        f"{uuid.uuid4().hex}.{expiry}.{mac}",
        "a.b",
        f"{raw_id}.{expiry}.é{mac[1:]}",
    ):
        with pytest.raises(ValueError):
            tokens.verify(key, bad, now=NOW)


@given(st.integers(min_value=1, max_value=100_000))
def test_billable_minutes_are_rounded_up_to_started_half_hours(minutes):
    billed = billed_minutes(minutes)
    assert billed % 30 == 0
    assert minutes <= billed < minutes + 30


def test_rounding_examples():
    assert [billed_minutes(m) for m in (0, 1, 29, 30, 31, 60, 61)] == [0, 30, 30, 30, 60, 60, 90]
    with pytest.raises(ValueError):
        billed_minutes(-1)
