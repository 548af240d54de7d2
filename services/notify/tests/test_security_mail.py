"""Customer text cannot re-order a mail: a case subject with blank lines, CR/LF and header-like
text arrives at a real SMTP server (aiosmtpd on 127.0.0.1) as one Subject line, with no header
of its own, and the body starts with the greeting, the customer's words only in their slot."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st
from notify_testkit import drain, post_event, ticket_event

from careplane_shared.testing import asgi_client
from notify.mail.compose import MAX_SUBJECT_CHARS, build_message, render, threading_for

HOSTILE = "Pump down\n\nHello: this line was meant to open the body\r\nBcc: thief@evil.example\r\n"


async def test_a_subject_with_blank_lines_and_headers_stays_one_subject_line(
    live_notify, smtp_server, contracts_transport, demo_contacts, notify_minter, notify_engine
):
    inbox, port = smtp_server
    ana = demo_contacts["ana@acme-water.example"]
    async with (
        live_notify(smtp_port=port, contracts_transport=contracts_transport) as app,
        asgi_client(app) as client,
    ):
        event = ticket_event(
            number="CS-000321",
            subject=HOSTILE,
            contact_id=ana["id"],
            customer_id=ana["customer_id"],
        )
        assert (await post_event(client, notify_minter, event)).status_code == 202
        await drain(app.state.delivery_worker, notify_engine)

    [mail] = inbox.messages
    assert mail.envelope_to == ["ana@acme-water.example"]
    assert mail["Bcc"] is None
    assert mail["Subject"] == (
        "[CS-000321] We received your case: Pump down Hello: this line was meant to open the "
        "body Bcc: thief@evil.example"
    )
    # One Subject header, one line: nothing of the customer's became a header.
    assert mail.get_all("Subject") == [mail["Subject"]]
    lines = mail.as_bytes().splitlines()
    headers = lines[: lines.index(b"")]
    assert len([line for line in headers if line.startswith(b"Subject:")]) == 1
    assert not any(line.lower().startswith((b"bcc:", b"hello:")) for line in headers)
    body = mail.get_body(("plain",)).get_content()
    assert body.startswith("Hello Ana"), body[:80]
    greeting = body.index("Hello Ana")
    # The customer's words appear only where the template puts the subject, after the greeting.
    assert body.find("this line was meant to open the body") > greeting


@given(
    st.text(
        alphabet=st.sampled_from(
            ["\n", "\r", "\u2028", "\x85", "\t", " ", "a", "Z", ":", "{", "%"]
        ),
        max_size=80,
    ),
    st.text(max_size=2000),
)
def test_no_subject_moves_into_the_body_or_out_of_one_line(subject, body):
    rendered = render(
        "ticket_replied",
        "en",
        {
            "number": "CS-000001",
            "subject": subject,
            "body": body,
            "name": "Ana",
            "watching": False,
            "ticket_url": "http://portal.example/tickets/CS-000001",
        },
    )
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert len(rendered.subject) <= MAX_SUBJECT_CHARS
    assert rendered.subject.startswith("[CS-000001] New reply:")
    assert rendered.text.startswith("Hello Ana,")
    message = build_message(
        rendered,
        sender="Careplane <support@careplane.example>",
        to=["ana@acme-water.example"],
        threading=threading_for(uuid.uuid4(), "CS-000001", is_case_root=False, domain="x.example"),
    )
    assert message["Subject"] == rendered.subject
