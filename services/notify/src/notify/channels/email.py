"""Email: the recipient resolved through contracts at send time, the mail rendered from the
event's templates, sent over SMTP, and kept in ``mail_messages``.

Targets: ``contact:<id>`` (one contact, looked up at send time), ``staff:<address>``, and
``customer:<id>`` (one customer: the addresses and language its payload names, resolved when
the notice was planned, or else its administrators looked up at send time), and
``address:<email>`` (a raw address: only for ``mail.unknown_sender`` from tickets, see
:mod:`notify.mail.case_mail`). A payload may
carry a ``calendar`` attachment and its own ``message_id`` / ``in_reply_to`` threading.

A contact that has not accepted its invitation gets no mail but the invitation: its address
may be someone else's. The invitation goes only while the contact is still pending, at the
address it was issued for, before it expires; its token is opened from the payload for the
accept link and kept out of the stored copy of the mail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.audience import Addressing, pick_addresses
from notify.channels.base import Channel, DeliveryJob, Outcome
from notify.clients.contracts import ContractsUnavailable
from notify.encryption import SecretUnreadable
from notify.invitations import REDACTED, SEALED_TOKEN
from notify.mail.case_mail import (
    RAW_ADDRESS_PREFIX,
    answering,
    plain_address,
    raw_address_allowed,
    reply_to,
)
from notify.mail.compose import (
    Threading,
    build_message,
    language_of,
    mail_context,
    render,
    threading_for,
)
from notify.mail.verp import bounce_sender
from notify.models import mail_messages_table

_insert_mail = insert(mail_messages_table)
# Keeps a sent mail; the same delivery tried again rewrites its record (the same Message-ID
# every time). Built once.
KEEP_MAIL = _insert_mail.on_conflict_do_update(
    index_elements=["delivery_id"],
    set_={
        "to_addresses": _insert_mail.excluded.to_addresses,
        "subject": _insert_mail.excluded.subject,
        "text_body": _insert_mail.excluded.text_body,
        "html_body": _insert_mail.excluded.html_body,
        "sent_at": _insert_mail.excluded.sent_at,
    },
)

CONTACT_PREFIX = "contact:"
STAFF_PREFIX = "staff:"
CUSTOMER_PREFIX = "customer:"
# The template whose mail is the root of a case's thread.
CASE_ROOT_TEMPLATE = "ticket_opened"

# Where contracts is reached through the gateway at the portal's address.
CONTRACTS_THROUGH_GATEWAY = "/api/contracts"


def accept_url(portal_url: str, token: str) -> str:
    """The invitation's accept request, through the gateway (``POST`` with a password)."""
    path = f"/v1/contacts/invitations/{token}/accept"
    return f"{portal_url.rstrip('/')}{CONTRACTS_THROUGH_GATEWAY}{path}"


@dataclass(frozen=True, slots=True)
class Recipient:
    addresses: list[str]
    name: str | None
    language: str | None


