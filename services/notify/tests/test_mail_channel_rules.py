"""The pure rules of the mail channel's outbound side: VERP addresses, the headers we
copy from events, bounce classification."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from notify.mail.case_mail import (
    acknowledgement_wanted,
    answering,
    message_id,
    plain_address,
    raw_address_allowed,
    reply_to,
)
from notify.mail.compose import Threading
from notify.mail.verp import bounce_sender, delivery_of
from notify.mail_events.bounces import bounce_status, is_permanent


@given(st.uuids(), st.sampled_from(["bounces@careplane.example", "b.x@mail.vendor.example"]))
def test_a_bounce_address_names_its_delivery_and_reads_back(delivery_id, address):
    sender = bounce_sender(address, delivery_id)
    assert sender is not None
    local, domain = address.split("@")
    assert sender == f"{local}+b-{delivery_id.hex}@{domain}"
    assert delivery_of(sender) == delivery_id
    assert delivery_of(sender.upper()) == delivery_id


def test_no_usable_bounce_address_means_no_verp():
    some = uuid.uuid4()
    for address in ("", None, "bounces", "@x.example", "a b@x.example", "<a@x.example>"):
        assert bounce_sender(address, some) is None
    assert delivery_of("bounces@careplane.example") is None
    assert delivery_of("bounces+b-123@careplane.example") is None


@given(st.text())
def test_nothing_that_could_split_a_header_passes_as_an_address_or_message_id(value):
    for checked in (plain_address(value), message_id(value)):
        if checked is not None:
            assert not any(c in checked for c in "\r\n \t,;") and "@" in checked


def test_headers_copied_from_events():
    assert reply_to({"reply_address": "support+r-cs-1-abc@careplane.example"}) == (
        "support+r-cs-1-abc@careplane.example"
    )
    assert reply_to({"reply_address": "a@b.example\r\nBcc: c@d.example"}) is None
    assert reply_to({}) is None
    assert message_id("<a.b@c>") == "<a.b@c>"
    assert message_id("a.b@c") == "<a.b@c>"  # as tickets names it: without the brackets
    assert message_id("<a b@c>") is None and message_id("a b@c") is None
    assert message_id("a@c>") is None and message_id("<<a@c>>") is None
    assert message_id("<" + "x" * 300 + "@c>") is None


def test_only_auto_answer_false_suppresses_the_acknowledgement():
    assert acknowledgement_wanted({}) and acknowledgement_wanted({"auto_answer": True})
    assert acknowledgement_wanted({"auto_answer": None})
    assert not acknowledgement_wanted({"auto_answer": False})


def test_only_tickets_asks_for_mail_to_a_raw_address():
    assert raw_address_allowed("mail.unknown_sender", "tickets")
    assert not raw_address_allowed("mail.unknown_sender", "contracts")
    assert not raw_address_allowed("ticket.opened", "tickets")


def test_answers_thread_under_the_mail_they_answer_and_nothing_else_does():
    root = Threading("<case.CS-1@d>", None, None)
    data = {"inbound_message_id": "<m@x>"}
    assert answering(root, "ticket_opened", data) == Threading("<case.CS-1@d>", "<m@x>", "<m@x>")
    later = Threading("<id@d>", "<case.CS-1@d>", "<case.CS-1@d>")
    assert answering(later, "ticket_replied", data) == later
    assert answering(later, "unknown_sender", data).references == "<m@x> <case.CS-1@d>"
    assert answering(root, "ticket_opened", {"inbound_message_id": "junk"}) == root


def test_permanent_bounces():
    assert is_permanent("5.1.1", "failed") and is_permanent(None, "failed")
    assert is_permanent("5.7.1", None)
    assert not is_permanent("4.2.2", "delayed") and not is_permanent(None, "delivered")
    assert bounce_status("5.1.1") == "5.1.1"
    assert bounce_status("5.1") is None and bounce_status("550") is None
