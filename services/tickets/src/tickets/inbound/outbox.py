"""The case's reply address in every event notify mails the customer about.

Notify puts ``reply_address`` in the Reply-To of its mail about the case, so the customer's
answer comes back with the case's reply token (tickets.inbound.tokens); notify never needs
the secret. Added here, where every event passes, rather than at each place that emits one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careplane_shared.events import CloudEvent
from tickets.inbound.tokens import ReplyAddresses
from tickets.live import LiveOutbox

MAILED_EVENTS = frozenset(
    {"ticket.opened", "ticket.replied", "ticket.status_changed", "ticket.closed"}
)


def with_reply_address(
    addresses: ReplyAddresses, type: str, data: Mapping[str, Any]
) -> Mapping[str, Any]:
    if type not in MAILED_EVENTS or "reply_address" in data:
        return data
    ticket_id, number = data.get("ticket_id"), data.get("number")
    if not ticket_id or not number:
        return data
    return {**data, "reply_address": addresses.for_case(uuid.UUID(str(ticket_id)), str(number))}


class MailOutbox(LiveOutbox):
    reply_addresses: ReplyAddresses | None = None

    async def emit(
        self,
        session: AsyncSession,
        type: str,
        data: Mapping[str, Any],
        *,
        subject: str | None = None,
    ) -> CloudEvent:
        if self.reply_addresses is not None:
            data = with_reply_address(self.reply_addresses, type, data)
        return await super().emit(session, type, data, subject=subject)
