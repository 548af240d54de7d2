"""Attachments on S3-compatible storage, against a real S3 server (moto) on 127.0.0.1: the
same scenarios as on the local disk, plus the multipart path and its abort."""

from __future__ import annotations

import hashlib
import os

import anyio
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tickets.attachments.s3 import S3Storage
from tickets.attachments.storage import TooLarge
from tickets.config import TicketsSettings
from tickets.models import Attachment

MIB = 1024 * 1024


def _case(ids):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Crash on import",
        "description": "Importing the Riverside model crashes.",
    }


async def _objects(client, bucket):
    listed = await client.list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


async def _pending_uploads(client, bucket):
    return (await client.list_multipart_uploads(Bucket=bucket)).get("Uploads", [])


async def _key(connection, attachment_id):
    return (
        await connection.execute(
            select(Attachment.storage_key).where(Attachment.id == attachment_id)
        )
    ).scalar()


def _chunks(content: bytes, size: int):
    async def chunks():
        for start in range(0, len(content), size):
            yield content[start : start + size]

    return chunks()


async def test_upload_download_and_the_size_limit_on_s3(
    s3_live, login, demo_ids, tickets_connection, s3_client, s3_bucket
):
    ana = await login("ana@acme-water.example")
    cora = await login("cora@cobalt.example")
    ticket = (await s3_live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    base = f"/v1/tickets/{ticket['id']}/attachments"
    content = os.urandom(40_000)

    response = await s3_live.post(
        base,
        params={"filename": "model.inp"},
        content=_chunks(content, 7_000),
        headers={**ana, "content-type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    attachment = response.json()
    assert attachment["size"] == len(content)
    assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
    key = await _key(tickets_connection, attachment["id"])
    assert key.startswith("attachments/") and len(key) > len("attachments/")
    assert await _objects(s3_client, s3_bucket) == [key]

    download = await s3_live.get(f"{base}/{attachment['id']}", headers=ana)
    assert download.status_code == 200 and download.content == content
    assert "model.inp" in download.headers["content-disposition"]
    assert download.headers["x-content-sha256"] == attachment["sha256"]
    assert (await s3_live.get(f"{base}/{attachment['id']}", headers=cora)).status_code == 404

    # Over the limit by Content-Length: refused before anything is read.
    response = await s3_live.post(
        base, params={"filename": "big.bin"}, content=os.urandom(70_000), headers=ana
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "ATTACHMENT_TOO_LARGE"

    # Over the limit while streaming (no Content-Length): refused, and nothing is left behind.
    response = await s3_live.post(
        base, params={"filename": "stream.bin"}, content=_chunks(b"x" * 160_000, 8_000), headers=ana
    )
    assert response.status_code == 413
    assert await _objects(s3_client, s3_bucket) == [key]
    assert await _pending_uploads(s3_client, s3_bucket) == []

    listed = (await s3_live.get(base, headers=ana)).json()
    assert [a["filename"] for a in listed] == ["model.inp"]


async def test_a_file_over_one_part_goes_up_in_parts_and_an_oversized_one_is_aborted(
    s3_live, s3_live_app, login, demo_ids, tickets_connection, s3_client, s3_bucket
):
    settings = s3_live_app.state.settings
    s3_live_app.state.settings = settings.model_copy(update={"attachment_max_bytes": 13 * MIB // 2})
    ana = await login("ana@acme-water.example")
    ticket = (await s3_live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    base = f"/v1/tickets/{ticket['id']}/attachments"

    content = os.urandom(6 * MIB)  # one part of 5 MiB and a last one of 1 MiB
    response = await s3_live.post(
        base, params={"filename": "dump.bin"}, content=_chunks(content, 256 * 1024), headers=ana
    )
    assert response.status_code == 201, response.text
    attachment = response.json()
    assert attachment["size"] == len(content)
    assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
    key = await _key(tickets_connection, attachment["id"])
    head = await s3_client.head_object(Bucket=s3_bucket, Key=key)
    assert head["ContentLength"] == len(content)
    assert head["ETag"].strip('"').endswith("-2")  # a multipart object of two parts

    download = await s3_live.get(f"{base}/{attachment['id']}", headers=ana)
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == attachment["sha256"]

    # Past the limit after the first part went up: the multipart upload is aborted.
    response = await s3_live.post(
        base,
        params={"filename": "too-big.bin"},
        content=_chunks(b"y" * (7 * MIB), 512 * 1024),
        headers=ana,
    )
    assert response.status_code == 413
    assert await _objects(s3_client, s3_bucket) == [key]
    assert await _pending_uploads(s3_client, s3_bucket) == []


async def test_a_failing_stream_leaves_nothing_and_delete_removes_the_object(s3_client, s3_bucket):
    storage = S3Storage(s3_client, s3_bucket, "t/")

    async def broken():
        yield b"z" * (5 * MIB)
        yield b"z" * 1024
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await storage.save(broken(), 10 * MIB)
    with pytest.raises(TooLarge):
        await storage.save(_chunks(b"z" * (6 * MIB), MIB), 5 * MIB + 1)

    # Cancelled once a part is up (the request is torn down): still aborted.
    with anyio.CancelScope() as scope:

        async def hangs():
            yield b"z" * (5 * MIB)
            scope.cancel()
            await anyio.sleep(30)
            yield b"z"

        await storage.save(hangs(), 10 * MIB)
    assert scope.cancelled_caught
    assert await _objects(s3_client, s3_bucket) == []
    assert await _pending_uploads(s3_client, s3_bucket) == []

    stored = await storage.save(_chunks(b"", 1), 10)  # an empty file is a valid attachment
    assert (stored.size, stored.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert b"".join([c async for c in storage.open(stored.key)]) == b""
    await storage.delete(stored.key)
    assert await _objects(s3_client, s3_bucket) == []
    with pytest.raises(ValueError):
        await storage.delete("elsewhere/key")


def test_s3_settings_need_a_bucket_and_real_secrets_outside_dev():
    with pytest.raises(ValidationError, match="s3_bucket"):
        TicketsSettings(env="test", attachment_storage="s3")
    with pytest.raises(ValidationError, match="s3_secret_access_key"):
        TicketsSettings(
            env="production",
            client_secret="a-real-secret",
            attachment_storage="s3",
            s3_bucket="attachments",
        )
    TicketsSettings(
        env="production",
        client_secret="a-real-secret",
        attachment_storage="s3",
        s3_bucket="attachments",
        s3_access_key_id="AKIA...",
        s3_secret_access_key="a-real-secret",
        inbound_reply_secret="a-real-secret",
    )
    # Local storage asks nothing of the S3 settings.
    TicketsSettings(
        env="production", client_secret="a-real-secret", inbound_reply_secret="a-real-secret"
    )
