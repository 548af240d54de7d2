"""SPF, DKIM and DMARC results from Authentication-Results (RFC 8601), believed only from
our own relays (pure).

Anyone can write an Authentication-Results header into a mail; only the relay in front of
the listener, named by its authserv-id in ``inbound_trusted_relays``, is believed. Its
verdict is recorded with the mail; a DMARC failure (or, without DMARC, an SPF failure with
no passing DKIM) sends the mail to quarantine as UNVERIFIED_SENDER."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def verdict(headers: Sequence[str], *, trusted: Collection[str]) -> dict[str, str]:
    """``{"spf": "pass", "dkim": "fail", "dmarc": "fail", "relay": "mx.example"}`` from
    the first header of a trusted relay (the topmost: the one our relay added); {} when
    no trusted relay said anything."""
    relays = {relay.lower() for relay in trusted}
    for header in headers:
        authserv = header.split(";", 1)[0].strip().split()
        if not authserv or authserv[0].lower() not in relays:
            continue
        found = {"relay": authserv[0].lower()}
        for method, result in _RESULT.findall(header):
            found.setdefault(method.lower(), result.lower())
        return found
    return {}


def unverified(found: dict[str, str]) -> bool:
    if found.get("dmarc") == "fail":
        return True
    if "dmarc" not in found and found.get("spf") in ("fail", "softfail"):
        return found.get("dkim") != "pass"
    return False
