"""The mail policy's shortcuts (notify.mail.compose: headers written as given when they are
plain ASCII on one line, header classes made once, Content-* headers parsed once per value)
write the very bytes the stock policy writes; the MIME boundaries are chosen when the message
is built; the envelope is read from the stored headers."""

from __future__ import annotations

import email.policy
import re
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify.mail import compose
from notify.mail.compose import RenderedMail, Threading, build_message, mail_context, render
from notify.mail.policy import WIRE_POLICY
from notify.mail.sender import envelope

STOCK = email.policy.default.clone(max_line_length=998)
WHEN = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
BOUNDARY = re.compile(rb"={15}\d+==|=_[0-9a-f]{32}")


def flattened(monkeypatch, policy, rendered, **kwargs) -> bytes:
    """The message built under ``policy``, as sent, its random MIME boundaries named alike."""
    with monkeypatch.context() as patch:
        patch.setattr(compose, "MAIL_POLICY", policy)
        message = build_message(rendered, date=WHEN, **kwargs)
    return BOUNDARY.sub(b"BOUNDARY", message.as_bytes(policy=policy.clone(linesep="\r\n")))


def both(monkeypatch, rendered, **kwargs) -> tuple[bytes, bytes]:
    ours = flattened(monkeypatch, compose.MAIL_POLICY, rendered, **kwargs)
    stock = flattened(monkeypatch, STOCK, rendered, **kwargs)
    return ours, stock


THREAD = Threading("<case.CS-000001@careplane.example>", None, None)
REPLY = Threading(
    f"<{uuid.UUID(int=7)}@careplane.example>",
    "<case.CS-000001@careplane.example>",
    "<case.CS-000001@careplane.example>",
)


@pytest.mark.parametrize(
    ("subject", "to", "extra"),
    [
        ("[CS-000001] We received your case: Pump station", ["ana@acme-water.example"], {}),
        ("[CS-000001] Pompstation geëscaleerd ✓", ["Zoë <zoe@acme.example>"], {}),
        ("[CS-000001] " + "x" * 1000, ["ana@acme-water.example", "ben@acme.example"], {}),
        ("[CS-000001] =?utf-8?q?looks_encoded?= but is not", ["ana@acme-water.example"], {}),
        ("[CS-000001] Hello", ["ana@acme-water.example"], {"X-Long": "y" * 1200}),
    ],
)
def test_the_same_bytes_as_the_stock_policy(monkeypatch, subject, to, extra):
    rendered = RenderedMail(subject, "Hello Ana,\nline two\n", "<p>Hello Ana</p>\n", "nl")
    for threading in (THREAD, REPLY):
        ours, stock = both(
            monkeypatch,
            rendered,
            sender="Careplane Support <support@careplane.example>",
            to=to,
            threading=threading,
            extra_headers={"X-Careplane-Event": "ticket.opened; id=e-1", **extra},
        )
        assert ours == stock


def test_the_same_bytes_with_a_calendar_attached(monkeypatch):
    context = mail_context({"number": "CS-000001", "subject": "Löschen"}, "http://p.example", "Ana")
    rendered = render("ticket_opened", "en", context)
    ours, stock = both(
        monkeypatch,
        rendered,
        sender="Careplane Support <support@careplane.example>",
        to=["ana@acme-water.example"],
        threading=THREAD,
        calendar={"ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "method": "REQUEST"},
    )
    assert ours == stock


@settings(max_examples=60, deadline=None)
@given(subject=st.text(max_size=300), body=st.text(max_size=500), name=st.text(max_size=40))
def test_any_case_renders_to_the_same_bytes(subject, body, name):
    context = mail_context(
        {"number": "CS-000009", "subject": subject, "body": body}, "http://p", name
    )
    rendered = render("ticket_replied", "en", context)
    with pytest.MonkeyPatch.context() as monkeypatch:
        ours, stock = both(
            monkeypatch,
            rendered,
            sender="Careplane Support <support@careplane.example>",
            to=["ana@acme-water.example"],
            threading=REPLY,
        )
    assert ours == stock


def test_the_envelope_comes_from_the_stored_from_and_to():
    rendered = RenderedMail("Hello", "Hello\n", "<p>Hello</p>", "en")
    message = build_message(
        rendered,
        sender="Careplane Support <support@careplane.example>",
        to=["ana@acme-water.example", "Zoë Ñandú <zoe@acme.example>"],
        threading=THREAD,
    )
    assert envelope(message) == (
        "support@careplane.example",
        ["ana@acme-water.example", "zoe@acme.example"],
    )
    assert WIRE_POLICY.linesep == "\r\n"
    # Reading a header still gives the parsed header.
    assert message["To"].addresses[1].display_name == "Zoë Ñandú"


def test_each_multipart_has_its_own_boundary_found_nowhere_else():
    rendered = RenderedMail("Hello", "Hello =_ and --\n", "<p>Hello =_</p>", "en")
    message = build_message(
        rendered,
        sender="Careplane Support <support@careplane.example>",
        to=["ana@acme-water.example"],
        threading=THREAD,
        calendar={"ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "method": "REQUEST"},
    )
    mixed = message.get_boundary()
    [alternative, _] = [part.get_boundary() for part in message.iter_parts()]
    assert mixed and alternative and mixed != alternative
    raw = message.as_bytes(policy=WIRE_POLICY).decode()
    for boundary in (mixed, alternative):
        lines = [line for line in raw.split("\r\n") if boundary in line]
        # The header naming it, then only delimiter lines.
        assert all(line in (f"--{boundary}", f"--{boundary}--") for line in lines[1:])
        assert boundary not in rendered.text and boundary not in rendered.html
