"""Claiming due deliveries, fairly, under a lease; giving dead workers' rows back.

A claim is one statement (the shape of the shared ``OutboxRelay``): ``FOR UPDATE SKIP
LOCKED`` picks due rows no other worker is taking, and the same statement marks them
delivering under this worker's lease. Leases make crashed workers' rows claimable again
(:func:`reap_expired`), so any number of workers cooperate.

One tenant's target must not stall the others, so the claim is fair:

- a target (webhook endpoint, chat channel, mail recipient) has at most
  ``delivery_target_concurrency`` deliveries in flight: the claim ranks the due rows per
  target (a window function) and takes no more of one target than it has free slots, counting
  what every worker holds under a live lease (each worker also holds a semaphore per target,
  :class:`notify.deliveries.attempt.TargetLimits`). A flood for one target leaves the rest
  of the batch to the others;
- a customer has at most ``delivery_customer_concurrency`` deliveries in flight, all its
  targets together (endpoints per customer are capped too, but a few endpoints times their
  slots could still fill a batch): the rows the target ranking lets through are ranked again
  per customer, the same way, counting what the customer has in flight. Deliveries of no
  customer (staff mail, global endpoints and channels) are not limited by it.

The ranking reads every due row (roughly half a second per 100,000 due rows on a small
machine); should backlogs grow past that, an index on the active rows' ``(target,
next_attempt_at)`` and a claim per target (a loose index scan with a lateral join) would make
it depend on the number of targets instead.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Interval,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from notify.channels.base import DeliveryJob
from notify.deliveries.schedule import MAX_ATTEMPTS
from notify.models import deliveries_table, delivery_attempts_table

ACTIVE = ("pending", "delivering")
# A row whose workers keep dying (lease after lease) without recording an outcome is a
# poison message: after this many claims it is dead rather than claimed forever.
MAX_CLAIMS = 2 * MAX_ATTEMPTS
LEASE_LOST = "The worker's lease ran out before it recorded an outcome."


def target_key(job: DeliveryJob) -> str:
    """The target a delivery counts against: its endpoint or chat channel, else its
    recipient. The claim query computes the same (``_target_key``)."""
    return str(job.endpoint_id) if job.endpoint_id is not None else job.target


def _target_key() -> Any:
    d = deliveries_table
    return func.coalesce(cast(d.c.endpoint_id, Text), d.c.target)


# The columns a claimed row is returned with: a DeliveryJob's fields, in order.
JOB_COLUMNS = tuple(field.name for field in fields(DeliveryJob))


def _claim_statement() -> Any:
    """The claim, built once: the limits, the lease and the worker are bound parameters, so
    every claim reuses one compiled statement (and one prepared statement per connection)."""
    d = deliveries_table
    now = func.now()
    key = _target_key()
    due_now = and_(
        d.c.status.in_(ACTIVE),
        d.c.next_attempt_at <= now,
        or_(d.c.locked_until.is_(None), d.c.locked_until < now),
    )
    in_flight = and_(d.c.status == "delivering", d.c.locked_until >= now)
    busy = (
        select(key.label("key"), func.count().label("n")).where(in_flight).group_by(key).cte("busy")
    )
    customer_busy = (
        select(d.c.customer_id, func.count().label("n"))
        .where(in_flight, d.c.customer_id.is_not(None))
        .group_by(d.c.customer_id)
        .cte("customer_busy")
    )
    ranked = (
        select(
            d.c.id,
            d.c.customer_id,
            d.c.next_attempt_at,
            (
                func.row_number().over(partition_by=key, order_by=(d.c.next_attempt_at, d.c.id))
                + func.coalesce(busy.c.n, 0)
            ).label("slot"),
        )
        .select_from(d.outerjoin(busy, busy.c.key == key))
        .where(due_now)
        .cte("ranked")
    )
    target_fair = (
        select(ranked.c.id, ranked.c.customer_id, ranked.c.next_attempt_at)
        .where(ranked.c.slot <= bindparam("per_target", type_=Integer))
        .subquery("target_fair")
    )
    customer_ranked = (
        select(
            target_fair.c.id,
            target_fair.c.customer_id,
            (
                func.row_number().over(
                    partition_by=target_fair.c.customer_id,
                    order_by=(target_fair.c.next_attempt_at, target_fair.c.id),
                )
                + func.coalesce(customer_busy.c.n, 0)
            ).label("slot"),
        )
        .select_from(
            target_fair.outerjoin(
                customer_busy, customer_busy.c.customer_id == target_fair.c.customer_id
            )
        )
        .subquery("customer_ranked")
    )
    # Not limited itself: rows another worker is locking right now are skipped below and
    # the next fair ones taken instead. Computed once (an array), then looked up by key:
    # a plan that recomputed the ranking per row would be quadratic.
    fair = func.array(
        select(customer_ranked.c.id)
        .where(
            or_(
                customer_ranked.c.customer_id.is_(None),
                customer_ranked.c.slot <= bindparam("per_customer", type_=Integer),
            )
        )
        .scalar_subquery()
    )
    due = (
        select(d.c.id)
        .where(d.c.id == func.any(fair), due_now)
        .order_by(d.c.next_attempt_at)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(of=d, skip_locked=True)
        .cte("due")
    )
    return (
        update(d)
        .where(d.c.id == due.c.id)
        .values(
            status="delivering",
            locked_until=now + bindparam("lease", type_=Interval),
            locked_by=bindparam("worker_id", type_=String),
            attempts=d.c.attempts + 1,
            updated_at=now,
        )
        .returning(
            *(d.c[name] for name in JOB_COLUMNS),
            # Every row due at the claim, taken or not (the ranking reads them all anyway).
            select(func.count()).select_from(ranked).scalar_subquery().label("due"),
        )
    )


CLAIM = _claim_statement()


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a claim took, and whether it left due rows behind."""

    jobs: list[DeliveryJob]
    # Due rows it did not take: held back for fairness, being claimed by another worker, or
    # past the limit. None when it took nothing (the count comes with the rows taken).
    left: int | None


