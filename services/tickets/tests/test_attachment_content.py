"""Serving attachments safely: any file name in Content-Disposition (RFC 6266/5987), a
short list of types shown inline, nosniff always; through the real app and as properties
of the header builder."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.http import parse_options_header

from tickets.attachments.content import (
    ascii_fallback,
    content_disposition,
    media_type,
    served_type,
)

_FALLBACK = re.compile(r'filename="([\x20-\x7e]*)"')
_EXTENDED = re.compile(r"filename\*=UTF-8''([A-Za-z0-9!#$&+^`|~%._-]+)$")


@given(st.text(min_size=1, max_size=300), st.booleans())
def test_any_name_gives_a_latin1_header_that_round_trips(name: str, inline: bool) -> None:
    header = content_disposition(name, inline=inline)
    header.encode("latin-1")  # what an HTTP header must be
    assert header.isascii()
    assert header.startswith("inline;" if inline else "attachment;")
    fallback = _FALLBACK.search(header)
    assert fallback is not None and fallback.group(1)
    assert not set(fallback.group(1)) & set('"\\%')
    extended = _EXTENDED.search(header)
    assert extended is not None
    assert unquote(extended.group(1), encoding="utf-8", errors="strict") == name
    # A standard parser reads the exact name back.
    disposition, options = parse_options_header(header)
    assert disposition == ("inline" if inline else "attachment")
    assert options["filename"] == name


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("model.inp", "model.inp"),
        ("résumé.txt", "resume.txt"),
        ('a"b\\c%20.txt', "a_b_c_20.txt"),
        ("Отчёт.pdf", "_____.pdf"),
        ("😀", "_"),
        ("\u3000", "download"),
    ],
)
def test_the_ascii_fallback(name: str, fallback: str) -> None:
    assert ascii_fallback(name) == fallback


def test_an_empty_name_still_gives_a_valid_header() -> None:
    assert content_disposition("") == 'attachment; filename="download"'


@pytest.mark.parametrize(
    ("given_type", "served", "inline"),
    [
        ("image/png", "image/png", True),
        ("IMAGE/JPEG", "image/jpeg", True),
        ("image/gif", "image/gif", True),
        ("image/webp", "image/webp", True),
        ("application/pdf", "application/pdf", True),
        ("text/plain; charset=iso-8859-1", "text/plain; charset=utf-8", True),
        ("text/html", "application/octet-stream", False),
        ("image/svg+xml", "application/octet-stream", False),
        ("application/javascript", "application/octet-stream", False),
        ("text/xml", "application/octet-stream", False),
        ("not a type", "application/octet-stream", False),
        ("", "application/octet-stream", False),
        (None, "application/octet-stream", False),
    ],
)
def test_only_safe_types_are_shown_inline(given_type, served: str, inline: bool) -> None:
    assert served_type(given_type) == (served, inline)


def test_uploaded_types_are_kept_as_bare_media_types() -> None:
    assert media_type("Text/HTML; charset=utf-8") == "text/html"
    assert media_type("text/html\r\nx-injected: 1") == "application/octet-stream"
    assert media_type("a" * 300 + "/b") == "application/octet-stream"


def _case(ids):
    return {
        "product_id": ids["tideway"],
        "version": "3.1",
        "subject": "Screenshots",
        "description": "See the attached files.",
    }


async def test_downloads_carry_any_name_and_a_safe_type(live, login, demo_ids):
    ana = await login("ana@acme-water.example")
    ticket = (await live.post("/v1/tickets", json=_case(demo_ids), headers=ana)).json()
    base = f"/v1/tickets/{ticket['id']}/attachments"
    files = [
        ("Отчёт 😀.pdf", "application/pdf", "application/pdf", "inline"),
        ("notes.txt", "text/plain", "text/plain; charset=utf-8", "inline"),
        ("page.html", "text/html", "application/octet-stream", "attachment"),
        ("logo.svg", "image/svg+xml", "application/octet-stream", "attachment"),
        ('quo"te;.bin', "application/x-whatever", "application/octet-stream", "attachment"),
    ]
    for name, uploaded, served, disposition in files:
        content = f"<script>alert({name!r})</script>".encode()
        created = await live.post(
            base,
            params={"filename": name},
            content=content,
            headers={**ana, "content-type": uploaded},
        )
        assert created.status_code == 201, created.text
        download = await live.get(f"{base}/{created.json()['id']}", headers=ana)
        assert download.status_code == 200, (name, download.text)
        assert download.content == content
        assert download.headers["content-type"] == served
        assert download.headers["x-content-type-options"] == "nosniff"
        header = download.headers["content-disposition"]
        assert parse_options_header(header) == (disposition, {"filename": name})
