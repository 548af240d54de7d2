"""The outbound HTTP client for third-party targets and the reading of their answers.

A target is a stranger: its answer is read as a stream and only its first
``delivery_response_max_bytes`` are kept (we store an excerpt, nothing more); we ask for no
compression (``Accept-Encoding: identity``) and a body compressed anyway is inflated only up
to the same cap, so a decompression bomb costs us a few kilobytes. The total deadline of an
attempt (connect, send and read together) is the delivery worker's, around every channel.
"""

from __future__ import annotations

import zlib

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from notify.channels.base import Outcome, excerpt
from notify.config import NotifySettings
from notify.deliveries.schedule import parse_retry_after
from notify.webhooks.ssrf import UNSAFE_MARK, GuardedResolver, UnsafeTarget, check_url

USER_AGENT = "Careplane-Webhooks/1.0"
# Headers that describe the bytes on the wire, not the capped answer we keep.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def create_target_client(settings: NotifySettings) -> httpx.AsyncClient:
    """No retries (the queue retries, and logs every try), no redirects (a redirect could
    point anywhere), no caller context forwarded, no decompression (the transport hands us
    the bytes as sent), and the SSRF resolver in the connector."""
    allow_private = settings.allow_private_targets

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private=allow_private),
            limit=settings.delivery_max_connections,
            keepalive_timeout=15,
        )
        return aiohttp.ClientSession(connector=connector, auto_decompress=False)

    return httpx.AsyncClient(
        transport=AiohttpTransport(client=session),
        # Per step (connect, each read); the whole attempt has its deadline in the worker.
        timeout=httpx.Timeout(settings.delivery_timeout_seconds, connect=5.0),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
    )


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the body as sent (still encoded), and whether there was
    more. The rest is never read: leaving the stream closes the connection."""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        room = limit - len(kept)
        kept += chunk[:room]
        if len(chunk) > room:
            return bytes(kept), True
    return bytes(kept), False


def inflate_capped(raw: bytes, content_encoding: str | None, limit: int) -> bytes | None:
    """The body decoded from gzip or deflate, at most ``limit`` bytes of it whatever the
    ratio; None for an encoding we do not decode (br, zstd, ...) or a broken stream."""
    codings = [
        c.strip().lower()
        for c in (content_encoding or "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    data = raw
    for coding in reversed(codings):  # the last one listed was applied last
        if coding in ("gzip", "x-gzip"):
            wbits = zlib.MAX_WBITS | 16
        elif coding == "deflate":
            # RFC 9110's deflate is zlib-wrapped; some servers send a raw stream.
            wbits = zlib.MAX_WBITS if data[:1] and (data[0] & 0x0F) == 8 else -zlib.MAX_WBITS
        else:
            return None
        try:
            data = zlib.decompressobj(wbits).decompress(data, limit)
        except zlib.error:
            return None
    return data


def keepable_text(text: str, limit: int) -> str:
    """An excerpt PostgreSQL can store (no NUL characters)."""
    return excerpt(text.replace("\x00", "\ufffd"), limit)


async def post(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    settings: NotifySettings,
) -> tuple[Outcome, httpx.Response | None]:
    """Posts and turns the answer into an outcome: 2xx delivered, 410 permanent, anything
    else retried (honouring Retry-After). The response handed back holds only the capped,
    decoded start of the body."""
    try:
        check_url(url, allow_private=settings.allow_private_targets)
    except UnsafeTarget as exc:
        return Outcome.failure(f"{exc.code}: {exc}", permanent=True), None
    limit = settings.delivery_response_max_bytes
    try:
        async with http.stream(
            "POST", url, content=body, headers={**headers, "accept-encoding": "identity"}
        ) as streamed:
            raw, cut = await read_capped(streamed, limit)
    except httpx.HTTPError as exc:
        message = f"{type(exc).__name__}: {exc}"
        # The SSRF resolver refusing every address of the host: retrying cannot help.
        return Outcome.failure(message, permanent=UNSAFE_MARK in message), None
    encoding = streamed.headers.get("content-encoding")
    decoded = inflate_capped(raw, encoding, limit)
    response = httpx.Response(
        streamed.status_code,
        headers=[
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in _WIRE_HEADERS
        ],
        content=decoded if decoded is not None else b"",
        request=streamed.request,
    )
    if decoded is None:
        text = f"({encoding}-encoded answer of {len(raw)}{'+' if cut else ''} bytes, not decoded)"
    else:
        text = response.text + ("…" if cut else "")
    text = keepable_text(text, settings.response_excerpt_chars)
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, status_code=code, response_excerpt=text), response
    outcome = Outcome.failure(
        f"HTTP {code}",
        status_code=code,
        response_excerpt=text,
        permanent=code == 410,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
    if code == 410:
        outcome.extra["disable_reason"] = "The target answered 410 Gone."
    return outcome, response
