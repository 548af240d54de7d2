"""What notify knows of contracts' invitations (``contact.invited``): the event carries the
token that lets its holder choose the invited contact's password, so that token is sealed
in the one delivery it becomes, opened only to render the mail, and never stored in the
clear, shown or logged."""

from __future__ import annotations

import re
from typing import Any

INVITATION_EVENT = "contact.invited"
INVITATION_SOURCE = "contracts"
INVITATION_TEMPLATE = "contact_invited"
# What of an invitation event is never stored in the clear, shown or logged.
INVITATION_SECRETS = ("token", "accept_path")
# Where the sealed token travels in an invitation delivery's payload.
SEALED_TOKEN = "invitation"
# contracts' tokens (and what its accept route takes).
INVITATION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,100}$")
# What stands for the token where it would otherwise show.
REDACTED = "[redacted]"


def without_secrets(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in INVITATION_SECRETS}
