"""Two tenants with data in every service, and every kind of caller, for the tenancy suite.

The three services run in-process over their own committed databases (fresh per test
process), wired to each other the way a deployment wires them (tickets and notify ask
contracts over HTTP, every piece verifies contracts' tokens), and the gateway runs over them.
Everything is created through the services' real APIs, once per test process: the tests
only read the world (or write where the matrix itself is the point).

Tenant A is Borealis Health (its administrator ``bo``, its contact ``ben``); tenant B is
Acme Water (``ana``). The callers are every principal kind of ``careplane_shared.auth``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from careplane_shared.testing import asgi_client, bearer, password_token
from careplane_shared.testing.pieces import CONTRACTS, GATEWAY, NOTIFY, TICKETS
from careplane_shared.testing.plugin import ProvisionDatabase
from careplane_shared.testing.service import verifier_of

# Only the in-process transports answer these names; they never reach a network.
CONTRACTS_URL = "http://contracts.internal"
TICKETS_URL = "http://tickets.internal"
NOTIFY_URL = "http://notify.internal"
# Small pools: three apps share the test server with the rest of the suite.
# Small pools that keep few idle connections: the world lives as long as the test process.
POOL = {"database_pool_size": 2, "database_max_overflow": 6}

TENANT_A = "Borealis Health"
TENANT_B = "Acme Water"
ALL_SCOPES = [
    "tickets:write",
    "contracts:write",
    "notify:write",
    "inbound:write",
]

# The principal kinds the matrix runs as; the first three act for tenant A's customer.
CUSTOMER_SIDE = ("customer_admin_a", "contact_a", "bound_key_a")
VENDOR_SIDE = ("admin", "manager", "agent", "vendor_key", "vendor_key_no_scopes", "service")
PRINCIPALS = CUSTOMER_SIDE + VENDOR_SIDE


@dataclass
class Tenant:
    """One customer's records, by the name the API gives their ids."""

    name: str
    customer_id: str = ""
    ids: dict[str, list[str]] = field(default_factory=dict)
    # Strings only this tenant's data contains (ids, emails, names, subjects).
    markers: set[str] = field(default_factory=set)
    # What only staff may read of this tenant's data (internal notes).
    staff_only: set[str] = field(default_factory=set)

    def add(self, kind: str, value: Any, *, marker: bool = True) -> str:
        text = str(value)
        self.ids.setdefault(kind, []).append(text)
        if marker:
            self.markers.add(text)
        return text

    def first(self, kind: str) -> str:
        return self.ids[kind][0]


@dataclass
class World:
    clients: dict[str, httpx.AsyncClient]  # by service: tickets, contracts, notify, gateway
    apps: dict[str, Any]
    headers: dict[str, dict[str, str]]  # by principal
    a: Tenant
    b: Tenant
    shared: dict[str, str]  # ids every tenant may see (product, plan, staff, ...)
    setup_failures: list[str]  # building steps that did not work (the tests fail on them)

    def tenant(self, which: str) -> Tenant:
        return self.a if which == "A" else self.b


