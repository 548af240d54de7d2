"""The pure rules of the intake: reply tokens, threading, loop protection, quote trimming,
Authentication-Results."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from tickets.inbound import auth_results, loops, threading
from tickets.inbound.parse import DeliveryReport, ParsedMail, parse
from tickets.inbound.quotes import trim_quoted
from tickets.inbound.tokens import plus_tag, reply_address, reply_token, token_matches

SUPPORT = "support@careplane.example"
numbers = st.from_regex(r"CS-20[0-9]{2}-[0-9]{6}", fullmatch=True)


@given(st.uuids(), numbers, st.text(min_size=1, max_size=40))
def test_a_reply_address_names_its_case_and_proves_it(ticket_id, number, secret):
    token = reply_token(secret, ticket_id)
    assert len(token) == 16 and token == token.lower()
    address = reply_address(SUPPORT, number, token)
    reference = threading.by_token([address.upper()], support_address=SUPPORT)
    assert reference is not None and reference.number == number
    assert reference.method is threading.Method.TOKEN
    assert reference.token is not None and token_matches(secret, ticket_id, reference.token)
    assert not token_matches(secret + "x", ticket_id, reference.token)
    assert not token_matches(secret, uuid.uuid4(), reference.token)


def test_the_token_is_fixed_by_the_contract():
    ticket_id = uuid.UUID("00000000-0000-0000-0000-000000000001")
    token = reply_token("secret", ticket_id)
    assert reply_address(SUPPORT, "CS-2026-000123", token) == (
        f"support+r-cs-2026-000123-{token}@careplane.example"
    )


@given(st.uuids())
def test_a_bounce_address_names_its_delivery(delivery):
    tag = plus_tag(f"Bounces+b-{delivery.hex}@Careplane.example")
    assert tag.delivery_id == delivery and tag.base == "bounces@careplane.example"


def _mail(**fields) -> ParsedMail:
    return ParsedMail(**fields)


def test_threading_order_and_domains():
    mail = _mail(
        subject="Re: [CS-2026-000003] x",
        in_reply_to=["case.CS-2026-000002@careplane.example"],
        references=["case.CS-2026-000009@evil.example"],
    )
    found = threading.references(
        mail, recipients=["support+r-cs-2026-000001-abcdefghijklmnop@careplane.example"],
        support_address=SUPPORT, domains=["careplane.example"],
    )  # fmt: skip
    assert [(r.method.value, r.number) for r in found] == [
        ("token", "CS-2026-000001"),
        ("references", "CS-2026-000002"),
        ("subject", "CS-2026-000003"),
    ]
    # A case root of a domain that is not ours is not a reference.
    alone = _mail(references=["case.CS-2026-000009@evil.example"])
    assert threading.by_headers(alone, domains=["careplane.example"]) is None
    # A token on someone else's address is not ours either.
    assert threading.by_token(["other+r-cs-1-abcdefghijklmnop@careplane.example"],
                              support_address=SUPPORT) is None  # fmt: skip


@given(st.text(max_size=200))
def test_subjects_never_break_threading(subject):
    reference = threading.by_subject(subject)
    assert reference is None or f"[{reference.number}" in subject.upper().replace(" ", "")


OWN = [SUPPORT, "bounces@careplane.example"]


def _reason(headers=None, sender="ana@acme-water.example", mail_from="ana@acme-water.example"):
    mail = _mail(headers=headers or {}, from_address=sender)
    return loops.no_auto_answer_reason(mail, mail_from=mail_from, own_addresses=OWN)


def test_what_gets_no_automatic_answer():
    assert _reason() is None
    assert _reason({"auto-submitted": "no"}) is None
    assert _reason({"auto-submitted": "auto-replied"}) == "auto_submitted"
    assert _reason({"auto-submitted": "auto-generated; owner-email=x"}) == "auto_submitted"
    for precedence in ("bulk", "list", "junk", "BULK"):
        assert _reason({"precedence": precedence}) == "precedence"
    assert _reason({"x-auto-response-suppress": "All"}) == "auto_response_suppressed"
    assert _reason({"list-id": "<x.lists.example>"}) == "mailing_list"
    assert _reason(sender="MAILER-DAEMON@x.example".lower()) == "daemon"
    assert _reason(sender="support+r-cs-1-x@careplane.example") == "own_address"
    assert _reason(mail_from="") == "bounce"
    assert _reason(sender="") == "no_sender"


def test_bounces_are_recognised():
    report = DeliveryReport("a@b", "5.1.1", "failed", None, None)
    assert loops.is_bounce(_mail(report=report), mail_from="x@y", rcpt_to=[SUPPORT])
    assert loops.is_bounce(_mail(), mail_from="", rcpt_to=[SUPPORT])
    verp = f"bounces+b-{uuid.uuid4().hex}@careplane.example"
    assert loops.is_bounce(_mail(), mail_from="x@y", rcpt_to=[verp])
    assert not loops.is_bounce(_mail(from_address="ana@x.example"), mail_from="ana@x.example",
                               rcpt_to=[SUPPORT])  # fmt: skip


def test_quoted_history_is_trimmed():
    assert trim_quoted("Thanks!\n\nOn Mon, 1 Dec 2026, Support wrote:\n> old") == "Thanks!"
    assert trim_quoted("Dank je.\n\nOp 1 dec. 2026 schreef Support <s@x>:\n> oud") == "Dank je."
    outlook = "Fine.\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold"
    assert trim_quoted(outlook) == "Fine."
    assert trim_quoted("Fine.\n\nFrom: Support\nSent: Monday\nold") == "Fine."
    assert trim_quoted("new\n> quoted\n> more") == "new"
    assert trim_quoted("> only quoted") == "> only quoted"  # nothing would be left: kept


@given(st.text(max_size=500))
def test_trimming_never_adds_and_never_empties(text):
    trimmed = trim_quoted(text)
    assert len(trimmed) <= len(text.strip()) or trimmed == text.strip()
    assert bool(trimmed) == bool(text.strip())


def test_authentication_results_from_trusted_relays_only():
    trusted = ["mx.careplane.example"]
    headers = [
        "mx.evil.example; dmarc=pass",
        "mx.careplane.example; spf=fail; dkim=pass; dmarc=fail",
    ]
    found = auth_results.verdict(headers, trusted=trusted)
    assert found == {
        "relay": "mx.careplane.example",
        "spf": "fail",
        "dkim": "pass",
        "dmarc": "fail",
    }
    assert auth_results.unverified(found)
    assert auth_results.verdict(["mx.evil.example; dmarc=fail"], trusted=trusted) == {}
    assert not auth_results.unverified({"spf": "fail", "dkim": "pass"})
    assert auth_results.unverified({"spf": "softfail"})
    assert not auth_results.unverified({})


@given(st.binary(max_size=2000))
def test_the_parser_takes_any_bytes(raw):
    parsed = parse(raw, attachment_limit=1000)
    assert "\x00" not in parsed.text and "\x00" not in parsed.subject
