"""The corpus of unusual and malformed messages: parsed without an exception, and each one,
sent over SMTP to the listener, ends stored and processed (a case, a quarantine, an answer),
never failed or stuck."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select

from tickets.inbound.models import InboundMessage
from tickets.inbound.parse import parse

_spec = importlib.util.spec_from_file_location(
    "inbound_corpus", Path(__file__).with_name("corpus.py")
)
assert _spec and _spec.loader
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
CORPUS: dict[str, bytes] = corpus.CORPUS


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_message_parses(name):
    parsed = parse(CORPUS[name], attachment_limit=64 * 1024)
    assert isinstance(parsed.text, str) and isinstance(parsed.flags, set)
    for attachment in parsed.attachments:
        assert "/" not in attachment.filename and "\x01" not in attachment.filename


def test_what_the_parser_makes_of_some():
    assert "unknown_charset" in parse(CORPUS["unknown_charset"], attachment_limit=1000).flags
    html = parse(CORPUS["html_only"], attachment_limit=1000)
    assert html.text == "Hi there\nlink [https://x.example]" and "html_only" in html.flags
    assert parse(CORPUS["alternative"], attachment_limit=1000).text == "plain"
    assert "no_body" in parse(CORPUS["no_body"], attachment_limit=1000).flags
    assert "nested_too_deep" in parse(CORPUS["nested_60"], attachment_limit=1000).flags
    assert parse(CORPUS["latin1"], attachment_limit=1000).text == "café"
    [resume] = parse(CORPUS["attachment_rfc2231_name"], attachment_limit=1000).attachments
    assert resume.filename == "résumé.txt"
    assert (
        parse(CORPUS["encoded_word_subject"], attachment_limit=1000).subject == "élèvecafé"
    )  # RFC 2047: space between encoded words goes


async def test_every_message_goes_through_the_listener_and_the_intake(mailer):
    for raw in CORPUS.values():
        await mailer.send(raw, sender="ana@acme-water.example")
    await mailer.drain()
    async with mailer.app.state.database.sessionmaker() as session:
        rows = (await session.execute(select(InboundMessage.status, InboundMessage.outcome))).all()
    assert len(rows) == len(CORPUS)
    statuses = {status for status, _ in rows}
    assert statuses <= {"DONE", "QUARANTINED"}, rows
    assert ("DONE", "opened") in rows and ("QUARANTINED", "quarantined") in rows
