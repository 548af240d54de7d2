"""The email policy our mail is built and sent with: the stock ``email.policy.default``
with headers up to RFC 5322's 998 characters on one line, and three shortcuts that leave
the bytes unchanged (tests/test_mail_policy.py compares them with the stock policy's).

Profiling showed composing a mail spent most of its time in the email package's header
machinery: a new header class made every time the registry is asked for one, every header
parsed into an object and its parse tree folded again when the message is flattened, and the
same ``Content-*`` values parsed anew in every message.
"""

from __future__ import annotations

import email.policy
import sys
from email.headerregistry import BaseHeader, HeaderRegistry
from functools import lru_cache
from typing import Any


class _HeaderClasses(HeaderRegistry):
    """The standard header classes, each made once: the stock registry makes a new class
    every time it is asked for one (for every header set, parsed or counted)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_HEADER_CLASSES = _HeaderClasses()


@lru_cache(maxsize=256)
def _content_header(name: str, value: str) -> BaseHeader:
    """A ``Content-*`` header, parsed once per value: they repeat from mail to mail
    (``text/plain; charset="utf-8"``, ``7bit``), and a header object is immutable, so one
    serves every message."""
    return _HEADER_CLASSES(name, value)


class _MailPolicy(email.policy.EmailPolicy):
    """The default policy, except that a header we write ourselves whose value is plain
    ASCII on one line is kept as written rather than parsed into a header object and folded
    again when the message is flattened: the same bytes, for a fraction of the cost. Any
    other value (non-ASCII, needing RFC 2047; something that reads as an encoded word; a
    line break, refused; a line too long for ``max_line_length``, folded) takes the default
    path. ``Content-*`` headers (which the message reads back as it builds its parts) are
    parsed as usual, once per distinct value. Reading a header parses it as usual."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if type(value) is str and len(value.splitlines()) <= 1:
            if name.lower().startswith("content-"):
                return (name, _content_header(name, value))
            if (
                value.isascii()
                and "=?" not in value
                and len(name) + len(value) + 2 <= (self.max_line_length or sys.maxsize)
            ):
                return (name, value)
        return super().header_store_parse(name, value)


# Headers up to RFC 5322's 998 characters on one line: Python's folding at 78 moves a
# subject that starts with "[CS-…]" whole onto a continuation line, and some clients then
# show it with a leading space.
MAIL_POLICY = _MailPolicy(max_line_length=998, header_factory=_HEADER_CLASSES)

# What aiosmtplib is handed: flattened here, with CRLF line ends (its own policy would fold
# headers at 78 characters).
WIRE_POLICY = MAIL_POLICY.clone(linesep="\r\n")
