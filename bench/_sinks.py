"""The far ends of the fan-out for the benches, on 127.0.0.1, in a process of their own
(so their CPU is told apart from the stack's): an SMTP sink that accepts and counts every
mail, and a webhook receiver that answers 200 to every POST and counts it.

    python bench/_sinks.py SMTP_PORT HTTP_PORT

``GET /counts`` on the HTTP port answers ``{"mails": n, "recipients": n, "webhooks": n}``;
``GET /seen`` how often each id arrived, ``{"webhooks": {webhook-id: n}, "mails":
{Message-ID: n}}``, so a harness can tell a repeat (the same id again) from a second
message (another id). Prints ``ready`` once both listen; runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections import Counter
from email.parser import BytesHeaderParser

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
counts: Counter[str] = Counter()
webhook_ids: Counter[str] = Counter()
message_ids: Counter[str] = Counter()


class CountingHandler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        counts["mails"] += 1
        counts["recipients"] += len(envelope.rcpt_tos)
        headers = BytesHeaderParser().parsebytes(envelope.original_content or b"")
        message_ids[str(headers.get("Message-ID", "")).strip()] += 1
        return "250 OK"


async def receive_webhook(request: web.Request) -> web.Response:
    await request.read()
    counts["webhooks"] += 1
    webhook_ids[request.headers.get("webhook-id", "")] += 1
    return web.Response(status=200)


async def show_counts(_: web.Request) -> web.Response:
    body = {key: counts[key] for key in ("mails", "recipients", "webhooks")}
    return web.Response(text=json.dumps(body), content_type="application/json")


async def show_seen(_: web.Request) -> web.Response:
    body = {"webhooks": dict(webhook_ids), "mails": dict(message_ids)}
    return web.Response(text=json.dumps(body), content_type="application/json")


async def serve(smtp_port: int, http_port: int) -> None:
    loop = asyncio.get_running_loop()
    handler = CountingHandler()
    smtp = await loop.create_server(
        lambda: SMTP(handler, hostname="bench-sink", ident="bench-sink"), HOST, smtp_port
    )
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_get("/counts", show_counts)
    app.router.add_get("/seen", show_seen)
    app.router.add_post("/{path:.*}", receive_webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, http_port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        smtp.close()
        await runner.cleanup()


def main(argv: list[str]) -> None:
    smtp_port, http_port = (int(value) for value in argv[1:3])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(smtp_port, http_port))


if __name__ == "__main__":
    main(sys.argv)
