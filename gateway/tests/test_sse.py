"""Reading Server-Sent Events (the WHATWG event stream format) as the gateway reads tickets'."""

from __future__ import annotations

from collections.abc import AsyncIterator

from careplane_gateway.sse import ServerSentEvent, read_events


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def _events(*lines: str) -> list[ServerSentEvent]:
    return [event async for event in read_events(_lines(*lines))]


async def test_messages_end_at_a_blank_line_and_comments_are_skipped() -> None:
    events = await _events(
        ": connected",
        "",
        "id: 1",
        "event: ticket.opened",
        'data: {"id": "1"}',
        "",
        ": keep-alive",
        "",
        "data:no space",
        "data: second line",
        "",
    )

    assert events == [
        ServerSentEvent(event="ticket.opened", data='{"id": "1"}', id="1"),
        ServerSentEvent(event="message", data="no space\nsecond line", id=None),
    ]


async def test_a_message_without_data_or_its_blank_line_is_not_dispatched() -> None:
    events = await _events("event: ping", "", "retry: 100", "", "id: 3", "data: cut off")

    assert events == []


async def test_the_message_that_ends_a_stream_reads_as_one_without_an_id() -> None:
    # Tickets ends a stream with the reason as its last message, after the last event.
    events = await _events(
        "id: 7",
        "event: ticket.replied",
        'data: {"id": "7"}',
        "",
        "event: stream.end",
        'data: {"code":"TOKEN_EXPIRED","message":"The bearer token has expired."}',
        "",
    )

    assert events == [
        ServerSentEvent(event="ticket.replied", data='{"id": "7"}', id="7"),
        ServerSentEvent(
            event="stream.end",
            data='{"code":"TOKEN_EXPIRED","message":"The bearer token has expired."}',
            id=None,
        ),
    ]
