"""Quoted history trimmed from a reply (pure): the case already has what was quoted.

The cut is at the first line that starts a quoted earlier message: an attribution
("On … wrote:", "Op … schreef …:", "Am … schrieb …:"), Outlook's "-----Original Message-----"
or a forwarded header block ("From:" followed by "Sent:"/"Date:"), or a run of ``>``
lines that lasts to the end. A reply that would be left empty keeps its whole text."""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^\s*(on|op|am|le|el)\b.{0,300}\b(wrote|schreef|schrieb|a écrit|escribió)\b.{0,200}:\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|oorspronkelijk bericht|forwarded message)\s*-{2,}"
    r"|_{20,})\s*$",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^\s*(from|van)\s*:", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*(sent|date|verzonden|datum|to|aan)\s*:", re.IGNORECASE)


def trim_quoted(text: str) -> str:
    lines = text.splitlines()
    cut = len(lines)
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _ATTRIBUTION.match(line) or _SEPARATOR.match(line):
            cut = index
            break
        # An attribution wrapped over two lines by the client.
        if index + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {following}"):
            cut = index
            break
        if _HEADER.match(line) and _HEADER_NEXT.match(following):
            cut = index
            break
    kept = lines[:cut]
    while kept and (kept[-1].lstrip().startswith(">") or not kept[-1].strip()):
        kept.pop()
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()
