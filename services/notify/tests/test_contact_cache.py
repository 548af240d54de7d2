"""Mail recipients looked up in contracts are reused for a short while (notify.clients.cache,
ContractsClient.contact_for_mail), against the real contracts app in-process."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from notify_testkit import drain, post_event, ticket_event

from careplane_shared.testing import asgi_client, bearer, password_token
from notify.clients.cache import TtlCache
from notify.clients.contracts import ContractsClient


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_expires_after_its_seconds():
    clock = Clock()
    cache: TtlCache[str] = TtlCache(10, 60, clock=clock)
    cache.put("ana", "ana@acme-water.example")
    clock.now += 59.9
    assert cache.get("ana") == "ana@acme-water.example"
    clock.now += 0.1
    assert cache.get("ana") is None
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first():
    cache: TtlCache[int] = TtlCache(2, 60, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_no_seconds_keep_nothing():
    cache: TtlCache[int] = TtlCache(10, 0, clock=Clock())
    cache.put("a", 1)
    assert cache.get("a") is None


class Counting(httpx.AsyncBaseTransport):
    """Passes requests on, keeping each one's path."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


async def admin_headers(contracts_app) -> dict[str, str]:
    async with asgi_client(contracts_app, base_url="http://contracts") as client:
        return bearer(await password_token(client, "admin@example.com"))


async def test_contacts_for_mail_are_asked_once_until_they_expire(
    contracts_app, contracts_transport, demo_contacts, login
):
    cora = demo_contacts["cora@cobalt.example"]
    cobalt = str(cora["customer_id"])
    counting = Counting(contracts_transport)
    headers = await admin_headers(contracts_app)
    async with (
        httpx.AsyncClient(base_url="http://contracts", transport=counting, headers=headers) as http,
        asgi_client(contracts_app, base_url="http://contracts") as contracts,
    ):
        cached = ContractsClient(http, cache_seconds=60)
        brief = ContractsClient(http, cache_seconds=0.05)
        uncached = ContractsClient(http)

        for _ in range(3):
            assert (await cached.contact_for_mail(cora["id"]))["email"] == "cora@cobalt.example"
            assert (await cached.customer_for_mail(cobalt))["id"] == cobalt
        assert counting.paths == [f"/v1/contacts/{cora['id']}", f"/v1/customers/{cobalt}"]

        # Other questions, and a client keeping nothing, ask every time.
        counting.paths.clear()
        await cached.contact(cora["id"])
        await cached.contact(cora["id"])
        await uncached.contact_for_mail(cora["id"])
        await uncached.contact_for_mail(cora["id"])
        assert len(counting.paths) == 4

        # An unknown contact, and a pending one (invited, not accepted), are never kept.
        counting.paths.clear()
        nobody = str(uuid.uuid4())
        assert await cached.contact_for_mail(nobody) is None
        assert await cached.contact_for_mail(nobody) is None
        invited = await contracts.post(
            f"/v1/customers/{cobalt}/contacts",
            json={"email": "pim@cobalt.example", "name": "Pim Jansen"},
            headers=await login("cora@cobalt.example"),
        )
        assert invited.status_code == 201, invited.text
        pim = invited.json()
        assert (await cached.contact_for_mail(pim["id"]))["pending"] is True
        assert (await cached.contact_for_mail(pim["id"]))["pending"] is True
        assert len(counting.paths) == 4

        # A change in contracts is seen once the kept answer expires.
        assert (await brief.contact_for_mail(cora["id"]))["name"] == cora["name"]
        renamed = await contracts.patch(
            f"/v1/contacts/{cora['id']}", json={"name": "Cora Renamed"}, headers=headers
        )
        assert renamed.status_code == 200, renamed.text
        await asyncio.sleep(0.1)
        assert (await brief.contact_for_mail(cora["id"]))["name"] == "Cora Renamed"


async def test_a_run_of_mails_to_one_requester_asks_contracts_once(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = demo_contacts["ana@acme-water.example"]
    counting = Counting(contracts_transport)
    async with (
        live_notify(smtp_port=port, contracts_transport=counting) as app,
        asgi_client(app) as client,
    ):
        for n in range(3):
            event = ticket_event(
                number=f"CS-00030{n}", contact_id=ana["id"], customer_id=ana["customer_id"]
            )
            assert (await post_event(client, notify_minter, event)).status_code == 202
        await drain(app.state.delivery_worker, notify_engine)

    assert sorted(m["Subject"][:11] for m in inbox.messages) == [
        "[CS-000300]",
        "[CS-000301]",
        "[CS-000302]",
    ]
    assert [m["To"] for m in inbox.messages] == ["ana@acme-water.example"] * 3
    assert counting.paths.count(f"/v1/contacts/{ana['id']}") == 1
