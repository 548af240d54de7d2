"""iCalendar (RFC 5545) for maintenance windows, written with the standard library.

One VEVENT in one VCALENDAR; times in UTC; TEXT values escaped (backslash, semicolon, comma,
newline) and every content line folded at 75 octets without splitting a UTF-8 character.
``METHOD:PUBLISH`` announces a window; ``METHOD:CANCEL`` with the same UID and a higher
SEQUENCE withdraws it (RFC 5546), so a calendar that imported the first removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//Careplane//Maintenance notices//EN"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash first, then ``;`` ``,`` and newlines."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _param(value: str) -> str:
    """A parameter value, quoted when it holds a character that would end it."""
    value = value.replace('"', "")
    return f'"{value}"' if any(c in value for c in ":;,") else value


def fold(line: str) -> str:
    """One content line folded (RFC 5545 3.1): at most 75 octets a line, continuation lines
    starting with a space (which counts), never inside a multi-octet UTF-8 character."""
    encoded = line.encode()
    if len(encoded) <= MAX_OCTETS:
        return line
    parts: list[str] = []
    start = 0
    limit = MAX_OCTETS
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        # Back off to the start of a UTF-8 character (continuation octets are 10xxxxxx).
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(encoded[start:end].decode())
        start = end
        limit = MAX_OCTETS - 1  # the leading space of a continuation line
    return (CRLF + " ").join(parts)


def utc_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    sequence: int
    stamped_at: datetime
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    organizer: str  # "Name <address>" or a bare address
    cancelled: bool = False

    @property
    def method(self) -> str:
        return "CANCEL" if self.cancelled else "PUBLISH"


def calendar(event: CalendarEvent) -> str:
    """The whole iCalendar object, CRLF line ends, ready to attach."""
    name, address = parseaddr(event.organizer)
    organizer = (
        f"ORGANIZER;CN={_param(name)}:mailto:{address}" if name else f"ORGANIZER:mailto:{address}"
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{event.method}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{utc_stamp(event.stamped_at)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        organizer,
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        # A notice, not a meeting: it does not make anyone busy.
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines)