class Steps:
    """Records the building steps that failed instead of stopping at the first one: the
    matrix still runs over whatever was built, and the tests fail on the list."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        try:
            yield
        except (AssertionError, KeyError, IndexError, TypeError, ValueError, httpx.HTTPError) as e:
            self.failed.append(f"{label}: {type(e).__name__}: {str(e)[:300]}")


def _unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


async def _ok(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in (expected or (200, 201)), (
        f"{response.request.method} {response.request.url}: "
        f"{response.status_code} {response.text[:500]}"
    )
    return response.json() if response.content else None


async def build_world(
    stack: AsyncExitStack,
    provision: ProvisionDatabase,
    tmp: Path,
    name: str = "tenancy",
    **contracts_overrides: Any,
) -> World:
    """``name`` names its databases (fresh ones: a world never meets another's data);
    ``contracts_overrides`` go into contracts' settings."""
    from contracts.seed import seed_demo
    from contracts.testing import settings_for_tests

    # One at a time: the migrations of two services must not share a moment.
    contracts_url = await provision(f"{name}_contracts", CONTRACTS.service_dir)
    tickets_url = await provision(f"{name}_tickets", TICKETS.service_dir)
    notify_url = await provision(f"{name}_notify", NOTIFY.service_dir)
    engine = create_async_engine(contracts_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await seed_demo(session)
            await session.commit()
    finally:
        await engine.dispose()

    contracts_settings = settings_for_tests(
        contracts_url, tmp / "keys", log_level="WARNING", **{**POOL, **contracts_overrides}
    )
    contracts_app = await stack.enter_async_context(CONTRACTS.app(contracts_settings))
    contracts_transport = httpx.ASGITransport(app=contracts_app)

    wiring = {
        "log_level": "WARNING",
        "http_retries": 0,
        "contracts_url": CONTRACTS_URL,
        "token_url": f"{CONTRACTS_URL}/auth/token",
        **POOL,
    }
    tickets_app = await stack.enter_async_context(
        TICKETS.app(
            TICKETS.settings(
                tickets_url, outbox_targets={}, attachments_dir=tmp / "attachments", **wiring
            ),
            token_verifier=verifier_of(contracts_app),
            contracts_transport=contracts_transport,
        )
    )
    tickets_transport = httpx.ASGITransport(app=tickets_app)

    notify_app = await stack.enter_async_context(
        NOTIFY.app(
            NOTIFY.settings(
                notify_url,
                tickets_url=TICKETS_URL,
                allow_private_targets=True,
                delivery_jitter=0.0,
                **wiring,
            ),
            token_verifier=verifier_of(contracts_app),
            contracts_transport=contracts_transport,
            tickets_transport=tickets_transport,
        )
    )
    notify_transport = httpx.ASGITransport(app=notify_app)

    gateway_app = await stack.enter_async_context(
        GATEWAY.app(
            GATEWAY.settings(
                log_level="WARNING",
                contracts_url=CONTRACTS_URL,
                tickets_url=TICKETS_URL,
                notify_url=NOTIFY_URL,
            ),
            transports={
                "contracts": contracts_transport,
                "tickets": tickets_transport,
                "notify": notify_transport,
            },
        )
    )

    clients: dict[str, httpx.AsyncClient] = {}
    timeout = httpx.Timeout(30.0)
    for name, app in (
        ("contracts", contracts_app),
        ("tickets", tickets_app),
        ("notify", notify_app),
        ("gateway", gateway_app),
    ):
        clients[name] = await stack.enter_async_context(
            asgi_client(app, base_url=f"http://{name}.test", timeout=timeout)
        )
    contracts = clients["contracts"]

    # -- people: the demo accounts sign in for real ------------------------------------------
    emails = {
        "admin": "admin@example.com",
        "manager": "manager@example.com",
        "agent": "agent@example.com",
        "customer_admin_a": "bo@borealis.example",
        "contact_a": "ben@borealis.example",
        "customer_admin_b": "ana@acme-water.example",
    }
    tokens = await asyncio.gather(*(password_token(contracts, e) for e in emails.values()))
    headers = {who: bearer(t) for who, t in zip(emails, tokens, strict=True)}
    admin = headers["admin"]

    a, b = Tenant(TENANT_A), Tenant(TENANT_B)
    shared: dict[str, str] = {}
    customers = await _ok(await contracts.get("/v1/customers?limit=100", headers=admin))
    for customer in customers["items"]:
        for tenant in (a, b):
            if customer["name"] == tenant.name:
                tenant.customer_id = tenant.add("customer", customer["id"])
                tenant.markers.add(customer["name"])
                if customer.get("external_id"):
                    tenant.add("external_id", customer["external_id"])
    for tenant in (a, b):
        contacts = await _ok(
            await contracts.get(f"/v1/customers/{tenant.customer_id}/contacts", headers=admin)
        )
        for contact in contacts["items"]:
            tenant.add("signed_in_contact", contact["id"])
            tenant.markers.update({contact["email"], contact["name"]})
    products = await _ok(await contracts.get("/v1/products", headers=admin))
    shared["product"] = products[0]["id"]
    lifecycle = await _ok(
        await contracts.get(f"/v1/products/{shared['product']}/lifecycle", headers=admin)
    )
    # The newest major in mainstream support, and its newest release: what cases are opened on.
    current = [m for m in lifecycle if m["phase"] == "MAINSTREAM" and m["releases"]] or lifecycle
    shared["major"] = str(current[-1]["major"])
    shared["version"] = current[-1]["releases"][-1]["version"]
    plans = await _ok(await contracts.get("/v1/plans", headers=admin))
    shared["plan"] = plans[0]["id"]
    staff = await _ok(await contracts.get("/v1/staff-users", headers=admin))
    shared["staff"] = next(s["id"] for s in staff["items"] if s["role"] == "AGENT")
    centers = await _ok(await contracts.get("/v1/support-centers", headers=admin))
    shared["support_center_id"] = centers[0]["id"]
    idea = await _ok(
        await clients["tickets"].post(
            "/v1/ideas",
            json={"title": "A shared idea", "description": "Every customer may read it."},
            headers=admin,
        ),
        201,
    )
    shared["idea"] = idea["id"]
    shared["support_center_code"] = centers[0]["code"]
    shared["mailbox"] = "no-such-message.eml"
    shared["invitation_token"] = "no-such-invitation-token-0000"
    shared["quarantine"] = "00000000-0000-4000-8000-00000000a11d"  # staff-only: none held

    # -- keys: a customer-bound key of A (all scopes), the vendor's own keys, a service ------
    async def key_token(body: dict[str, Any], by: dict[str, str]) -> tuple[str, dict[str, str]]:
        created = await _ok(await contracts.post("/v1/api-keys", json=body, headers=by), 201)
        token = await _ok(
            await contracts.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": created["client_id"],
                    "client_secret": created["client_secret"],
                },
            )
        )
        return created["id"], bearer(token["access_token"])

    _, headers["bound_key_a"] = await key_token(
        {"name": "A's CRM", "scopes": ALL_SCOPES, "customer_id": a.customer_id}, admin
    )
    _, headers["vendor_key"] = await key_token({"name": "vendor CRM", "scopes": ALL_SCOPES}, admin)
    _, headers["vendor_key_no_scopes"] = await key_token({"name": "vendor reader"}, admin)
    client_id, secret = next(iter(contracts_settings.service_clients.items()))
    service = await _ok(
        await contracts.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
    )
    headers["service"] = bearer(service["access_token"])

    # -- per tenant, through the APIs as the tenant's own administrator or staff -------------
    step = Steps()
    with step("a published knowledge article"):
        await _knowledge_article(clients["tickets"], admin, shared)
    for tenant, own_admin in ((a, headers["customer_admin_a"]), (b, headers["customer_admin_b"])):
        await _populate(clients, tenant, own_admin, admin, headers["service"], shared, step)
    with step("an announcement"):
        await _announce(clients["notify"], headers["service"], shared)
    with step("an on-call shift"):
        shift = await _ok(
            await clients["tickets"].post(
                "/v1/oncall-shifts",
                json={
                    "support_center": shared["support_center_code"],
                    "staff_email": "agent@example.com",
                    "starts_at": datetime.now(UTC).isoformat(),
                    "ends_at": (datetime.now(UTC) + timedelta(hours=8)).isoformat(),
                },
                headers=admin,
            ),
            201,
        )
        shared["oncall_shift"] = shift["id"]
    for tenant in (a, b):
        tenant.markers.discard("")
    return World(
        clients=clients,
        apps={
            "contracts": contracts_app,
            "tickets": tickets_app,
            "notify": notify_app,
            "gateway": gateway_app,
        },
        headers=headers,
        a=a,
        b=b,
        shared=shared,
        setup_failures=step.failed,
    )


