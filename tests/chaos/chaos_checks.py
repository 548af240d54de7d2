"""What the chaos run checks once the stack has recovered, read from the services'
databases and from what the sinks received, and the figures it prints.

Each figure named ``*_wrong``, ``doubled_*``, ``lost_*`` or ``*_left`` must be 0 (the
test asserts them): a case stored twice, an event not delivered to its target, a repeat
under another id, an outbox row never delivered, a timer fired twice, a close booked
twice or not at all, a case still waiting for its entitlement.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

import asyncpg
from _harness import Sinks
from chaos_load import SUBJECT_PREFIX, WEBHOOK_EVENTS, Callers, LoadFigures
from chaos_stack import ReplicatedStack

SLA_EVENTS = ("sla.warning", "sla.breached")
MUST_BE_ZERO = ("doubled_", "lost_", "_wrong", "_left", "_missing")


@dataclass
class Checked:
    cases_stored: int = 0
    doubled_cases: int = 0  # keys (subjects) stored more than once
    acked_missing: int = 0  # acknowledged cases not stored, or stored under another key
    stored_unacked: int = 0  # keys given up by the caller but stored (once): allowed
    webhooks_received: int = 0  # by the receiver, repeats included
    mails_received: int = 0  # by the SMTP sink, repeats included
    events_to_notify: int = 0  # this run's case events for notify (opened, replied, closed)
    before_customer_known: int = 0  # events emitted while the case had no customer yet
    announced_late: int = 0  # cases announced to their customer once rechecked (customer_only)
    lost_webhooks: int = 0  # case events naming the customer whose webhook never arrived
    lost_openings: int = 0  # cases whose opening the customer's webhook never heard of
    lost_replies: int = 0  # public messages the customer's webhook never heard of
    doubled_replies: int = 0  # agent replies (one Idempotency-Key each) stored more than once
    lost_mails: int = 0  # opened cases whose acknowledgement mail never arrived
    webhook_repeats: int = 0  # arrivals beyond the first, same webhook-id
    mail_repeats: int = 0  # arrivals beyond the first, same Message-ID
    foreign_ids_wrong: int = (
        0  # webhook-ids or Message-IDs no delivery has: a resend under a new id
    )
    outbox_left: int = 0  # outbox rows not delivered, every service
    deliveries_left: int = 0  # notify deliveries not succeeded (pending, failed, dead ...)
    sla_events: int = 0
    timers_fired: int = 0  # of the timers the run made due
    doubled_timers: int = 0  # (case, metric, cycle, kind) fired more than once
    closed: int = 0  # cases the agent closed
    closes_undone_wrong: int = 0  # of them, not closed at the end
    booked: int = 0  # quota bookings (or extra billable tickets) of this run's cases
    bookings_wrong: int = 0  # closes not booked exactly once (none if closed before entitled)
    doubled_bookings: int = 0  # cases booked more than once, all of contracts
    pending_at_recovery: int = 0  # cases waiting for their entitlement when contracts came back
    pending_left: int = 0  # cases still waiting for it now

    def failures(self) -> dict[str, int]:
        """The figures that must be 0 and are not."""
        return {
            name: value
            for name, value in asdict(self).items()
            if value and (name.startswith(MUST_BE_ZERO) or name.endswith(MUST_BE_ZERO))
        }

    def settled(self) -> bool:
        """Everything delivered and rechecked (what the recovery wait waits for)."""
        return not (
            self.lost_webhooks
            or self.lost_openings
            or self.lost_replies
            or self.lost_mails
            or self.outbox_left
            or self.deliveries_left
            or self.pending_left
        )


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


async def _fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def _outbox_left(url: str) -> int:
    rows = await _fetch(
        url,
        "SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL",
    )
    return int(rows[0][0])


async def check(
    stack: ReplicatedStack, sinks: Sinks, callers: Callers, figures: LoadFigures
) -> Checked:
    urls = stack.database_urls
    checked = Checked(pending_at_recovery=len(figures.pending_at_recovery))
    cases = await _fetch(
        urls["tickets"],
        "SELECT id::text, subject, status, entitlement_status, agreement_id FROM tickets "
        "WHERE subject LIKE $1",
        f"{SUBJECT_PREFIX} chaos-{figures.run}-%",
    )
    by_key: dict[str, list[str]] = {}
    for case in cases:
        by_key.setdefault(case["subject"].removeprefix(f"{SUBJECT_PREFIX} "), []).append(case["id"])
    checked.cases_stored = len(cases)
    checked.doubled_cases = sum(1 for ids in by_key.values() if len(ids) > 1)
    checked.acked_missing = sum(
        1 for key, case in figures.acked.items() if by_key.get(key) != [case]
    )
    checked.stored_unacked = sum(1 for key in by_key if key not in figures.acked)
    case_ids = [uuid.UUID(case["id"]) for case in cases]
    checked.pending_left = sum(1 for case in cases if case["entitlement_status"] == "pending")

    events = await _fetch(
        urls["tickets"],
        "SELECT id::text, type, envelope->'data'->>'ticket_id' AS case_id, "
        "envelope->'data'->>'customer_id' AS customer, "
        "envelope->'data'->>'message_id' AS message, "
        "coalesce((envelope->'data'->>'customer_only')::boolean, false) AS customer_only "
        "FROM outbox_events WHERE destination = 'notify' "
        "AND type = ANY($1) AND (envelope->'data'->>'ticket_id')::uuid = ANY($2)",
        WEBHOOK_EVENTS,
        case_ids,
    )
    checked.events_to_notify = len(events)
    seen = await asyncio.to_thread(sinks.seen)
    hooks, mails = seen["webhooks"], {_bare(k): v for k, v in seen["mails"].items()}
    checked.webhooks_received, checked.mails_received = sum(hooks.values()), sum(mails.values())
    # The customer's webhook gets the events that name the customer; one emitted before
    # the customer was known (a case accepted while contracts was down) reaches the
    # vendor's targets only, and the case's opening is announced to the customer later.
    for_customer = [event for event in events if event["customer"] is not None]
    checked.before_customer_known = len(events) - len(for_customer)
    checked.announced_late = sum(
        1 for event in events if event["customer_only"] and event["type"] == "ticket.opened"
    )
    checked.lost_webhooks = sum(1 for event in for_customer if event["id"] not in hooks)
    checked.webhook_repeats = sum(
        hooks[event["id"]] - 1 for event in for_customer if hooks.get(event["id"], 0) > 1
    )
    announced = {
        event["case_id"]
        for event in for_customer
        if event["type"] == "ticket.opened" and event["id"] in hooks
    }
    checked.lost_openings = sum(1 for case in cases if case["id"] not in announced)
    heard = {
        event["message"]
        for event in for_customer
        if event["type"] == "ticket.replied" and event["id"] in hooks
    }
    said = await _fetch(
        urls["tickets"],
        "SELECT id::text FROM messages WHERE NOT internal AND ticket_id = ANY($1)",
        case_ids,
    )
    checked.lost_replies = sum(1 for message in said if message["id"] not in heard)
    repeated = await _fetch(
        urls["tickets"],
        "SELECT count(*) FROM (SELECT 1 FROM messages WHERE ticket_id = ANY($1) "
        "AND body LIKE 'Reply %' GROUP BY ticket_id, body HAVING count(*) > 1) doubled",
        case_ids,
    )
    checked.doubled_replies = int(repeated[0][0])
    opened = [
        event["id"]
        for event in events
        if event["type"] == "ticket.opened" and not event["customer_only"]
    ]
    acknowledgements = await _fetch(
        urls["notify"],
        "SELECT d.event_id, m.message_id FROM deliveries d "
        "LEFT JOIN mail_messages m ON m.delivery_id = d.id "
        "WHERE d.channel = 'email' AND d.event_id = ANY($1) AND d.target = $2",
        opened,
        f"contact:{callers.contact_id}",
    )
    mail_of = {row["event_id"]: _bare(row["message_id"] or "") for row in acknowledgements}
    checked.lost_mails = sum(1 for event in opened if mails.get(mail_of.get(event, ""), 0) == 0)
    checked.mail_repeats = sum(mails[m] - 1 for m in mail_of.values() if mails.get(m, 0) > 1)
    known = await _fetch(
        urls["notify"],
        "SELECT d.event_id, m.message_id FROM deliveries d "
        "LEFT JOIN mail_messages m ON m.delivery_id = d.id",
    )
    known_hooks = {row["event_id"] for row in known}
    known_mails = {_bare(row["message_id"]) for row in known if row["message_id"]}
    checked.foreign_ids_wrong = sum(1 for h in hooks if h not in known_hooks) + sum(
        1 for m in mails if m not in known_mails
    )
    left = await _fetch(
        urls["notify"],
        "SELECT count(*) FROM deliveries WHERE status <> 'succeeded' "
        "AND (endpoint_id = $1 OR target = $2)",
        uuid.UUID(callers.endpoint_id),
        f"contact:{callers.contact_id}",
    )
    checked.deliveries_left = int(left[0][0])
    for service in ("tickets", "contracts"):
        checked.outbox_left += await _outbox_left(urls[service])

    sla = await _fetch(
        urls["tickets"],
        "SELECT envelope->'data'->>'ticket_id' AS ticket, envelope->'data'->>'metric' AS metric, "
        "envelope->'data'->>'cycle' AS cycle, type, count(DISTINCT id) AS fired "
        "FROM outbox_events WHERE type = ANY($1) GROUP BY 1, 2, 3, 4",
        list(SLA_EVENTS),
    )
    checked.sla_events = sum(int(row["fired"]) for row in sla)
    checked.doubled_timers = sum(1 for row in sla if int(row["fired"]) > 1)
    fired = await _fetch(
        urls["tickets"],
        "SELECT count(*) FROM sla_timers WHERE kind = 'warning' AND fired_at IS NOT NULL "
        "AND ticket_id = ANY($1)",
        case_ids,
    )
    checked.timers_fired = int(fired[0][0])

    # A close books one ticket when its ticket.closed names an agreement that counts;
    # a case closed before its entitlement was known books none.
    closings = await _fetch(
        urls["tickets"],
        "SELECT (envelope->'data'->>'ticket_id')::uuid AS case_id, "
        "envelope->'data'->>'agreement_id' IS NOT NULL "
        "AND coalesce((envelope->'data'->>'counts_against_quota')::boolean, true) AS counts "
        "FROM outbox_events WHERE destination = 'contracts' AND type = 'ticket.closed' "
        "AND (envelope->'data'->>'ticket_id')::uuid = ANY($1)",
        case_ids,
    )
    expected: dict[uuid.UUID, int] = {}
    for row in closings:  # a case closed before it opened has a second, uncounted one
        expected[row["case_id"]] = max(expected.get(row["case_id"], 0), int(row["counts"]))
    status_of = {case["id"]: case["status"] for case in cases}
    checked.closed = len(figures.closed)
    checked.closes_undone_wrong = sum(
        1 for case in figures.closed if status_of.get(case) != "CLOSED"
    )
    bookings = await _fetch(
        urls["contracts"],
        "SELECT ticket_id, count(*) AS n FROM ("
        " SELECT ticket_id FROM quota_entries WHERE kind = 'consume'"
        " UNION ALL SELECT ticket_id FROM billable_items WHERE kind = 'extra_ticket'"
        ") booked WHERE ticket_id IS NOT NULL GROUP BY ticket_id",
    )
    booked = {row["ticket_id"]: int(row["n"]) for row in bookings}
    checked.booked = sum(booked.get(case, 0) for case in expected)
    checked.bookings_wrong = sum(1 for case, n in expected.items() if booked.get(case, 0) != n)
    checked.doubled_bookings = sum(1 for n in booked.values() if n > 1)
    return checked


async def wait_for_recovery(
    stack: ReplicatedStack,
    sinks: Sinks,
    callers: Callers,
    figures: LoadFigures,
    *,
    limit: float,
) -> tuple[Checked, float | None]:
    """Checks every second until everything is delivered and rechecked: the last check
    and the seconds that took (None if it was not within ``limit``)."""
    started = time.monotonic()
    while True:
        checked = await check(stack, sinks, callers, figures)
        if checked.settled():
            return checked, time.monotonic() - started
        if time.monotonic() - started > limit:
            return checked, None
        await asyncio.sleep(1.0)


def table(rows: list[tuple[str, object]], say: Callable[[str], None]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        say(f"  {label.ljust(width)}  {value}")
