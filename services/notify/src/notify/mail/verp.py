"""VERP: every mail's envelope sender names the delivery it carries.

A mail we send goes out with the envelope sender (``MAIL FROM``, the receiver's
``Return-Path``) ``<local>+b-<delivery id, 32 hex digits>@<domain>``, where ``local@domain``
is the ``mail_bounce_address`` setting. A receiving server that cannot deliver it sends its
delivery status notification there, and the address alone says which delivery bounced:
tickets' mail listener reads it and tells notify (``mail.bounced``), so no bounce has to be
matched by guesswork. Pure: no I/O.
"""

from __future__ import annotations

import re
import uuid

BOUNCE_TAG = "+b-"
_BOUNCE_RECIPIENT = re.compile(r"^(?P<local>[^@\s]+)\+b-(?P<hex>[0-9a-f]{32})@(?P<domain>[^@\s]+)$")


def bounce_sender(bounce_address: str | None, delivery_id: uuid.UUID) -> str | None:
    """The envelope sender for one delivery; None (the From address is used, as before)
    when no bounce address is set or it is not a plain ``local@domain``."""
    address = (bounce_address or "").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() or c in "<>" for c in address):
        return None
    return f"{local}{BOUNCE_TAG}{delivery_id.hex}@{domain}"


def delivery_of(address: str) -> uuid.UUID | None:
    """The delivery a bounce address names (the inverse of :func:`bounce_sender`)."""
    match = _BOUNCE_RECIPIENT.match(address.strip().lower())
    return uuid.UUID(hex=match["hex"]) if match else None
