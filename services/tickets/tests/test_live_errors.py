"""The errors a live stream answers before it opens: codes, statuses, messages, details."""

from __future__ import annotations

import pytest

from tickets.live_errors import LiveEventsUnavailable, StreamLimit, TooManyStreams


@pytest.mark.parametrize(
    ("per", "message"),
    [
        ("principal", "At most 3 live event streams per caller; close one first."),
        ("customer", "At most 3 live event streams per customer on this server; close one first."),
        ("process", "This server holds as many live event streams as it may; try again later."),
    ],
)
def test_too_many_streams_names_the_limit_it_reached(per: StreamLimit, message: str) -> None:
    error = TooManyStreams(per=per, limit=3, retry_after=2.5)
    assert (error.code, error.status_code, error.message) == ("TOO_MANY_STREAMS", 429, message)
    assert error.details == {"limit": 3, "per": per}
    assert error.headers == {"Retry-After": "3"}


def test_live_events_unavailable() -> None:
    error = LiveEventsUnavailable()
    assert (error.code, error.status_code) == ("LIVE_EVENTS_UNAVAILABLE", 503)
    assert error.message == "Live events are unavailable right now; try again shortly."