class EmailChannel(Channel):
    kind = "email"

    async def _recipient(self, job: DeliveryJob) -> Recipient | Outcome:
        """Who the mail goes to, or the outcome that ends this attempt."""
        if job.target.startswith(RAW_ADDRESS_PREFIX):
            return self._raw_address(job)
        if job.target.startswith(STAFF_PREFIX):
            return Recipient([job.target[len(STAFF_PREFIX) :]], None, "en")
        if job.target.startswith(CUSTOMER_PREFIX) and job.payload.get("to"):
            return Recipient(
                [str(a) for a in job.payload["to"]],
                job.payload.get("name"),
                job.payload.get("language"),
            )
        if self.services.contracts is None:
            return Outcome.failure(f"No way to resolve {job.target!r}.", permanent=True)
        if job.target.startswith(CUSTOMER_PREFIX):
            return await self._administrators(job.target[len(CUSTOMER_PREFIX) :])
        if not job.target.startswith(CONTACT_PREFIX):
            return Outcome.failure(f"No way to resolve {job.target!r}.", permanent=True)
        contracts = self.services.contracts
        contact_id = job.target[len(CONTACT_PREFIX) :]
        try:
            # An invitation checks the contact as it is now; other mail may use a contact
            # looked up a moment ago (ContractsClient.contact_for_mail).
            if SEALED_TOKEN in job.payload:
                contact = await contracts.contact(contact_id)
            else:
                contact = await contracts.contact_for_mail(contact_id)
            if contact is None:
                return Outcome.failure("The contact does not exist in contracts.", permanent=True)
            if not contact.get("active", True):
                return Outcome.failure("The contact is no longer active.", permanent=True)
            refused = self._refused(job, contact)
            if refused is not None:
                return refused
            language = job.payload.get("data", {}).get("language")
            if not language:
                customer = await contracts.customer_for_mail(contact["customer_id"])
                language = (customer or {}).get("language")
        except ContractsUnavailable as exc:
            return Outcome.failure(f"Contracts unavailable: {exc}")
        return Recipient([str(contact["email"])], contact.get("name"), language)

    @staticmethod
    def _refused(job: DeliveryJob, contact: dict[str, Any]) -> Outcome | None:
        """A pending contact gets its invitation and nothing else."""
        pending = bool(contact.get("pending", False))
        if SEALED_TOKEN not in job.payload:
            if pending:
                return Outcome.failure(
                    "The contact has not accepted its invitation.", permanent=True
                )
            return None
        data = job.payload.get("data", {})
        if not pending:
            return Outcome.failure("The invitation has been accepted.", permanent=True)
        if str(contact.get("email", "")).lower() != str(data.get("email", "")).lower():
            return Outcome.failure("The contact's address is not the one invited.", permanent=True)
        try:
            expires_at = datetime.fromisoformat(str(data.get("expires_at")))
        except ValueError:
            return Outcome.failure("The invitation names no expiry.", permanent=True)
        if expires_at.tzinfo is None or expires_at <= datetime.now(UTC):
            return Outcome.failure("The invitation has expired.", permanent=True)
        return None

    @staticmethod
    def _raw_address(job: DeliveryJob) -> Recipient | Outcome:
        """A raw address, for the one event allowed one (checked again here, whatever
        wrote the row)."""
        if not raw_address_allowed(job.event_type, job.event_source):
            return Outcome.failure(
                f"A raw address is not a target for {job.event_type} from {job.event_source}.",
                permanent=True,
            )
        address = plain_address(job.target[len(RAW_ADDRESS_PREFIX) :])
        if address is None:
            return Outcome.failure("The raw address is not a plain address.", permanent=True)
        return Recipient([address], None, job.payload.get("data", {}).get("language"))

    async def _administrators(self, customer_id: str) -> Recipient | Outcome:
        """A customer's administrators (its registered contacts when it has none)."""
        assert self.services.contracts is not None
        try:
            customer = await self.services.contracts.customer(customer_id)
            if customer is None:
                return Outcome.failure("The customer does not exist in contracts.", permanent=True)
            contacts = await self.services.contracts.contacts_of([customer_id])
        except ContractsUnavailable as exc:
            return Outcome.failure(f"Contracts unavailable: {exc}")
        addresses = pick_addresses(contacts, Addressing.ADMINISTRATORS)
        if not addresses:
            return Outcome.failure("The customer has no contact to write to.", permanent=True)
        return Recipient(addresses, customer.get("name"), customer.get("language"))

    def _threading(self, job: DeliveryJob, template: str, data: dict[str, Any]) -> Threading:
        own_id = job.payload.get("message_id")
        if own_id:
            parent = job.payload.get("in_reply_to")
            return Threading(str(own_id), parent, parent)
        threading = threading_for(
            job.id,
            data.get("number"),
            is_case_root=template == CASE_ROOT_TEMPLATE and job.target.startswith(CONTACT_PREFIX),
            domain=self.settings.mail_domain,
        )
        return answering(threading, template, data)

    async def deliver(self, job: DeliveryJob) -> Outcome:
        if self.services.mail is None:
            return Outcome.failure("No mail sender is configured.")
        recipient = await self._recipient(job)
        if isinstance(recipient, Outcome):
            return recipient
        template = str(job.payload["template"])
        data: dict[str, Any] = job.payload.get("data", {})
        context = mail_context(
            data,
            self.settings.portal_url,
            recipient.name,
            watching=bool(job.payload.get("watching")),
        )
        token: str | None = None
        if SEALED_TOKEN in job.payload:
            try:
                token = self.settings.secret_box().open(str(job.payload[SEALED_TOKEN]))
            except SecretUnreadable:
                return Outcome.failure("The invitation's token cannot be opened.", permanent=True)
            context["accept_url"] = accept_url(self.settings.portal_url, token)
        rendered = render(template, language_of(recipient.language), context)
        threading = self._threading(job, template, data)
        headers = {"X-Careplane-Event": f"{job.event_type}; id={job.event_id}"}
        case_reply_address = reply_to(data)
        if case_reply_address is not None:
            headers["Reply-To"] = case_reply_address
        message = build_message(
            rendered,
            sender=self.settings.mail_from,
            to=recipient.addresses,
            threading=threading,
            extra_headers=headers,
            calendar=job.payload.get("calendar"),
        )
        outcome = await self.services.mail.send(
            message, envelope_from=bounce_sender(self.settings.mail_bounce_address, job.id)
        )
        text_body, html_body = rendered.text, rendered.html
        if token is not None:
            text_body = text_body.replace(token, REDACTED)
            html_body = html_body.replace(token, REDACTED)
        outcome.extra["mail"] = {
            "id": uuid.uuid4(),
            "delivery_id": job.id,
            "message_id": threading.message_id,
            "in_reply_to": threading.in_reply_to,
            "references": threading.references,
            "from_address": self.settings.mail_from,
            "to_addresses": recipient.addresses,
            "subject": rendered.subject,
            "language": rendered.language,
            "text_body": text_body,
            "html_body": html_body,
            "ticket_number": data.get("number"),
            "sent_at": datetime.now(UTC) if outcome.ok else None,
        }
        return outcome

    async def after(
        self, session: AsyncSession, results: Sequence[tuple[DeliveryJob, Outcome]]
    ) -> None:
        rows = [o.extra["mail"] for _, o in results if "mail" in o.extra]
        if rows:
            await session.execute(KEEP_MAIL, rows)
