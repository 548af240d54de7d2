"""How a stored file is served back: which types a browser may show inline, and a
``Content-Disposition`` that carries any file name.

A download never echoes the uploader's Content-Type blindly: only a short list of types a
browser renders without running anything is served inline under its own type; everything
else (HTML, SVG, scripts, unknown types) is ``application/octet-stream`` as an
attachment. ``X-Content-Type-Options: nosniff`` goes with every download so the browser
does not guess otherwise.

File names follow RFC 6266 with RFC 5987 encoding: ``filename="<ASCII fallback>"`` for old
clients and ``filename*=UTF-8''<percent-encoded>`` with the exact name, so the header is
always Latin-1 encodable whatever the name.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

OCTET_STREAM = "application/octet-stream"

# Shown inline: images a browser decodes without scripting, PDF, plain text.
INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
    }
)

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
# RFC 5987 attr-char beyond the letters, digits and "-._~" quote() keeps anyway.
_ATTR_CHAR_EXTRA = "!#$&+^`|"
# What may stand in the quoted ASCII fallback: printable ASCII without '"', '\' and '%'
# (some clients percent-decode the plain parameter).
_FALLBACK_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\%]')


def media_type(given: str | None) -> str:
    """The bare media type of an uploaded Content-Type (lower case, parameters dropped),
    or ``application/octet-stream`` when it is not a well-formed type."""
    base = (given or "").split(";", 1)[0].strip().lower()
    return base if _MEDIA_TYPE.match(base) else OCTET_STREAM


def served_type(stored: str | None) -> tuple[str, bool]:
    """The Content-Type a download is served with and whether it is shown inline."""
    base = media_type(stored)
    if base not in INLINE_TYPES:
        return OCTET_STREAM, False
    if base == "text/plain":
        return "text/plain; charset=utf-8", True
    return base, True


def ascii_fallback(filename: str) -> str:
    """A plain-ASCII stand-in for ``filename`` (accents dropped, anything else ``_``)."""
    decomposed = unicodedata.normalize("NFKD", filename)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    fallback = _FALLBACK_UNSAFE.sub("_", stripped).strip()
    return fallback or "download"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` (RFC 6266, RFC 5987)."""
    disposition = "inline" if inline else "attachment"
    header = f'{disposition}; filename="{ascii_fallback(filename)}"'
    if not filename:
        return header
    encoded = quote(filename, safe=_ATTR_CHAR_EXTRA, encoding="utf-8", errors="replace")
    return f"{header}; filename*=UTF-8''{encoded}"


def download_headers(filename: str, stored_type: str | None) -> tuple[str, dict[str, str]]:
    """The media type and the safety headers of a download."""
    served, inline = served_type(stored_type)
    return served, {
        "content-disposition": content_disposition(filename, inline=inline),
        "x-content-type-options": "nosniff",
    }
