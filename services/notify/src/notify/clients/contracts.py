"""notify's typed client for contracts: who a recipient is (contacts, customers), and which
customers an announcement concerns (active agreements and the products they cover).

Lists of a customer's contacts hold accepted contacts only: a pending one (invited, not yet
accepted) may carry an address that belongs to someone else, so nothing is mailed to it but
its invitation.

Addressing a mail asks for its contact (and, when the event names no language, the
contact's customer). Those answers are kept for a short while (:meth:`ContractsClient.
contact_for_mail`), so a run of mails to the same people costs contracts one request each
per ``contact_cache_seconds``; every other question is asked every time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import httpx

from notify.clients.cache import TtlCache

# contracts' list endpoints: at most 200 items a page and 100 ids a filter.
PAGE_SIZE = 200
MAX_IDS = 100


class ContractsUnavailable(Exception):
    """Contracts did not answer usefully: the delivery is tried again later."""


def _batches(ids: Iterable[uuid.UUID | str], size: int = MAX_IDS) -> list[list[str]]:
    unique = sorted({str(i) for i in ids})
    return [unique[i : i + size] for i in range(0, len(unique), size)]


class ContractsClient:
    def __init__(
        self, http: httpx.AsyncClient, *, cache_seconds: float = 0, cache_size: int = 10_000
    ) -> None:
        """``cache_seconds`` and ``cache_size`` bound what :meth:`contact_for_mail` and
        :meth:`customer_for_mail` keep (0 seconds: nothing)."""
        self.http = http
        self._for_mail: TtlCache[dict[str, Any]] = TtlCache(cache_size, cache_seconds)
        self._asking: dict[tuple[str, str], asyncio.Future[dict[str, Any] | None]] = {}

    async def _get(self, path: str, **params: Any) -> Any:
        try:
            response = await self.http.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise ContractsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ContractsUnavailable(f"contracts answered {response.status_code} for {path}")
        return response.json()

    async def _all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list, page after page."""
        items: list[dict[str, Any]] = []
        while True:
            page = await self._get(path, **params, limit=PAGE_SIZE, offset=len(items))
            if page is None:
                raise ContractsUnavailable(f"contracts has no {path}")
            items.extend(page["items"])
            if not page["items"] or len(items) >= page["total"]:
                return items

    async def contact(self, contact_id: uuid.UUID | str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._get(f"/v1/contacts/{contact_id}")
        return found

    async def customer(self, customer_id: uuid.UUID | str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._get(f"/v1/customers/{customer_id}")
        return found

    async def contact_for_mail(self, contact_id: uuid.UUID | str) -> dict[str, Any] | None:
        """The contact as :meth:`contact` answers, to address a mail to. An active, accepted
        contact is kept for up to ``cache_seconds``: a changed address (or a contact made
        inactive) is picked up within that time, not at once. A pending, inactive or unknown
        contact is never kept, so an accepted invitation counts from the next mail on."""
        return await self._for_mail_lookup(
            ("contact", str(contact_id)),
            lambda: self.contact(contact_id),
            lambda found: bool(found.get("active", True)) and not found.get("pending"),
        )

    async def customer_for_mail(self, customer_id: uuid.UUID | str) -> dict[str, Any] | None:
        """The customer as :meth:`customer` answers (a mail's language when its event names
        none), kept for up to ``cache_seconds``: a changed language is picked up within that
        time. An unknown customer is never kept."""
        return await self._for_mail_lookup(
            ("customer", str(customer_id)), lambda: self.customer(customer_id), lambda _: True
        )

    async def _for_mail_lookup(
        self,
        key: tuple[str, str],
        ask: Callable[[], Awaitable[dict[str, Any] | None]],
        keep: Callable[[dict[str, Any]], bool],
    ) -> dict[str, Any] | None:
        """A kept answer, else the answer to the question already under way for the same key
        (mails attempted side by side ask once), else a new question."""
        found = self._for_mail.get(key)
        if found is not None:
            return found
        asking = self._asking.get(key)
        if asking is None:
            asking = asyncio.ensure_future(self._ask_and_keep(key, ask, keep))
            asking.add_done_callback(partial(self._asked, key))
            self._asking[key] = asking
        # A waiter cut short (its attempt's deadline) leaves the question to the others.
        return await asyncio.shield(asking)

    async def _ask_and_keep(
        self,
        key: tuple[str, str],
        ask: Callable[[], Awaitable[dict[str, Any] | None]],
        keep: Callable[[dict[str, Any]], bool],
    ) -> dict[str, Any] | None:
        found = await ask()
        if found is not None and keep(found):
            self._for_mail.put(key, found)
        return found

    def _asked(self, key: tuple[str, str], done: asyncio.Future[Any]) -> None:
        if self._asking.get(key) is done:
            del self._asking[key]
        if not done.cancelled():
            # Read by whoever awaits it; retrieved here too, so an error nobody waits for
            # any more (its waiters' deadlines passed) is not reported as never retrieved.
            done.exception()

    async def active_agreements(self) -> list[dict[str, Any]]:
        """Agreements in force today (contracts decides: stored active and not yet ended)."""
        return await self._all("/v1/agreements", status="active")

    async def customers(self, ids: Iterable[uuid.UUID | str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for batch in _batches(ids):
            for customer in await self._all("/v1/customers", id=batch):
                found[str(customer["id"])] = customer
        return found

    async def contacts_of(self, customer_ids: Sequence[uuid.UUID | str]) -> list[dict[str, Any]]:
        """The accepted contacts of these customers (contracts filters: ``pending=false``)."""
        contacts: list[dict[str, Any]] = []
        for batch in _batches(customer_ids):
            contacts.extend(await self._all("/v1/contacts", customer_id=batch, pending="false"))
        return contacts