async def _populate(
    clients: dict[str, httpx.AsyncClient],
    tenant: Tenant,
    own_admin: dict[str, str],
    admin: dict[str, str],
    service: dict[str, str],
    shared: dict[str, str],
    step: Steps,
) -> None:
    contracts, tickets_client, notify_client = (
        clients["contracts"],
        clients["tickets"],
        clients["notify"],
    )
    customer = tenant.customer_id
    tag = tenant.name.split()[0].lower()
    now = datetime.now(UTC)

    # Contacts no test signs in as (writes on them hurt no caller): one registered by staff
    # (active at once: it can watch cases), one invited by the customer's administrator.
    for label, by in (("registered", admin), ("invited", own_admin)):
        with step(f"{tag}: a contact {label}"):
            email = f"{_unique(tag)}@{tag}.example"
            contact = await _ok(
                await contracts.post(
                    f"/v1/customers/{customer}/contacts",
                    json={"email": email, "name": _unique(f"{tag} person")},
                    headers=by,
                ),
                201,
            )
            tenant.add("contact", contact["id"])
            tenant.markers.update({email, contact["name"]})
    if "contact" not in tenant.ids:  # the rest still needs one of the tenant's contacts
        tenant.ids["contact"] = [tenant.first("signed_in_contact")]
    with step(f"{tag}: an external id"):
        if "external_id" not in tenant.ids:
            external = _unique(f"ext-{tag}")
            await _ok(
                await contracts.patch(
                    f"/v1/customers/{customer}", json={"external_id": external}, headers=admin
                )
            )
            tenant.add("external_id", external)
    with step(f"{tag}: agreements"):
        agreements = await _ok(
            await contracts.get(f"/v1/agreements?customer_id={customer}", headers=admin)
        )
        for agreement in agreements["items"]:
            tenant.add("agreement", agreement["id"])
        assert tenant.ids.get("agreement"), "no agreement"
    with step(f"{tag}: an API key of the customer"):
        key = await _ok(
            await contracts.post(
                "/v1/api-keys",
                json={"name": _unique(f"{tag} key"), "customer_id": customer},
                headers=own_admin,
            ),
            201,
        )
        tenant.add("api_key", key["id"])
        tenant.markers.add(key["client_id"])
    with step(f"{tag}: a license key"):
        license_key = await _ok(
            await contracts.post(
                "/v1/license-keys",
                json={
                    "customer_id": customer,
                    "product_id": shared["product"],
                    "major_version": int(shared["major"]),
                },
                headers=admin,
            ),
            201,
        )
        tenant.add("license_key", license_key["id"])
    with step(f"{tag}: a billable item"):
        item = await _ok(
            await contracts.post(
                "/v1/billable-items",
                json={
                    "customer_id": customer,
                    "kind": "other_support",
                    "minutes": 30,
                    "occurred_at": now.isoformat(),
                    "description": _unique(f"{tag} billable"),
                },
                headers=admin,
            ),
            201,
        )
        tenant.add("billable_item", item["id"])

    for _ in range(2):
        with step(f"{tag}: a case with conversation and an attachment"):
            subject = _unique(f"{tag} subject")
            ticket = await _ok(
                await tickets_client.post(
                    "/v1/tickets",
                    json={
                        "product_id": shared["product"],
                        "version": shared["version"],
                        "subject": subject,
                        "description": _unique(f"{tag} description"),
                    },
                    headers=own_admin,
                ),
                201,
            )
            ticket_id = tenant.add("ticket", ticket["id"])
            tenant.add("number", ticket["number"])
            tenant.markers.add(subject)
            for body, internal in (
                (_unique(f"{tag} reply"), False),
                (_unique(f"{tag} note"), True),
            ):
                message = await _ok(
                    await tickets_client.post(
                        f"/v1/tickets/{ticket_id}/messages",
                        json={"body": body, "internal": internal},
                        headers=admin if internal else own_admin,
                    ),
                    201,
                )
                tenant.add("message", message["id"])
                tenant.markers.add(body)
                if internal:
                    tenant.staff_only.add(body)
            filename = f"{_unique(tag)}.txt"
            attachment = await _ok(
                await tickets_client.post(
                    f"/v1/tickets/{ticket_id}/attachments",
                    params={"filename": filename},
                    content=b"tenant data " + tag.encode(),
                    headers={**own_admin, "content-type": "text/plain"},
                ),
                201,
            )
            tenant.add("attachment", attachment["id"])
            tenant.markers.add(filename)
    await _escalate(tickets_client, tenant, tag, own_admin, admin, step)

    with step(f"{tag}: a knowledge suggestion and a knowledge link"):
        subject = _unique(f"{tag} suggestion subject")
        suggestion = await _ok(
            await tickets_client.post(
                "/v1/knowledge/suggestions",
                json={"subject": subject, "description": "tenancy knowledge probe"},
                headers=own_admin,
            )
        )
        tenant.add("suggestion", suggestion["suggestion_id"])
        tenant.markers.add(subject)
        await _ok(
            await tickets_client.post(
                f"/v1/tickets/{tenant.first('ticket')}/knowledge-links",
                json={"article_id": shared["article"]},
                headers=admin,
            ),
            201,
        )

    with step(f"{tag}: a time entry"):
        entry = await _ok(
            await tickets_client.post(
                f"/v1/tickets/{tenant.first('ticket')}/time-entries",
                json={"minutes": 20, "activity": "investigation", "note": _unique(f"{tag} time")},
                headers=admin,
            ),
            201,
        )
        tenant.add("time_entry", entry["id"])

    with step(f"{tag}: a scheduled visit"):
        # Every tenant needs one: the plans of this world include scheduled visits.
        held = await _ok(
            await contracts.get(f"/v1/agreements?customer_id={customer}", headers=admin)
        )
        for plan_id in {a["plan_id"] for a in held["items"]}:
            plan = await _ok(await contracts.get(f"/v1/plans/{plan_id}", headers=admin))
            if "scheduled_visits" not in plan["services"]:
                await _ok(
                    await contracts.patch(
                        f"/v1/plans/{plan_id}",
                        json={"services": [*plan["services"], "scheduled_visits"]},
                        headers=admin,
                    )
                )
        visit = await _ok(
            await tickets_client.post(
                "/v1/visits",
                json={
                    "starts_at": (now + timedelta(days=5)).isoformat(),
                    "ends_at": (now + timedelta(days=5, hours=3)).isoformat(),
                    "purpose": _unique(f"{tag} visit"),
                },
                headers=own_admin,
            ),
            201,
        )
        tenant.add("visit", visit["id"])
        tenant.markers.add(visit["purpose"])
    with step(f"{tag}: a webhook endpoint"):
        endpoint = await _ok(
            await notify_client.post(
                "/v1/webhook-endpoints",
                json={
                    "url": f"http://127.0.0.1:9/{_unique(tag)}",
                    "event_types": ["*"],
                    "description": _unique(f"{tag} endpoint"),
                },
                headers=own_admin,
            ),
            201,
        )
        tenant.add("endpoint", endpoint["id"])
        tenant.markers.update({endpoint["url"], endpoint["description"]})
    with step(f"{tag}: a chat channel"):
        channel = await _ok(
            await notify_client.post(
                "/v1/chat-channels",
                json={
                    "kind": "slack",
                    "name": _unique(f"{tag} channel"),
                    "webhook_url": f"http://127.0.0.1:9/{_unique(tag)}",
                    "event_types": ["*"],
                    "customer_id": customer,
                },
                headers=admin,
            ),
            201,
        )
        tenant.add("channel", channel["id"])
        tenant.markers.add(channel["name"])
    with step(f"{tag}: a maintenance window for this customer alone"):
        window = await _ok(
            await notify_client.post(
                "/v1/maintenance-windows",
                json={
                    "title": _unique(f"{tag} window"),
                    "description": _unique(f"{tag} maintenance"),
                    "starts_at": (now + timedelta(days=3)).isoformat(),
                    "ends_at": (now + timedelta(days=3, hours=2)).isoformat(),
                    "customer_ids": [customer],
                },
                headers=admin,
            ),
            201,
        )
        tenant.add("window", window["id"])
        tenant.markers.update({window["title"], window["description"]})
    with step(f"{tag}: mail preferences"):
        await _ok(
            await notify_client.put(
                f"/v1/contacts/{tenant.first('contact')}/preferences",
                json={"opted_out": ["surveys"]},
                headers=own_admin,
            )
        )
    with step(f"{tag}: a case watcher"):
        await _ok(
            await notify_client.post(
                f"/v1/tickets/{tenant.first('ticket')}/watchers",
                json={"contact_id": tenant.first("contact")},
                headers=own_admin,
            ),
            200,
            201,
        )
    with step(f"{tag}: deliveries of the customer's events"):
        await _ok(
            await notify_client.post(
                "/v1/events",
                json={
                    "id": _unique(f"{tag}-event"),
                    "source": "tickets",
                    "type": "ticket.opened",
                    "data": {
                        "ticket_id": tenant.first("ticket"),
                        "number": tenant.first("number"),
                        "customer_id": customer,
                        "subject": tenant.markers and _unique(f"{tag} event subject"),
                    },
                },
                headers=service,
            ),
            200,
            201,
            202,
        )
        deliveries = await _ok(
            await notify_client.get(f"/v1/deliveries?customer_id={customer}", headers=admin)
        )
        for delivery in deliveries["items"]:
            tenant.add("delivery", delivery["id"])
        assert tenant.ids.get("delivery"), "no deliveries"


