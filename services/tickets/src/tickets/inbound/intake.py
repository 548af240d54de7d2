"""The intake worker: every stored mail, in the order it arrived, becomes a bounce record,
a reply in its case, a new case, an answer to an unknown sender, or a quarantined mail.

The order of the checks is the safety: bounces are recognised first (never answered);
then malformed and unverified mail is held; then the mail is threaded (tickets.inbound.
threading) and its sender checked against the case (a participant, or a contact of the
case's customer who may see it) before anything is written to a case; only then may a
mail that names no case open one, for a registered contact within the limits.

Each mail is processed in its own transaction, its writes in a savepoint: a mail the
services refuse (not entitled, say) is recorded as such, and one that fails for a reason
that passes (contracts unreachable) stays RECEIVED for the next round, up to
``inbound_max_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careplane_shared.errors import CareplaneError
from careplane_shared.leases import cancelled_meanwhile, releasing
from tickets import access
from tickets.clients.contracts import ContractsUnavailable
from tickets.config import TicketsSettings
from tickets.inbound import auth_results, directory, limits, loops, storage, threading
from tickets.inbound.deliver import Services, contact_principal, open_case, reply
from tickets.inbound.models import InboundMessage, QuarantinedMail
from tickets.inbound.parse import ParsedMail, parse
from tickets.inbound.tokens import token_matches
from tickets.models import Ticket

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    support_address: str
    bounce_address: str
    secret: str
    domains: list[str]
    trusted_relays: list[str] = field(default_factory=list)
    require_verdict: bool = False
    auto_answers_per_hour: int = 5
    cases_per_sender_per_hour: int = 10
    cases_per_domain_per_hour: int = 50
    lease_seconds: int = 120
    max_attempts: int = 5

    @classmethod
    def of(cls, settings: TicketsSettings) -> IntakeConfig:
        return cls(
            support_address=settings.inbound_support_address.lower(),
            bounce_address=settings.inbound_bounce_address.lower(),
            secret=settings.inbound_reply_secret,
            domains=settings.inbound_domains,
            trusted_relays=settings.inbound_trusted_relays,
            require_verdict=settings.inbound_verdict_required,
            auto_answers_per_hour=settings.inbound_auto_answers_per_hour,
            cases_per_sender_per_hour=settings.inbound_cases_per_sender_per_hour,
            cases_per_domain_per_hour=settings.inbound_cases_per_domain_per_hour,
            lease_seconds=settings.inbound_lease_seconds,
            max_attempts=settings.inbound_max_attempts,
        )


def finish(row: InboundMessage, status: str, outcome: str, **detail: object) -> None:
    row.status = status
    row.outcome = outcome
    row.detail = {**row.detail, **{k: v for k, v in detail.items() if v is not None}}
    row.processed_at = datetime.now(UTC)
    row.locked_until = None


def quarantine(
    session: AsyncSession, row: InboundMessage, reason: str, ticket: Ticket | None = None
) -> None:
    session.add(
        QuarantinedMail(
            id=uuid.uuid4(),
            inbound_id=row.id,
            reason=reason,
            ticket_id=ticket.id if ticket else None,
            ticket_number=ticket.number if ticket else None,
            status="HELD",
            created_at=datetime.now(UTC),
        )
    )
    row.ticket_id = ticket.id if ticket else None
    finish(row, "QUARANTINED", "quarantined", reason=reason)


async def find_case(
    session: AsyncSession, mail: ParsedMail, row: InboundMessage, config: IntakeConfig
) -> tuple[Ticket | None, str | None]:
    """The case the mail answers and by which rule, trying the rules in order."""
    for reference in threading.references(
        mail, recipients=row.rcpt_to, support_address=config.support_address,
        domains=config.domains,
    ):  # fmt: skip
        ticket = await session.scalar(select(Ticket).where(Ticket.number == reference.number))
        if ticket is None:
            continue
        if reference.token is not None and not token_matches(
            config.secret, ticket.id, reference.token
        ):
            mail.flags.add("bad_reply_token")
            continue
        return ticket, reference.method.value
    return None, None


def may_write_to(ticket: Ticket, contact: directory.Contact | None) -> bool:
    """A participant (the case's own contact) or a contact of its customer who may see it
    (on plans where contacts see only their own cases, only the participant)."""
    if contact is None or not contact.active:
        return False
    if contact.id == str(ticket.contact_id):
        return True
    return access.may_see_ticket(contact_principal(contact), ticket)


async def process(
    session: AsyncSession, services: Services, config: IntakeConfig, row: InboundMessage
) -> None:
    mail = parse(row.raw, attachment_limit=services.attachment_limit)
    row.message_id = mail.message_id[:500] if mail.message_id else None
    row.from_address = mail.from_address
    row.from_domain = mail.from_address.rpartition("@")[2] if mail.from_address else None
    row.subject = mail.subject[:1000]
    now = datetime.now(UTC)
    if loops.is_bounce(mail, mail_from=row.mail_from, rcpt_to=row.rcpt_to):
        await _bounce(session, services, config, row, mail)
        return
    if mail.from_address is None or "unparseable" in mail.flags:
        quarantine(session, row, "MALFORMED")
        row.detail = {**row.detail, "flags": sorted(mail.flags)}
        return
    verdict = auth_results.verdict(mail.authentication_results, trusted=config.trusted_relays)
    row.detail = {**row.detail, "flags": sorted(mail.flags), "authentication": verdict}
    if auth_results.unverified(verdict) or (config.require_verdict and not verdict):
        # A failed check, or none at all where one is required: the From is only a claim.
        quarantine(session, row, "UNVERIFIED_SENDER")
        return
    address = mail.from_address
    await limits.lock_address(session, address)
    no_answer = loops.no_auto_answer_reason(
        mail, mail_from=row.mail_from, own_addresses=[config.support_address, config.bounce_address]
    )
    if no_answer is None and not await limits.may_answer(
        session, address, now=now, per_hour=config.auto_answers_per_hour
    ):
        no_answer = "hourly_limit"
    ticket, method = await find_case(session, mail, row, config)
    contact = await directory.contact_by_email(
        services.contracts,
        address,
        customer_id=str(ticket.customer_id) if ticket is not None and ticket.customer_id else None,
    )
    if ticket is not None:
        row.detail = {**row.detail, "threaded_by": method}
        if not may_write_to(ticket, contact):
            quarantine(session, row, "FOREIGN_SENDER", ticket)
            return
        assert contact is not None
        await _deliver_reply(session, services, row, mail, ticket, contact, no_answer)
        return
    if contact is None or not contact.may_open:
        await _unknown_sender(session, services, config, row, mail, no_answer, now)
        return
    await _open(session, services, config, row, mail, contact, no_answer, now)


def _answer_extra(no_answer: str | None) -> dict[str, object]:
    return {} if no_answer is None else {"auto_answer": False}


async def _deliver_reply(
    session: AsyncSession,
    services: Services,
    row: InboundMessage,
    mail: ParsedMail,
    ticket: Ticket,
    contact: directory.Contact,
    no_answer: str | None,
) -> None:
    try:
        async with session.begin_nested():
            outcome, case, message = await reply(
                session, services, ticket=ticket, principal=contact_principal(contact),
                mail=mail, received_at=row.received_at,
                event_extra=_answer_extra(no_answer),
            )  # fmt: skip
    except CareplaneError as exc:
        finish(row, "DONE", "refused", code=exc.code)
        return
    row.ticket_id = case.id
    row.ticket_message_id = message.id if message else None
    finish(row, "DONE", outcome, no_auto_answer=no_answer)


async def _unknown_sender(
    session: AsyncSession,
    services: Services,
    config: IntakeConfig,
    row: InboundMessage,
    mail: ParsedMail,
    no_answer: str | None,
    now: datetime,
) -> None:
    address = mail.from_address or ""
    answered = no_answer is None and not await limits.unknown_sender_answered_today(
        session, address, now=now
    )
    if answered:
        limits.record_answer(session, address, "unknown_sender", now=now)
        await _emit(session, services, "mail.unknown_sender", {
            "address": address,
            "subject": mail.subject[:300],
            "language": "nl" if (mail.content_language or "").lower().startswith("nl") else "en",
            "support_address": config.support_address,
            "inbound_message_id": mail.message_id,
            "inbound_id": str(row.id),
        }, row)  # fmt: skip
    finish(row, "DONE", "unknown_sender", answered=answered, no_auto_answer=no_answer)


async def _open(
    session: AsyncSession,
    services: Services,
    config: IntakeConfig,
    row: InboundMessage,
    mail: ParsedMail,
    contact: directory.Contact,
    no_answer: str | None,
    now: datetime,
) -> None:
    address, domain = contact.email, row.from_domain
    since = now - limits.HOUR
    if (
        await limits.cases_opened_since(session, since=since, address=address)
        >= config.cases_per_sender_per_hour
        or await limits.cases_opened_since(session, since=since, domain=domain)
        >= config.cases_per_domain_per_hour
    ):
        finish(row, "DONE", "limited")
        return
    product = await directory.product_for(services.contracts, contact.customer_id)
    if product is None:
        finish(row, "DONE", "no_agreement")
        return
    try:
        async with session.begin_nested():
            ticket = await open_case(
                session, services, contact_id=uuid.UUID(contact.id),
                product_id=uuid.UUID(product[0]), version=product[1], mail=mail,
                received_at=row.received_at, event_extra=_answer_extra(no_answer),
                extra_refs={"inbound_id": str(row.id)},
            )  # fmt: skip
    except CareplaneError as exc:
        finish(row, "DONE", "refused", code=exc.code)
        return
    if no_answer is None:
        limits.record_answer(session, address, "ack", now=now)
    row.ticket_id = ticket.id
    finish(row, "DONE", "opened", no_auto_answer=no_answer)


async def _bounce(
    session: AsyncSession,
    services: Services,
    config: IntakeConfig,
    row: InboundMessage,
    mail: ParsedMail,
) -> None:
    report = mail.report
    delivery = loops.bounced_delivery(mail, rcpt_to=row.rcpt_to, bounce_base=config.bounce_address)
    if delivery is None and report is not None and report.original_message_id:
        local = report.original_message_id.partition("@")[0]
        with contextlib.suppress(ValueError):
            delivery = uuid.UUID(local).hex
    if delivery is None:
        finish(row, "DONE", "bounce_unmatched")
        return
    await _emit(session, services, "mail.bounced", {
        "delivery_id": str(uuid.UUID(hex=delivery)),
        "recipient": report.recipient if report else None,
        "status": report.status if report else None,
        "action": report.action if report else "failed",
        "diagnostic": report.diagnostic if report else None,
        "inbound_id": str(row.id),
    }, row)  # fmt: skip
    finish(row, "DONE", "bounce", delivery_id=str(uuid.UUID(hex=delivery)))


async def _emit(
    session: AsyncSession, services: Services, type: str, data: dict[str, object],
    row: InboundMessage,
) -> None:  # fmt: skip
    await services.outbox.emit(session, type, data, subject=str(row.id))


# -- the worker ---------------------------------------------------------------------------


async def process_one(
    maker: async_sessionmaker[AsyncSession], services: Services, config: IntakeConfig,
    inbound_id: uuid.UUID, *, stop: asyncio.Event | None = None,
) -> None:  # fmt: skip
    """One claimed mail in its own transaction; a failure leaves it for the next round.
    An error is taken for the worker's own cancellation only once ``stop`` is set: a
    library that cancelled the task for a timeout of its own may leave a cancellation
    pending, and a plain failure then must not end the worker."""
    try:
        async with maker() as session, session.begin():
            row = await session.get(InboundMessage, inbound_id, with_for_update=True)
            if row is None or row.status != "RECEIVED":
                return
            await process(session, services, config, row)
    except Exception as exc:
        if stop is not None and stop.is_set() and cancelled_meanwhile():
            # Abandoned at shutdown, not failed: released with the rest of the claim.
            raise asyncio.CancelledError from exc
        transient = isinstance(exc, ContractsUnavailable)
        log.warning("inbound_failed", id=str(inbound_id), error=str(exc), transient=transient)
        async with maker() as session, session.begin():
            row = await session.get(InboundMessage, inbound_id, with_for_update=True)
            if row is None:
                return
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
            # Contracts being away is no reason to give a mail up: it waits (a lease at a
            # time) until contracts answers. Anything else fails it after a few tries.
            if not transient and row.attempts >= config.max_attempts:
                finish(row, "FAILED", "failed")


async def drain(
    maker: async_sessionmaker[AsyncSession], services: Services, config: IntakeConfig,
    *, rounds: int = 100, stop: asyncio.Event | None = None,
) -> int:  # fmt: skip
    """Processes what is waiting (at most ``rounds`` batches); returns how many it took.
    Once ``stop`` is set it claims nothing more, finishes the mail in hand, and gives the
    rest of its claim back (:mod:`careplane_shared.leases`)."""
    taken = 0
    for _ in range(rounds):
        if stop is not None and stop.is_set():
            break
        async with releasing("mail-intake", partial(_release, maker)) as held:
            async with maker() as session, session.begin():
                claimed = await storage.claim(session, lease_seconds=config.lease_seconds)
                held.claimed((row.id, row.locked_until) for row in claimed)
            if not claimed:
                break
            for inbound_id, lease in held.pending():
                if stop is not None and stop.is_set():
                    break
                await process_one(maker, services, config, inbound_id, stop=stop)
                held.settled([(inbound_id, lease)])
                taken += 1
    return taken


async def _release(
    maker: async_sessionmaker[AsyncSession], held: list[tuple[uuid.UUID, datetime]]
) -> int:
    async with maker() as session, session.begin():
        return await storage.release(session, held)


async def run_intake_worker(
    maker: async_sessionmaker[AsyncSession], services: Services, config: IntakeConfig,
    stop: asyncio.Event, wake: asyncio.Event, *, poll_seconds: float,
) -> None:  # fmt: skip
    """Drains, then waits for a mail stored by this process (``wake``) or ``poll_seconds``
    (mail stored by another replica, retries after a lease), until stopped."""
    while not stop.is_set():
        try:
            await drain(maker, services, config, stop=stop)
        except Exception:
            log.exception("inbound_worker_error")
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_first(stop, wake), timeout=poll_seconds)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
