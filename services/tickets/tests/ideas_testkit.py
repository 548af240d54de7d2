"""Helpers of the ideas' and development's tests (imported, not a fixture file)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tickets.models import outbox_events


def case(ids: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Export the network to GeoJSON",
        "description": "We would like to export the whole network as GeoJSON.",
        **extra,
    }


async def events(connection: Any, type_: str) -> list[dict[str, Any]]:
    """The outbox's events of a type, once each (one row per destination)."""
    rows = (
        await connection.execute(
            select(outbox_events.c.envelope).where(outbox_events.c.type == type_)
        )
    ).all()
    return list({r.envelope["id"]: r.envelope for r in rows}.values())


def code(response: Any) -> str:
    return str(response.json()["error"]["code"])
