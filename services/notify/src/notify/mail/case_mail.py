"""Rules for mail that meets the mail channel's inbound side (tickets reads what comes back):
pure, no I/O.

- ``Reply-To``: an event about a case carries the case's own reply address
  (``reply_address``, made by tickets); every mail about the case names it, so a customer's
  answer goes to the support address with the case's token and threads into the case.
- The acknowledgement of a case opened by mail (``ticket_opened`` with
  ``inbound_message_id``) answers the customer's own mail: ``In-Reply-To`` and
  ``References`` name it, its Message-ID stays the case root. The unknown-sender answer
  names the mail it answers the same way.
- ``auto_answer: false`` (tickets' loop protection: the mail was automatic, or the
  sender's hourly share of automatic answers is used up) suppresses the acknowledgement,
  and only that: a person's later reply on the case is mailed as always.
- A raw address (``address:<email>``) is a target only for the one event that needs it,
  ``mail.unknown_sender`` from tickets: every other mail goes to a contact, a customer or
  staff, resolved by notify itself.
"""

from __future__ import annotations

import re
from typing import Any

from notify.mail.compose import Threading

RAW_ADDRESS_PREFIX = "address:"
UNKNOWN_SENDER_EVENT = "mail.unknown_sender"
UNKNOWN_SENDER_TEMPLATE = "unknown_sender"
BOUNCED_EVENT = "mail.bounced"
# Who may ask for mail to a raw address, and for which event.
RAW_ADDRESS_EVENTS = {UNKNOWN_SENDER_EVENT: "tickets"}
ACKNOWLEDGEMENT_TEMPLATE = "ticket_opened"
# The templates that answer a mail someone sent us, and so thread under it.
ANSWERS_INBOUND = frozenset({ACKNOWLEDGEMENT_TEMPLATE, UNKNOWN_SENDER_TEMPLATE})

# Longest Message-ID we copy into a header (mail_messages.in_reply_to holds 300).
MAX_MESSAGE_ID = 300
# RFC 5322 atext and dots on both sides: nothing else can end up in a header we write.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_MESSAGE_ID = re.compile(f"<{_ATEXT}@{_ATEXT}>")
# An address we write to or name: one local part, one domain, nothing that could fold or
# split a header.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
MAX_ADDRESS = 254


def plain_address(value: object) -> str | None:
    """``value`` when it is one plain address (``local@domain``), else None."""
    if not isinstance(value, str) or len(value) > MAX_ADDRESS:
        return None
    return value if _ADDRESS.fullmatch(value) else None


def message_id(value: object) -> str | None:
    """``value`` as one ``<id@host>`` Message-ID we may copy into a header, or None. Tickets
    names the customer's Message-ID without its angle brackets (as parsed); both forms do."""
    if not isinstance(value, str) or len(value) > MAX_MESSAGE_ID:
        return None
    bracketed = value if value.startswith("<") else f"<{value}>"
    return bracketed if _MESSAGE_ID.fullmatch(bracketed) else None


def reply_to(data: dict[str, Any]) -> str | None:
    """The case's reply address, when the event names a usable one."""
    return plain_address(data.get("reply_address"))


def acknowledgement_wanted(data: dict[str, Any]) -> bool:
    """False only when tickets said not to answer automatically (absent means answer)."""
    return data.get("auto_answer") is not False


def raw_address_allowed(event_type: str, event_source: str) -> bool:
    return RAW_ADDRESS_EVENTS.get(event_type) == event_source


def answering(threading: Threading, template: str, data: dict[str, Any]) -> Threading:
    """``threading`` with the mail it answers in ``In-Reply-To`` and first in
    ``References``, for the templates that answer a mail sent to us."""
    inbound = message_id(data.get("inbound_message_id")) if template in ANSWERS_INBOUND else None
    if inbound is None:
        return threading
    earlier = threading.references
    references = f"{inbound} {earlier}" if earlier and earlier != inbound else inbound
    return Threading(threading.message_id, inbound, references)
