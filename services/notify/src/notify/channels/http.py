"""The outbound HTTP client for third-party targets and the reading of their answers."""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from notify.channels.base import Outcome, excerpt
from notify.config import NotifySettings
from notify.deliveries.schedule import parse_retry_after
from notify.webhooks.ssrf import UNSAFE_MARK, GuardedResolver, UnsafeTarget, check_url

USER_AGENT = "Careplane-Webhooks/1.0"


def create_target_client(settings: NotifySettings) -> httpx.AsyncClient:
    """No retries (the queue retries, and logs every try), no redirects (a redirect could
    point anywhere), no caller context forwarded, and the SSRF resolver in the connector."""
    allow_private = settings.allow_private_targets

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private=allow_private),
            limit=settings.delivery_max_connections,
            keepalive_timeout=15,
        )
        return aiohttp.ClientSession(connector=connector)

    return httpx.AsyncClient(
        transport=AiohttpTransport(client=session),
        timeout=httpx.Timeout(settings.delivery_timeout_seconds, connect=5.0),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
    )


async def post(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    settings: NotifySettings,
) -> tuple[Outcome, httpx.Response | None]:
    """Posts and turns the answer into an outcome: 2xx delivered, 410 permanent, anything
    else retried (honouring Retry-After)."""
    try:
        check_url(url, allow_private=settings.allow_private_targets)
    except UnsafeTarget as exc:
        return Outcome.failure(f"{exc.code}: {exc}", permanent=True), None
    try:
        response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        message = f"{type(exc).__name__}: {exc}"
        # The SSRF resolver refusing every address of the host: retrying cannot help.
        return Outcome.failure(message, permanent=UNSAFE_MARK in message), None
    text = excerpt(response.text, settings.response_excerpt_chars)
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
