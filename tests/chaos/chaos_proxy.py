"""A round-robin TCP proxy on 127.0.0.1, one per piece, in front of its replicas.

Each connection goes to the next replica in turn; a replica that refuses (it was killed,
or has not started yet) is skipped for the next one. Bytes are copied both ways until
either side closes, so a replica killed mid-request cuts its connections as a real load
balancer would: the caller sees the error and retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field

HOST = "127.0.0.1"
CONNECT_SECONDS = 2.0


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            writer.close()


@dataclass
class Proxy:
    name: str
    port: int
    upstreams: list[int]
    refused: int = 0  # connections a replica refused (another one took them)
    unserved: int = 0  # connections no replica took
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _server: asyncio.Server | None = None
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, self.port)

    async def close(self) -> None:
        """Stops listening and cuts the connections still open (their copies then end)."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._open):
            writer.close()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        start = next(self._turn)
        for step in range(len(self.upstreams)):
            port = self.upstreams[(start + step) % len(self.upstreams)]
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(HOST, port), timeout=CONNECT_SECONDS
                )
            except (OSError, TimeoutError):
                self.refused += 1
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await self._connect()
        if upstream is None:
            self.unserved += 1
            writer.close()
            return
        up_reader, up_writer = upstream
        self._open |= {writer, up_writer}
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._open -= {writer, up_writer}
