"""The knowledge base's pure rules: the query a case being written becomes, highlights made
safe, what one suggestion record showed, and the deflection figures."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from tickets.knowledge.rules import (
    MARK_START,
    MARK_STOP,
    MAX_QUERY_WORDS,
    Deflection,
    merged_shown,
    safe_highlight,
    suggestion_query,
)


def test_suggestion_query_is_any_of_the_words() -> None:
    assert suggestion_query("Password reset", "I forgot my password!") == (
        "password or reset or forgot or my"
    )
    assert suggestion_query("?!", "- _ ") is None
    # Websearch operators typed by the caller are words like the others (or dropped).
    assert suggestion_query('"-quoted" or', "x") == "quoted"


@given(st.text(max_size=300), st.text(max_size=2000))
def test_suggestion_query_is_always_plain_words(subject: str, description: str) -> None:
    query = suggestion_query(subject, description)
    if query is None:
        return
    words = query.split(" or ")
    assert len(words) <= MAX_QUERY_WORDS
    assert len(set(words)) == len(words)
    for word in words:
        assert word and word != "or"
        assert all(ch.isalnum() or ch == "_" for ch in word)


def test_highlights_escape_the_article_and_mark_the_matches() -> None:
    raw = f"Use <b>{MARK_START}reset{MARK_STOP}</b> & go"
    assert safe_highlight(raw) == "Use &lt;b&gt;<mark>reset</mark>&lt;/b&gt; &amp; go"


@given(st.text())
def test_highlights_never_carry_a_tag_of_the_article(text: str) -> None:
    cleaned = text.replace(MARK_START, "").replace(MARK_STOP, "")
    assert "<" not in safe_highlight(cleaned)


@given(st.lists(st.uuids(), max_size=30), st.lists(st.uuids(), max_size=30))
def test_merged_shown_keeps_first_shown_order_without_repeats(
    before: list[uuid.UUID], now: list[uuid.UUID]
) -> None:
    merged = merged_shown(before, now)
    assert len(set(merged)) == len(merged) <= 50
    assert set(merged) <= set(before) | set(now)
    expected = list(dict.fromkeys(before + now))[:50]
    assert merged == expected


@given(st.integers(0, 1000), st.data())
def test_deflection_rates(shown: int, data: st.DataObject) -> None:
    opened = data.draw(st.integers(0, shown))
    helpful = data.draw(st.integers(0, shown - opened))
    figures = Deflection(shown=shown, helpful=helpful, cases_opened=opened)
    if shown == 0:
        assert figures.deflection_rate is None and figures.helpful_rate is None
        return
    assert figures.deflection_rate is not None and figures.helpful_rate is not None
    assert 0.0 <= figures.helpful_rate <= figures.deflection_rate <= 1.0
    assert abs(figures.deflection_rate - (1 - opened / shown)) < 1e-4
