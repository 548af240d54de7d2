"""The errors a live event stream answers before it opens, each with its stable code."""

from __future__ import annotations

from typing import Literal

from careplane_shared.errors import ServiceUnavailable, TooManyRequests

StreamLimit = Literal["principal", "customer", "process"]


class TooManyStreams(TooManyRequests):
    """One stream more than a limit allows: per caller, per customer on this server, or on
    this server in all. The details name the limit and which one it is; Retry-After says
    when to try again."""

    code = "TOO_MANY_STREAMS"
    message = "Too many live event streams are open (per caller, per customer or on this server)."

    def __init__(self, *, per: StreamLimit, limit: int, retry_after: float) -> None:
        if per == "principal":
            text = f"At most {limit} live event streams per caller; close one first."
        elif per == "customer":
            text = (
                f"At most {limit} live event streams per customer on this server; close one first."
            )
        else:
            text = "This server holds as many live event streams as it may; try again later."
        super().__init__(text, retry_after=retry_after, details={"limit": limit, "per": per})


class LiveEventsUnavailable(ServiceUnavailable):
    """The live-event connection to the database is not listening within the time allowed."""

    code = "LIVE_EVENTS_UNAVAILABLE"
    message = "Live events are unavailable right now; try again shortly."
