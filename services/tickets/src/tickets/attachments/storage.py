"""Where attachment bytes live. Local disk by default; another backend (S3-compatible)
implements the same three methods."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class TooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Stored:
    key: str
    size: int
    sha256: str


class AttachmentStorage(Protocol):
    async def save(self, chunks: AsyncIterator[bytes], max_bytes: int) -> Stored: ...

    def open(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under one folder, named by a random key; written to a temporary name first
    and renamed only when complete, so a half upload is never visible."""

    def __init__(self, root: Path, chunk_size: int = 256 * 1024) -> None:
        self.root = root
        self.chunk_size = chunk_size

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    async def save(self, chunks: AsyncIterator[bytes], max_bytes: int) -> Stored:
        key = uuid.uuid4().hex
        final = self._path(key)
        await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
        partial = final.with_suffix(".partial")
        digest = hashlib.sha256()
        size = 0
        handle = await asyncio.to_thread(partial.open, "wb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, partial, final)
        except BaseException:
            handle.close()
            partial.unlink(missing_ok=True)
            raise
        return Stored(key, size, digest.hexdigest())

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, self.chunk_size):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
