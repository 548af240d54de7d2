"""The SLA engine: business calendars and clocks, pure functions without I/O."""

from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clocks import (
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaPause,
    TicketStatus,
    compute_clocks,
    select_target,
    warning_at,
)

__all__ = [
    "BusinessCalendar",
    "SlaClock",
    "SlaEvent",
    "SlaEventKind",
    "SlaPause",
    "TicketStatus",
    "compute_clocks",
    "select_target",
    "warning_at",
]
