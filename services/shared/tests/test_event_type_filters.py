"""The outbox's per-destination type filters: which destinations get which event types."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from careplane_shared.event_filters import (
    destinations_for,
    invalid_patterns,
    matches,
    valid_pattern,
    wants,
)

word = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
event_type = st.lists(word, min_size=1, max_size=4).map(".".join)


def test_exact_types_and_prefix_wildcards() -> None:
    assert matches("ticket.closed", "ticket.closed")
    assert not matches("ticket.closed", "ticket.closed_early")
    assert matches("billing.*", "billing.item_recorded")
    assert matches("billing.*", "billing.item.voided")
    # A wildcard stops at the dot: "billing.*" is not "billing_export.x" nor "billing".
    assert not matches("billing.*", "billing_export.created")
    assert not matches("billing.*", "billing")
    assert matches("*", "anything.at_all")


def test_a_destination_without_a_filter_gets_everything_an_empty_one_nothing() -> None:
    assert wants(None, "ticket.opened")
    assert not wants([], "ticket.opened")
    filters = {"contracts": ["ticket.closed"], "paused": []}
    assert destinations_for("ticket.opened", ["contracts", "notify", "paused"], filters) == [
        "notify"
    ]
    assert destinations_for("ticket.closed", ["contracts", "notify", "paused"], filters) == [
        "contracts",
        "notify",
    ]


def test_malformed_patterns_are_named() -> None:
    assert invalid_patterns({"a": ["ticket.closed", "billing.*", "*"]}) == []
    assert invalid_patterns({"a": ["ticket*", "", "a.*.b", " x"]}) == ["ticket*", "", "a.*.b", " x"]


@given(event_type)
def test_every_type_matches_itself_and_the_wildcard(t: str) -> None:
    assert valid_pattern(t)
    assert matches(t, t)
    assert matches("*", t)


@given(event_type, event_type)
def test_a_prefix_wildcard_matches_exactly_the_types_under_it(prefix: str, t: str) -> None:
    assert valid_pattern(f"{prefix}.*")
    assert matches(f"{prefix}.*", t) == t.startswith(prefix + ".")
    assert matches(f"{prefix}.*", f"{prefix}.{t}")


@given(
    st.dictionaries(word, st.lists(st.one_of(event_type, event_type.map(lambda p: p + ".*")))),
    st.lists(word, unique=True),
    event_type,
)
def test_destinations_for_keeps_order_and_only_drops_filtered_ones(
    filters: dict[str, list[str]], destinations: list[str], t: str
) -> None:
    chosen = destinations_for(t, destinations, filters)
    assert chosen == [d for d in destinations if d in chosen]  # a subsequence, in order
    for d in destinations:
        if d not in filters:
            assert d in chosen  # unfiltered: gets everything
        else:
            assert (d in chosen) == any(matches(p, t) for p in filters[d])
