"""Reading a Server-Sent Events stream (the WHATWG event stream format), line by line.

Only what a service's stream uses: ``id``, ``event`` and ``data`` fields, comment lines
(``: keep-alive``) and a blank line ending each message. ``retry`` and unknown fields are
ignored, as the format says.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass

DEFAULT_EVENT = "message"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


async def read_events(lines: AsyncIterable[str]) -> AsyncGenerator[ServerSentEvent, None]:
    """The messages of a stream whose lines come without their line endings. A message
    without data lines is dropped, as a browser's EventSource drops it."""
    event: str | None = None
    event_id: str | None = None
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(
                    event=event or DEFAULT_EVENT, data="\n".join(data), id=event_id
                )
            event, event_id, data = None, None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            event_id = value
