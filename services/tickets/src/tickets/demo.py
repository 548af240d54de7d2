"""Tickets' demo data for `make run` (the ``careplane.seed`` entry point): each package's
own demo, called in turn."""

from __future__ import annotations

from tickets.inbound import demo as inbound_demo


async def seed(database_url: str) -> None:
    await inbound_demo.seed(database_url)
