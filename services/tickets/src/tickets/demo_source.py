"""Where tickets' demo data finds contracts' demo data, whose customers, contacts and plans
its demo cases are made on (contracts' seed runs first, see ``tickets.demo``)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from sqlalchemy.engine import make_url


def contracts_url(tickets_url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Contracts' database: the one its runner names (``CONTRACTS_DATABASE_URL``), else the
    dev runner's neighbour of tickets' own (``careplane_tickets`` → ``careplane_contracts``
    on the same server); None when neither is known, and the demo parts skip themselves."""
    given = (os.environ if environ is None else environ).get("CONTRACTS_DATABASE_URL", "").strip()
    if given:
        url = make_url(given)
    else:
        url = make_url(tickets_url)
        if not url.database or "tickets" not in url.database:
            return None
        url = url.set(database=url.database.replace("tickets", "contracts"))
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
