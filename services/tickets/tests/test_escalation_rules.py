"""The pure rules of the escalation path, teams and where a case goes back to."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tickets.escalation import rules
from tickets.escalation.rules import PATH, ContactChannel
from tickets.ticket.rules import Status

channels = st.lists(st.sampled_from(list(ContactChannel)), max_size=6)


@given(channels)
def test_the_next_step_is_the_first_not_tried(tried):
    step = rules.next_step(tried)
    if step is None:
        assert set(tried) == set(PATH)
    else:
        assert step not in tried
        assert all(earlier in tried for earlier in PATH[: rules.step_of(step) - 1])


@given(channels, st.sampled_from(list(ContactChannel)))
def test_skipping_ahead_means_an_earlier_step_was_not_tried(tried, channel):
    # Following the path's next step never skips ahead.
    if rules.next_step(tried) == channel:
        assert not rules.skips_ahead(channel, tried)
    earlier_missing = any(c not in tried for c in PATH[: rules.step_of(channel) - 1])
    assert rules.skips_ahead(channel, tried) is earlier_missing


def test_the_path_is_email_phone_web_conference():
    assert [rules.step_of(c) for c in PATH] == [1, 2, 3]
    assert PATH == (ContactChannel.EMAIL, ContactChannel.PHONE, ContactChannel.WEB_CONFERENCE)
    assert not rules.skips_ahead(ContactChannel.EMAIL, [])
    assert rules.skips_ahead(ContactChannel.PHONE, [])
    assert not rules.skips_ahead(ContactChannel.PHONE, [ContactChannel.EMAIL])


def test_team_names():
    assert rules.team_name("  Hydraulics ") == "Hydraulics"
    assert rules.team_name("R&D / Solvers") == "R&D / Solvers"
    for bad in (None, "", "   ", "<b>", "x" * 101, "-leading"):
        assert rules.team_name(bad) is None, bad


@given(st.sampled_from([s.value for s in Status]), st.booleans())
def test_an_ended_escalation_returns_the_case(previous, other_open):
    back = rules.status_after(previous, other_open=other_open)
    if other_open:
        assert back is None
    elif previous in ("NEW", "ESCALATED", "CLOSED"):
        assert back is Status.OPEN
    else:
        assert back == Status(previous)
