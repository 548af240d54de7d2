"""Where notify's resources live in its REST API, for the types, queries and mutations that
read or change them."""

from __future__ import annotations

STAFF_DIGEST_PATH = "/v1/staff-digest"


def endpoint_path(endpoint_id: str) -> str:
    return f"/v1/webhook-endpoints/{endpoint_id}"


def delivery_path(delivery_id: str) -> str:
    return f"/v1/deliveries/{delivery_id}"


def chat_channel_path(channel_id: str) -> str:
    return f"/v1/chat-channels/{channel_id}"


def announcement_path(announcement_id: str) -> str:
    return f"/v1/announcements/{announcement_id}"


def maintenance_path(window_id: str) -> str:
    return f"/v1/maintenance-windows/{window_id}"


def preferences_path(contact_id: str) -> str:
    return f"/v1/contacts/{contact_id}/preferences"


def watchers_path(ticket_id: str) -> str:
    return f"/v1/tickets/{ticket_id}/watchers"
