"""Enums of the notify domain, mirroring notify's own spellings."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description=(
        "PENDING: waiting for its next attempt. DELIVERING: an attempt is under way. "
        "SUCCEEDED. FAILED: given up for good (the target refused it, 410 Gone, or the "
        "endpoint was deleted). DEAD: every retry of the schedule failed."
    )
)
class DeliveryStatus(Enum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEAD = "dead"


@strawberry.enum(description="How a notification goes out.")
class DeliveryChannel(Enum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SLACK = "slack"
    TEAMS = "teams"
    MATTERMOST = "mattermost"
    DISCORD = "discord"
    GOOGLE_CHAT = "google_chat"


@strawberry.enum(description="A chat tool whose incoming webhook a chat channel posts to.")
class ChatTool(Enum):
    SLACK = "slack"
    TEAMS = "teams"
    MATTERMOST = "mattermost"
    DISCORD = "discord"
    GOOGLE_CHAT = "google_chat"


@strawberry.enum(
    description=(
        "SCHEDULED: waiting for its announce time. SENDING. SENT: queued to every customer. "
        "SUPERSEDED: the date moved and a new announcement replaced it. CANCELLED."
    )
)
class AnnouncementStatus(Enum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


@strawberry.enum(description="End of Sales, End of Mainstream Support, End of Life.")
class Milestone(Enum):
    EOS = "EOS"
    EOMS = "EOMS"
    EOL = "EOL"


@strawberry.enum(description="Whether a maintenance window was planned or not.")
class MaintenanceKind(Enum):
    SCHEDULED = "scheduled"
    UNSCHEDULED = "unscheduled"


@strawberry.enum(description="A maintenance window stands (SCHEDULED) or was CANCELLED.")
class MaintenanceStatus(Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
