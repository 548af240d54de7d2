"""Email: the recipient resolved through contracts at send time, the mail rendered from the
event's templates, sent over SMTP, and kept in ``mail_messages``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.channels.base import Channel, DeliveryJob, Outcome
from notify.contracts import ContractsUnavailable
from notify.mail.compose import build_message, language_of, render, threading_for
from notify.models import mail_messages_table

CONTACT_PREFIX = "contact:"
STAFF_PREFIX = "staff:"
# The template whose mail is the root of a case's thread.
CASE_ROOT_TEMPLATE = "ticket_opened"


def mail_context(data: dict[str, Any], portal_url: str, name: str | None) -> dict[str, Any]:
    number = data.get("number")
    keys = (
        "number",
        "subject",
        "status",
        "previous_status",
        "priority",
        "body",
        "reason",
        "resolution",
        "metric",
        "due_at",
        "assignee_id",
    )
    context = {key: data.get(key) for key in keys}
    context.update(
        name=name,
        portal_url=portal_url,
        ticket_url=f"{portal_url.rstrip('/')}/tickets/{number}" if number else portal_url,
    )
    return context


class EmailChannel(Channel):
    kind = "email"

    async def _recipient(self, job: DeliveryJob) -> tuple[str, str | None, str | None] | Outcome:
        """(address, name, language) of the target, or the outcome that ends this attempt."""
        if job.target.startswith(STAFF_PREFIX):
            return job.target[len(STAFF_PREFIX) :], None, "en"
        if not job.target.startswith(CONTACT_PREFIX) or self.services.contracts is None:
            return Outcome.failure(f"No way to resolve {job.target!r}.", permanent=True)
        contracts = self.services.contracts
        try:
            contact = await contracts.contact(job.target[len(CONTACT_PREFIX) :])
            if contact is None:
                return Outcome.failure("The contact does not exist in contracts.", permanent=True)
            if not contact.get("active", True):
                return Outcome.failure("The contact is no longer active.", permanent=True)
            language = job.payload.get("data", {}).get("language")
            if not language:
                customer = await contracts.customer(contact["customer_id"])
                language = (customer or {}).get("language")
        except ContractsUnavailable as exc:
            return Outcome.failure(f"Contracts unavailable: {exc}")
        return str(contact["email"]), contact.get("name"), language

    async def deliver(self, job: DeliveryJob) -> Outcome:
        if self.services.mail is None:
            return Outcome.failure("No mail sender is configured.")
        recipient = await self._recipient(job)
        if isinstance(recipient, Outcome):
            return recipient
        address, name, language = recipient
        template = str(job.payload["template"])
        data: dict[str, Any] = job.payload.get("data", {})
        rendered = render(
            template, language_of(language), mail_context(data, self.settings.portal_url, name)
        )
        threading = threading_for(
            job.id,
            data.get("number"),
            is_case_root=template == CASE_ROOT_TEMPLATE and job.target.startswith(CONTACT_PREFIX),
            domain=self.settings.mail_domain,
        )
        message = build_message(
            rendered,
            sender=self.settings.mail_from,
            to=[address],
            threading=threading,
            extra_headers={"X-Careplane-Event": f"{job.event_type}; id={job.event_id}"},
        )
        outcome = await self.services.mail.send(message)
        outcome.extra["mail"] = {
            "id": uuid.uuid4(),
            "delivery_id": job.id,
            "message_id": threading.message_id,
            "in_reply_to": threading.in_reply_to,
            "references": threading.references,
            "from_address": self.settings.mail_from,
            "to_addresses": [address],
            "subject": rendered.subject,
            "language": rendered.language,
            "text_body": rendered.text,
            "html_body": rendered.html,
            "ticket_number": data.get("number"),
            "sent_at": datetime.now(UTC) if outcome.ok else None,
        }
        return outcome

    async def after(
        self, session: AsyncSession, results: Sequence[tuple[DeliveryJob, Outcome]]
    ) -> None:
        rows = [o.extra["mail"] for _, o in results if "mail" in o.extra]
        if not rows:
            return
        statement = insert(mail_messages_table)
        # The same delivery tried again rewrites its record (the same Message-ID every time).
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["delivery_id"],
                set_={
                    "to_addresses": statement.excluded.to_addresses,
                    "subject": statement.excluded.subject,
                    "text_body": statement.excluded.text_body,
                    "html_body": statement.excluded.html_body,
                    "sent_at": statement.excluded.sent_at,
                },
            ),
            rows,
        )
