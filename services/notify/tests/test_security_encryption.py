"""Secrets at rest: webhook secrets and chat webhook URLs are ciphertext in the database (read
raw with SQL), deliveries still sign and reach their targets (verified by `standardwebhooks`,
not our code), and a key rotation with the real `python -m notify.rotate_keys` process keeps
old and pre-encryption rows working and rewrites them under the new key."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

import pytest
from cryptography.fernet import Fernet
from notify_testkit import drain, post_event, staff, ticket_event
from pydantic import ValidationError
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from careplane_shared.testing import asgi_client
from notify.config import NotifySettings
from notify.encryption import SEALED_PREFIX, SecretUnreadable
from notify.webhooks.signing import new_secret


def fernet_open(key: str, stored: str) -> str:
    assert stored.startswith(SEALED_PREFIX), stored
    return Fernet(key.encode()).decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()


async def raw_rows(engine) -> tuple[dict, dict]:
    async with engine.connect() as c:
        endpoints = {
            str(r.id): (r.secret, r.previous_secret, r.updated_at)
            for r in await c.execute(
                text("SELECT id, secret, previous_secret, updated_at FROM webhook_endpoints")
            )
        }
        channels = {
            str(r.id): r.webhook_url
            for r in await c.execute(text("SELECT id, webhook_url FROM chat_channels"))
        }
    return endpoints, channels


async def test_the_database_holds_ciphertext_and_deliveries_still_verify(
    live_notify, receiver, notify_minter, notify_engine
):
    target, url = receiver
    key = Fernet.generate_key().decode()
    async with live_notify(encryption_keys=[key]) as app, asgi_client(app) as client:
        made = await client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{url}/hooks/crm", "event_types": ["ticket.opened"]},
            headers=staff(notify_minter),
        )
        assert made.status_code == 201, made.text
        endpoint = made.json()
        chat = await client.post(
            "/v1/chat-channels",
            json={
                "kind": "slack",
                "name": "#support",
                "webhook_url": f"{url}/slack?token=s3cr3t-path",
                "event_types": ["ticket.opened"],
            },
            headers=staff(notify_minter),
        )
        assert chat.status_code == 201, chat.text
        assert "webhook_url" not in chat.json()

        endpoints, channels = await raw_rows(notify_engine)
        stored_secret, previous, _ = endpoints[endpoint["id"]]
        assert stored_secret.startswith(SEALED_PREFIX) and previous is None
        assert endpoint["secret"] not in stored_secret and "whsec_" not in stored_secret
        assert fernet_open(key, stored_secret) == endpoint["secret"]
        stored_url = channels[chat.json()["id"]]
        assert "s3cr3t-path" not in stored_url and url not in stored_url
        assert fernet_open(key, stored_url) == f"{url}/slack?token=s3cr3t-path"

        # Reading the endpoint never shows the secret.
        read = await client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}", headers=staff(notify_minter)
        )
        assert "secret" not in read.json()

        event = ticket_event()
        assert (await post_event(client, notify_minter, event)).status_code == 202
        assert await drain(app.state.delivery_worker, notify_engine) == 2

        # A rotation keeps both secrets sealed and signs with both during the overlap.
        rotated = await client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=staff(notify_minter)
        )
        assert rotated.status_code == 200, rotated.text
        endpoints, _ = await raw_rows(notify_engine)
        new_stored, old_stored, _ = endpoints[endpoint["id"]]
        assert fernet_open(key, new_stored) == rotated.json()["secret"]
        assert fernet_open(key, old_stored) == endpoint["secret"]
        second = ticket_event()
        await post_event(client, notify_minter, second)
        await drain(app.state.delivery_worker, notify_engine)

    hooks = [r for r in target.requests if r["path"] == "/hooks/crm"]
    assert [r["headers"]["webhook-id"] for r in hooks] == [event["id"], second["id"]]
    assert Webhook(endpoint["secret"]).verify(hooks[0]["body"], hooks[0]["headers"])
    for secret in (endpoint["secret"], rotated.json()["secret"]):
        assert Webhook(secret).verify(hooks[1]["body"], hooks[1]["headers"])
    slack = [r for r in target.requests if r["path"] == "/slack"]
    assert len(slack) == 2 and all(r["query"] == {"token": "s3cr3t-path"} for r in slack)


async def rotate_keys_process(db_url: str, keys: list[str]) -> tuple[int, str]:
    """``python -m notify.rotate_keys`` as a real process, configured like a deployment."""
    env = {
        **os.environ,
        "NOTIFY_ENV": "test",
        "NOTIFY_DATABASE_URL": db_url,
        "NOTIFY_ENCRYPTION_KEYS": json.dumps(keys),
        "NOTIFY_LOG_JSON": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "notify.rotate_keys",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_key_rotation_keeps_old_and_plaintext_rows_readable_and_rewrites_them(
    live_notify, receiver, notify_minter, notify_engine, notify_database
):
    target, url = receiver
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    # Before: one endpoint and one chat channel sealed with the old key...
    async with live_notify(encryption_keys=[old_key]) as app, asgi_client(app) as client:
        sealed = (
            await client.post(
                "/v1/webhook-endpoints",
                json={"url": f"{url}/sealed", "event_types": ["ticket.opened"]},
                headers=staff(notify_minter),
            )
        ).json()
        chat = await client.post(
            "/v1/chat-channels",
            json={
                "kind": "mattermost",
                "name": "town-square",
                "webhook_url": f"{url}/mm-sealed",
                "event_types": ["ticket.opened"],
            },
            headers=staff(notify_minter),
        )
        assert chat.status_code == 201
    # ...and one of each as written before encryption existed (plaintext).
    legacy_secret, legacy_id, legacy_chat = new_secret(), uuid.uuid4(), uuid.uuid4()
    async with notify_engine.begin() as c:
        await c.execute(
            text(
                "INSERT INTO webhook_endpoints (id, url, event_types, secret, created_by) "
                "VALUES (:id, :url, ARRAY['ticket.opened'], :secret, 'legacy')"
            ),
            {"id": legacy_id, "url": f"{url}/legacy", "secret": legacy_secret},
        )
        await c.execute(
            text(
                "INSERT INTO chat_channels (id, kind, name, webhook_url, event_types) "
                "VALUES (:id, 'mattermost', 'legacy', :url, ARRAY['ticket.opened'])"
            ),
            {"id": legacy_chat, "url": f"{url}/mm-legacy"},
        )
    before, _ = await raw_rows(notify_engine)

    # During: the new key first, the old one after it; everything still delivers.
    first = ticket_event()
    async with (
        live_notify(encryption_keys=[new_key, old_key]) as app,
        asgi_client(app) as client,
    ):
        await post_event(client, notify_minter, first)
        assert await drain(app.state.delivery_worker, notify_engine) == 4

    # A key that opens none of the rows: the command says so and changes nothing.
    stranger = Fernet.generate_key().decode()
    code, output = await rotate_keys_process(notify_database.url, [stranger])
    assert code == 1 and "resealed: 0 webhook endpoints, 0 chat channels; unreadable: 2" in output
    assert (await raw_rows(notify_engine))[0] == before

    code, output = await rotate_keys_process(notify_database.url, [new_key, old_key])
    assert code == 0, output
    assert "resealed: 2 webhook endpoints, 2 chat channels; unreadable: 0" in output

    endpoints, channels = await raw_rows(notify_engine)
    assert fernet_open(new_key, endpoints[sealed["id"]][0]) == sealed["secret"]
    assert fernet_open(new_key, endpoints[str(legacy_id)][0]) == legacy_secret
    # Nothing else of the rows changed.
    assert {i: e[2] for i, e in endpoints.items()} == {i: e[2] for i, e in before.items()}
    assert fernet_open(new_key, channels[chat.json()["id"]]) == f"{url}/mm-sealed"
    assert fernet_open(new_key, channels[str(legacy_chat)]) == f"{url}/mm-legacy"
    # Run again: nothing left to do.
    code, output = await rotate_keys_process(notify_database.url, [new_key, old_key])
    assert "resealed: 0 webhook endpoints, 0 chat channels" in output

    # After: the old key removed; everything still delivers and verifies.
    second = ticket_event()
    async with live_notify(encryption_keys=[new_key]) as app, asgi_client(app) as client:
        await post_event(client, notify_minter, second)
        assert await drain(app.state.delivery_worker, notify_engine) == 4

    for event in (first, second):
        for path, secret in (("/sealed", sealed["secret"]), ("/legacy", legacy_secret)):
            [request] = [
                r
                for r in target.requests
                if r["path"] == path and r["headers"]["webhook-id"] == event["id"]
            ]
            assert Webhook(secret).verify(request["body"], request["headers"])
    assert sorted(r["path"] for r in target.requests if r["path"].startswith("/mm-")) == [
        "/mm-legacy",
        "/mm-legacy",
        "/mm-sealed",
        "/mm-sealed",
    ]


def test_production_refuses_to_start_without_a_real_key():
    real = Fernet.generate_key().decode()
    base = {"env": "production", "client_secret": "a-real-client-secret-0123456789"}
    with pytest.raises(ValidationError, match="encryption_keys must be set to a real secret"):
        NotifySettings(**base)
    with pytest.raises(ValidationError, match="encryption_keys must be set to a real secret"):
        NotifySettings(**base, encryption_keys=[real, "dev-insecure-notify-encryption"])
    with pytest.raises(ValidationError, match="Fernet key"):
        NotifySettings(**base, encryption_keys=["not-a-key"])
    with pytest.raises(ValidationError):
        NotifySettings(**base, encryption_keys=[])
    settings = NotifySettings(**base, encryption_keys=[real])
    box = settings.secret_box()
    sealed = box.seal("whsec_x")
    assert sealed.startswith(SEALED_PREFIX) and fernet_open(real, sealed) == "whsec_x"
    # The dev profile works without any setup, with a key of its own.
    dev = NotifySettings(env="dev").secret_box()
    assert dev.open(dev.seal("whsec_y")) == "whsec_y"
    with pytest.raises(SecretUnreadable):
        dev.open(sealed)
    # Plaintext from before encryption reads as it is.
    assert box.open("whsec_legacy") == "whsec_legacy"


async def test_a_start_with_workers_seals_plaintext_rows(live_notify, notify_engine, notify_minter):
    key = Fernet.generate_key().decode()
    legacy_secret, legacy_id = new_secret(), uuid.uuid4()
    async with notify_engine.begin() as c:
        await c.execute(
            text(
                "INSERT INTO webhook_endpoints (id, url, event_types, secret, created_by) "
                "VALUES (:id, 'https://crm.example.com/hook', ARRAY['*'], :secret, 'legacy')"
            ),
            {"id": legacy_id, "secret": legacy_secret},
        )
    stored = legacy_secret
    async with live_notify(encryption_keys=[key], run_workers=True):
        for _ in range(100):  # bounded: the background reseal takes milliseconds
            async with notify_engine.connect() as c:
                stored = await c.scalar(
                    text("SELECT secret FROM webhook_endpoints WHERE id = :id"), {"id": legacy_id}
                )
            if stored != legacy_secret:
                break
            await asyncio.sleep(0.1)
    assert fernet_open(key, stored) == legacy_secret
