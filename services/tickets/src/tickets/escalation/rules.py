"""The pure rules of escalations, the escalation path and change requests.

The escalation path of seed 001 is email → phone → web conference: an attempt records its
channel's step on the path. Staff may go straight to a later step (a customer who answers
no mail is phoned at once); such an attempt is kept with ``skipped_ahead`` so the case
shows the path was not followed in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from tickets.ticket.rules import Status


class ContactChannel(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    WEB_CONFERENCE = "WEB_CONFERENCE"


class ContactOutcome(StrEnum):
    REACHED = "REACHED"
    NO_ANSWER = "NO_ANSWER"
    LEFT_MESSAGE = "LEFT_MESSAGE"
    BOUNCED = "BOUNCED"
    DECLINED = "DECLINED"
    SCHEDULED = "SCHEDULED"


class ChangeStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REFUSED = "REFUSED"


class Decision(StrEnum):
    ACCEPTED = "ACCEPTED"
    REFUSED = "REFUSED"


PATH = (ContactChannel.EMAIL, ContactChannel.PHONE, ContactChannel.WEB_CONFERENCE)


def step_of(channel: ContactChannel) -> int:
    """1 for email, 2 for phone, 3 for a web conference."""
    return PATH.index(channel) + 1


def skips_ahead(channel: ContactChannel, tried: Iterable[ContactChannel]) -> bool:
    """Whether an earlier step of the path has not been tried yet."""
    done = set(tried)
    return any(earlier not in done for earlier in PATH[: step_of(channel) - 1])


def next_step(tried: Iterable[ContactChannel]) -> ContactChannel | None:
    """The first step of the path not tried yet (None once every step was tried)."""
    done = set(tried)
    return next((channel for channel in PATH if channel not in done), None)


TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 &/._-]{0,99}$")


def team_name(value: str | None) -> str | None:
    """The team as recorded (trimmed), or None when it is not a usable name."""
    name = (value or "").strip()
    return name if TEAM.fullmatch(name) else None


def given(text: str | None) -> str | None:
    """A required free text (reason, motivation), trimmed; None when blank."""
    value = (text or "").strip()
    return value or None


def status_after(previous: str, *, other_open: bool) -> Status | None:
    """Where a case goes when an escalation ends: back to the status it had before, while
    no other escalation keeps it ESCALATED (None: it stays). A case escalated from NEW,
    ESCALATED or CLOSED goes back to OPEN."""
    if other_open:
        return None
    if previous in (Status.NEW.value, Status.ESCALATED.value, Status.CLOSED.value):
        return Status.OPEN
    return Status(previous)
