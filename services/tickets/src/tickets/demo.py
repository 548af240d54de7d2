"""Tickets' demo data for ``make run`` (the ``careplane.seed`` entry point): each package's
own demo, called in turn."""

from __future__ import annotations

from tickets.ideas import demo as ideas_demo


async def seed(database_url: str) -> None:
    await ideas_demo.seed(database_url)
