"""Enums of the notify domain, mirroring notify's own spellings."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description=(
        "PENDING: waiting for its next attempt. DELIVERING: an attempt is under way. "
        "SUCCEEDED. FAILED: given up for good (the target refused it, 410 Gone, or the "
        "endpoint was deleted). DEAD: every retry of the schedule failed. BOUNCED: a mail "
        "the receiving server took came back as undeliverable."
    )
)
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        "pending", description="Queued; not tried yet or waiting for a retry."
    )
    DELIVERING = strawberry.enum_value("delivering", description="Being tried right now.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="Delivered.")
    FAILED = strawberry.enum_value(
        "failed",
        description=(
            "Failed for good: the target refused it permanently, or its webhook endpoint was "
            "deleted. `recoverDeliveries` can queue it again."
        ),
    )
    DEAD = strawberry.enum_value(
        "dead",
        description=(
            "Given up after the last scheduled retry. `recoverDeliveries` can queue it again."
        ),
    )
    BOUNCED = strawberry.enum_value(
        "bounced",
        description=(
            "A mail that came back as undeliverable (a permanent bounce: `bounceStatus`, "
            "`bounceDiagnostic`). `resendDelivery` sends it again."
        ),
    )


@strawberry.enum(description="How a notification goes out.")
class DeliveryChannel(Enum):
    EMAIL = strawberry.enum_value("email", description="A mail.")
    WEBHOOK = strawberry.enum_value(
        "webhook", description="A signed HTTP POST to a webhook endpoint."
    )
    SLACK = strawberry.enum_value("slack", description="A Slack message.")
    TEAMS = strawberry.enum_value("teams", description="A Microsoft Teams message.")
    MATTERMOST = strawberry.enum_value("mattermost", description="A Mattermost message.")
    DISCORD = strawberry.enum_value("discord", description="A Discord message.")
    GOOGLE_CHAT = strawberry.enum_value("google_chat", description="A Google Chat message.")


@strawberry.enum(description="A chat tool whose incoming webhook a chat channel posts to.")
class ChatTool(Enum):
    SLACK = strawberry.enum_value("slack", description="Slack incoming webhook.")
    TEAMS = strawberry.enum_value("teams", description="Microsoft Teams incoming webhook.")
    MATTERMOST = strawberry.enum_value("mattermost", description="Mattermost incoming webhook.")
    DISCORD = strawberry.enum_value("discord", description="Discord webhook.")
    GOOGLE_CHAT = strawberry.enum_value("google_chat", description="Google Chat webhook.")


@strawberry.enum(
    description=(
        "SCHEDULED: waiting for its announce time. SENDING. SENT: queued to every customer. "
        "SUPERSEDED: the date moved and a new announcement replaced it. CANCELLED."
    )
)
class AnnouncementStatus(Enum):
    SCHEDULED = strawberry.enum_value("scheduled", description="Waiting for its `announceAt`.")
    SENDING = strawberry.enum_value("sending", description="Mails are being sent.")
    SENT = strawberry.enum_value("sent", description="Every recipient's mail went out.")
    SUPERSEDED = strawberry.enum_value(
        "superseded",
        description="Replaced by a newer announcement after the milestone date changed.",
    )
    CANCELLED = strawberry.enum_value("cancelled", description="Will not be sent.")


@strawberry.enum(description="End of Sales, End of Mainstream Support, End of Life.")
class Milestone(Enum):
    EOS = strawberry.enum_value("EOS", description="End of sale.")
    EOMS = strawberry.enum_value("EOMS", description="End of mainstream support.")
    EOL = strawberry.enum_value("EOL", description="End of life: end of extended support.")


@strawberry.enum(description="Whether a maintenance window was planned or not.")
class MaintenanceKind(Enum):
    SCHEDULED = strawberry.enum_value("scheduled", description="Planned ahead.")
    UNSCHEDULED = strawberry.enum_value("unscheduled", description="Unplanned, e.g. an urgent fix.")


@strawberry.enum(description="A maintenance window stands (SCHEDULED) or was CANCELLED.")
class MaintenanceStatus(Enum):
    SCHEDULED = strawberry.enum_value("scheduled", description="Planned; notices go out.")
    CANCELLED = strawberry.enum_value(
        "cancelled", description="Called off; the customers told are told so."
    )
