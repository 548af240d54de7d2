"""SMTP connections kept open between messages (notify.mail.connections), against real SMTP
servers on 127.0.0.1: aiosmtpd, and a scripted one that drops a kept connection."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from aiosmtpd.controller import Controller

from careplane_shared.testing.ports import free_port
from notify.config import NotifySettings
from notify.mail.compose import RenderedMail, Threading, build_message
from notify.mail.sender import MailSender


class Recording:
    """An aiosmtpd handler that keeps who said EHLO, each mail's connection, and QUITs."""

    def __init__(self) -> None:
        self.ehlo: list[str] = []
        self.quits = 0
        self.mail: list[tuple[tuple[str, int], list[str]]] = []
        self.refuse: set[str] = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.ehlo.append(hostname)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mail.append((session.peer, list(envelope.rcpt_tos)))
        return "250 Message accepted"

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"


@pytest.fixture
def smtp() -> Iterator[tuple[Recording, int]]:
    handler = Recording()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
async def sender(smtp) -> AsyncIterator[MailSender]:
    _, port = smtp
    mail = MailSender(settings(port))
    try:
        yield mail
    finally:
        await mail.aclose()


def settings(port: int, **overrides) -> NotifySettings:
    return NotifySettings(
        env="test", smtp_port=port, smtp_local_hostname="notify.careplane.test", **overrides
    )


def message(*to: str):
    rendered = RenderedMail(
        subject="[CS-000001] Hello", text="Hello\n", html="<p>Hello</p>", language="en"
    )
    return build_message(
        rendered,
        sender="Careplane Support <support@careplane.example>",
        to=list(to),
        threading=Threading(f"<{uuid.uuid4()}@careplane.example>", None, None),
    )


async def eventually(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_consecutive_mails_go_over_one_connection_named_once(smtp, sender):
    server, _ = smtp
    for n in range(3):
        outcome = await sender.send(message(f"ana{n}@acme-water.example"))
        assert outcome.ok and outcome.status_code == 250

    assert [to for _, to in server.mail] == [[f"ana{n}@acme-water.example"] for n in range(3)]
    assert len({peer for peer, _ in server.mail}) == 1
    assert server.ehlo == ["notify.careplane.test"]
    assert len(sender.connections) == 1


async def test_a_refused_recipient_fails_its_own_mail_only(smtp, sender):
    server, _ = smtp
    server.refuse.add("gone@acme-water.example")

    refused = await sender.send(message("gone@acme-water.example"))
    delivered = await sender.send(message("ana@acme-water.example"))

    assert not refused.ok and refused.permanent
    assert "gone@acme-water.example: 550" in (refused.error or "")
    assert delivered.ok
    assert [to for _, to in server.mail] == [["ana@acme-water.example"]]
    # The envelope was reset and the same connection carried the next mail.
    assert server.ehlo == ["notify.careplane.test"]


async def test_an_idle_connection_is_closed_and_the_next_mail_opens_another(smtp):
    server, port = smtp
    sender = MailSender(settings(port, smtp_idle_seconds=0.2))
    try:
        assert (await sender.send(message("ana@acme-water.example"))).ok
        await eventually(lambda: server.quits == 1)
        assert len(sender.connections) == 0

        assert (await sender.send(message("ben@acme-water.example"))).ok
    finally:
        await sender.aclose()

    first, second = (peer for peer, _ in server.mail)
    assert first != second
    assert len(server.ehlo) == 2
    # Closing the sender closed its kept connection politely too.
    assert server.quits == 2


async def test_mails_sent_at_once_share_at_most_the_configured_connections(smtp):
    server, port = smtp
    sender = MailSender(settings(port, smtp_max_connections=2))
    try:
        outcomes = await asyncio.gather(
            *(sender.send(message(f"ana{n}@acme-water.example")) for n in range(8))
        )
    finally:
        await sender.aclose()

    assert all(o.ok for o in outcomes)
    assert len(server.mail) == 8
    assert len({peer for peer, _ in server.mail}) <= 2
    assert len(server.ehlo) <= 2


class DroppingServer:
    """A scripted SMTP server: the first connection carries one mail and is then dropped
    when the next MAIL FROM arrives, as a server does with a connection it timed out; every
    later connection behaves."""

    def __init__(self) -> None:
        self.connections = 0
        self.accepted: list[bytes] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection, mails = self.connections, 0
        writer.write(b"220 scripted ESMTP\r\n")
        try:
            while line := await reader.readline():
                command = line[:4].upper()
                if command == b"EHLO":
                    writer.write(b"250-scripted\r\n250 8BITMIME\r\n")
                elif command == b"MAIL":
                    if connection == 1 and mails == 1:
                        return  # dropped without an answer
                    writer.write(b"250 OK\r\n")
                elif command == b"RCPT":
                    writer.write(b"250 OK\r\n")
                elif command == b"DATA":
                    writer.write(b"354 Go ahead\r\n")
                    await writer.drain()
                    body = await reader.readuntil(b"\r\n.\r\n")
                    self.accepted.append(body)
                    mails += 1
                    writer.write(b"250 Accepted\r\n")
                elif command == b"QUIT":
                    writer.write(b"221 Bye\r\n")
                    return
                else:
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        finally:
            writer.close()


async def test_a_kept_connection_dropped_by_the_server_is_replaced_for_the_next_mail():
    script = DroppingServer()
    server = await asyncio.start_server(script.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sender = MailSender(settings(port))
    try:
        first = await sender.send(message("ana@acme-water.example"))
        second = await sender.send(message("ben@acme-water.example"))
    finally:
        await sender.aclose()
        server.close()
        await server.wait_closed()

    assert first.ok and second.ok
    assert script.connections == 2
    assert len(script.accepted) == 2
    assert b"ben@acme-water.example" in script.accepted[1]