async def claim_due(
    session: AsyncSession,
    *,
    limit: int,
    per_target: int,
    per_customer: int,
    lease: timedelta,
    worker_id: str,
) -> list[DeliveryJob]:
    """Takes up to ``limit`` due rows: pending ones, and delivering ones whose lease ran
    out (their worker died); marks them delivering under ``worker_id``'s lease. Runs in
    the caller's transaction.

    Fair: per target, the due rows are ranked by when they came due, and a row is taken
    only while its rank plus what is in flight to its target (live leases, any worker)
    stays within ``per_target``; the rows that pass are ranked the same way per customer
    against ``per_customer`` (rows of no customer pass); the oldest of those rows go
    first."""
    claimed = await claim(
        session,
        limit=limit,
        per_target=per_target,
        per_customer=per_customer,
        lease=lease,
        worker_id=worker_id,
    )
    return claimed.jobs


async def claim(
    session: AsyncSession,
    *,
    limit: int,
    per_target: int,
    per_customer: int,
    lease: timedelta,
    worker_id: str,
) -> Claimed:
    """:func:`claim_due`, saying also how many due rows it left behind."""
    connection = await session.connection()
    rows = (
        await connection.execute(
            CLAIM,
            {
                "limit": limit,
                "per_target": per_target,
                "per_customer": per_customer,
                "lease": timedelta(seconds=int(lease.total_seconds())),
                "worker_id": worker_id,
            },
        )
    ).all()
    jobs = [DeliveryJob(*row[:-1]) for row in rows]
    return Claimed(jobs, rows[0].due - len(rows) if rows else None)


def _reap_statement() -> Any:
    d = deliveries_table
    expired = (
        select(d.c.id, d.c.locked_by, d.c.locked_until)
        .where(d.c.status == "delivering", d.c.locked_until < func.now())
        .with_for_update(skip_locked=True)
        .cte("expired")
    )
    return (
        update(d)
        .where(d.c.id == expired.c.id)
        .values(
            status=case((d.c.attempts >= MAX_CLAIMS, "dead"), else_="pending"),
            locked_by=None,
            locked_until=None,
            next_attempt_at=func.now(),
            last_error=LEASE_LOST,
            updated_at=func.now(),
        )
        .returning(
            d.c.id,
            d.c.attempts,
            d.c.status,
            expired.c.locked_by,
            expired.c.locked_until,
        )
    )


REAP = _reap_statement()


async def reap_expired(session: AsyncSession, *, lease: timedelta) -> int:
    """Gives rows whose worker died (lease over, no outcome) back to the queue, with an
    attempt saying so; a row claimed too often without an outcome is dead. Runs in the
    caller's transaction; returns how many rows it gave back."""
    rows = (await session.execute(REAP)).all()
    if rows:
        await session.execute(
            insert(delivery_attempts_table),
            [
                {
                    "delivery_id": row.id,
                    "attempt": row.attempts,
                    "worker": row.locked_by or "?",
                    "started_at": row.locked_until - lease,
                    "duration_ms": int(lease.total_seconds() * 1000),
                    "outcome": "lease_expired",
                    "error": LEASE_LOST,
                    "retry_at": None if row.status == "dead" else datetime.now(UTC),
                }
                for row in rows
            ],
        )
    return len(rows)