async def _knowledge_article(
    tickets_client: httpx.AsyncClient, admin: dict[str, str], shared: dict[str, str]
) -> None:
    """A published public article: every customer may read it (shared)."""
    article = await _ok(
        await tickets_client.post(
            "/v1/knowledge/articles",
            json={
                "slug": _unique("tenancy-article"),
                "language": "en",
                "title": "Tenancy knowledge probe",
                "body": "Every customer may read this tenancy knowledge probe.",
            },
            headers=admin,
        ),
        201,
    )
    await _ok(
        await tickets_client.post(f"/v1/knowledge/articles/{article['id']}/publish", headers=admin)
    )
    shared["article"] = article["id"]


async def _escalate(
    tickets_client: httpx.AsyncClient,
    tenant: Tenant,
    tag: str,
    own_admin: dict[str, str],
    admin: dict[str, str],
    step: Steps,
) -> None:
    """On the tenant's second case: the customer's escalation, staff's internal one to a
    team (its reason, team and a contact attempt's note are staff-only), and, where the
    plan has more than one priority, a change request."""
    case = f"/v1/tickets/{tenant.ids['ticket'][-1]}"
    with step(f"{tag}: escalations and a contact attempt"):
        reason = _unique(f"{tag} escalation")
        await _ok(
            await tickets_client.post(
                f"{case}/escalations",
                json={"kind": "CUSTOMER", "reason": reason},
                headers=own_admin,
            )
        )
        tenant.markers.add(reason)
        secret, team = _unique(f"{tag} internal reason"), _unique(f"{tag}-team")
        await _ok(
            await tickets_client.post(
                f"{case}/escalations",
                json={"kind": "INTERNAL", "reason": secret, "team": team},
                headers=admin,
            )
        )
        note = _unique(f"{tag} attempt note")
        await _ok(
            await tickets_client.post(
                f"{case}/contact-attempts",
                json={"channel": "EMAIL", "outcome": "NO_ANSWER", "note": note},
                headers=admin,
            ),
            201,
        )
        tenant.markers.update({secret, team, note})
        tenant.staff_only.update({secret, team, note})
    if tag == "acme":  # InfoCare: LOW / NORMAL / HIGH (Borealis' plan has NORMAL only)
        with step(f"{tag}: a change request"):
            motivation = _unique(f"{tag} motivation")
            await _ok(
                await tickets_client.post(
                    f"{case}/change-requests",
                    json={"priority": "HIGH", "motivation": motivation},
                    headers=own_admin,
                ),
                201,
            )
            tenant.markers.add(motivation)


async def _announce(
    notify_client: httpx.AsyncClient, service: dict[str, str], shared: dict[str, str]
) -> None:
    """A product announcement (every customer of the product may read it: shared)."""
    eol = (datetime.now(UTC) + timedelta(days=900)).date().isoformat()
    await _ok(
        await notify_client.post(
            "/v1/events",
            json={
                "id": _unique("lifecycle-event"),
                "source": "contracts",
                "type": "lifecycle.milestones_changed",
                "data": {
                    "product_id": shared["product"],
                    "major": int(shared["major"]),
                    "before": {},
                    "after": {"EOL": eol},
                },
            },
            headers=service,
        ),
        200,
        201,
        202,
    )
    announcements = await _ok(await notify_client.get("/v1/announcements", headers=service))
    shared["announcement"] = announcements["items"][0]["id"]
