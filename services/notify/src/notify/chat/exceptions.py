"""The errors of chat channels, each with its stable code and status."""

from __future__ import annotations

from careplane_shared.errors import Conflict, NotFound


class ChatChannelNotFound(NotFound):
    code = "CHAT_CHANNEL_NOT_FOUND"
    message = "No such chat channel."


class ChatChannelLimitReached(Conflict):
    code = "CHAT_CHANNEL_LIMIT_REACHED"
    message = "This customer has as many chat channels as it may; disconnect one first."
