"""Attachments on S3-compatible object storage (AWS S3, MinIO, Ceph, ...), through aiobotocore.

Uploads stream: the body is cut into parts of ``part_size`` (at least 5 MiB, S3's minimum for
every part but the last) and sent as a multipart upload while its SHA-256 is computed; a body
that ends before filling one part goes up as a single ``put_object``. An upload that fails,
passes the size limit or is cancelled has its multipart upload aborted, so nothing is stored.
Downloads stream ``get_object``'s body."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import structlog
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from tickets.attachments.storage import Stored, TooLarge
from tickets.config import TicketsSettings

log = structlog.get_logger(__name__)

MIN_PART_SIZE = 5 * 1024 * 1024


class S3Storage:
    """Objects in one bucket, named ``<prefix><random hex>``. The storage key kept in the
    database is the whole object key."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        part_size: int = MIN_PART_SIZE,
        chunk_size: int = 256 * 1024,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self.chunk_size = chunk_size

    def _key(self, key: str) -> str:
        if not key.startswith(self.prefix) or len(key) == len(self.prefix):
            raise ValueError("bad storage key")
        return key

    async def save(self, chunks: AsyncIterator[bytes], max_bytes: int) -> Stored:
        key = f"{self.prefix}{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        size = 0
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                buffer += chunk
                while len(buffer) >= self.part_size:
                    if upload_id is None:
                        created = await self.client.create_multipart_upload(
                            Bucket=self.bucket, Key=key
                        )
                        upload_id = created["UploadId"]
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    parts.append(await self._upload_part(key, upload_id, len(parts) + 1, part))
            if upload_id is None:
                await self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(buffer))
            else:
                if buffer:
                    parts.append(
                        await self._upload_part(key, upload_id, len(parts) + 1, bytes(buffer))
                    )
                await self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                await self._abort(key, upload_id)
            raise
        return Stored(key, size, digest.hexdigest())

    async def _upload_part(
        self, key: str, upload_id: str, number: int, body: bytes
    ) -> dict[str, Any]:
        response = await self.client.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"PartNumber": number, "ETag": response["ETag"]}

    async def _abort(self, key: str, upload_id: str) -> None:
        # Shielded: a cancelled request (client gone) must still leave nothing behind.
        with anyio.CancelScope(shield=True):
            try:
                await self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id
                )
            except Exception:
                log.exception("attachment_abort_failed", key=key, upload_id=upload_id)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        response = await self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        async with response["Body"] as body:
            async for chunk in body.iter_chunks(self.chunk_size):
                yield chunk

    async def delete(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


@asynccontextmanager
async def s3_storage(settings: TicketsSettings) -> AsyncIterator[S3Storage]:
    """One S3 client for the app's lifetime, closed when the app stops."""
    config = AioConfig(
        s3={"addressing_style": settings.s3_addressing_style},
        # Many S3-compatible servers do not know the newer default checksums.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    async with get_session().create_client(
        "s3",
        region_name=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url or None,
        # Unset keys fall back to botocore's usual chain (AWS_* variables, instance role),
        # in dev only: outside dev the settings refuse to start without them.
        aws_access_key_id=settings.s3_access_key_id or None,
        aws_secret_access_key=settings.s3_secret_access_key or None,
        config=config,
    ) as client:
        yield S3Storage(
            client, settings.s3_bucket, settings.s3_prefix, part_size=settings.s3_part_size
        )
