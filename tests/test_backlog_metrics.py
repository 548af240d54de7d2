"""The backlog gauges the alerts read: rows written straight into each real service's
database, one sampling round, the values read back from the app's own /metrics."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ops_support import labels, running_services, samples

from careplane_shared.sampled_metrics import MetricsSampler
from careplane_shared.testing.pieces import CONTRACTS

OUTBOX_ROW = text(
    "INSERT INTO outbox_events (id, destination, type, envelope, created_at, available_at,"
    " attempts, delivered_at)"
    " VALUES (:id, :destination, 'test.event', '{}', now() - make_interval(secs => :age),"
    " now(), 3, CASE WHEN :delivered THEN now() END)"
)


async def outbox_rows(connection, *rows: tuple[str, float, bool]) -> None:
    """(destination, age in seconds, delivered) per row."""
    for destination, age, delivered in rows:
        await connection.execute(
            OUTBOX_ROW,
            {
                "id": uuid.uuid4(),
                "destination": destination,
                "age": age,
                "delivered": delivered,
            },
        )


async def test_outbox_backlog_per_service_and_destination(provision_database, tmp_path):
    async with running_services(provision_database, tmp_path) as services:
        tickets, contracts, notify = services["tickets"], services["contracts"], services["notify"]
        await outbox_rows(
            tickets.connection,
            ("notify", 600, False),
            ("notify", 30, False),
            ("notify", 7200, True),  # delivered long ago: not backlog
        )
        await outbox_rows(contracts.connection, ("tickets", 45, False))
        await outbox_rows(notify.connection, ("elsewhere", 5, True))
        for service in services.values():
            await service.sample()

        found = await samples(tickets.client)
        pending = found["careplane_outbox_pending_events"]
        age = found["careplane_outbox_oldest_pending_age_seconds"]
        assert pending[labels(service="tickets", destination="notify")] == 2
        assert age[labels(service="tickets", destination="notify")] == 600
        # A configured destination with nothing waiting reads 0, not nothing.
        assert pending[labels(service="tickets", destination="contracts")] == 0
        assert age[labels(service="tickets", destination="contracts")] == 0
        assert pending[labels(service="contracts", destination="tickets")] == 1
        assert age[labels(service="contracts", destination="tickets")] == 45
        assert pending[labels(service="contracts", destination="notify")] == 0
        sampled = found["careplane_metrics_sampled_timestamp_seconds"]
        assert {dict(key)["service"] for key in sampled} >= {"tickets", "contracts", "notify"}


TICKET = text(
    "INSERT INTO tickets (id, number, contact_id, product_id, version, subject, description,"
    " type, channel, status, received_at, entitlement_status, opened_by)"
    " VALUES (:id, :number, :id, :id, '1.0', 'Pumps offline', 'Station 4', 'INCIDENT', 'portal',"
    " 'OPEN', now(), 'entitled', 'test')"
)
TIMER = text(
    "INSERT INTO sla_timers (id, ticket_id, metric, cycle, kind, fire_at, due_at, fired_at)"
    " VALUES (:id, :ticket, :metric, 0, :kind, now() + make_interval(secs => :offset),"
    " now() + make_interval(secs => :offset), :fired)"
)


async def test_sla_timer_lag_is_the_oldest_unfired_due_timer(provision_database, tmp_path):
    async with running_services(provision_database, tmp_path) as services:
        tickets = services["tickets"]
        await tickets.sample()
        lag = (await samples(tickets.client))["careplane_sla_timer_lag_seconds"]
        assert lag[labels(service="tickets")] == 0  # no timer at all

        ticket = uuid.uuid4()
        await tickets.connection.execute(TICKET, {"id": ticket, "number": f"T-{ticket.hex[:8]}"})
        now = await tickets.connection.scalar(text("SELECT now()"))
        for metric, kind, offset, fired in (
            ("first_response", "warning", -90, None),  # overdue by 90 s: the lag
            ("first_response", "breach", -3000, now),  # fired already: not lag
            ("resolution", "warning", -20, None),
            ("resolution", "breach", 3600, None),  # not due yet
        ):
            await tickets.connection.execute(
                TIMER,
                {
                    "id": uuid.uuid4(),
                    "ticket": ticket,
                    "metric": metric,
                    "kind": kind,
                    "offset": offset,
                    "fired": fired,
                },
            )
        await tickets.sample()
        lag = (await samples(tickets.client))["careplane_sla_timer_lag_seconds"]
        assert lag[labels(service="tickets")] == 90


DELIVERY = text(
    "INSERT INTO deliveries (id, channel, target, event_id, event_source, event_type,"
    " event_time, payload, status, next_attempt_at, created_at)"
    " VALUES (:id, 'webhook', :target, :event_id, 'tickets', 'ticket.opened', now(), '{}', :status,"
    " now() + make_interval(secs => :due), now() - make_interval(secs => :age))"
)


async def test_delivery_backlog_and_failures(provision_database, tmp_path):
    async with running_services(provision_database, tmp_path) as services:
        notify = services["notify"]
        rows = (
            # status, next attempt in (s, negative: overdue), created (s ago)
            ("pending", -120, 130),  # due two minutes ago, no worker took it: the lag
            ("pending", 1800, 4000),  # a retry waiting for its time: queued, not overdue
            ("delivering", -5, 10),
            ("succeeded", -9000, 9000),
            ("failed", 0, 86400),
            ("dead", 0, 4 * 86400),
            ("dead", 0, 3600),
            ("failed", 0, 10 * 86400),  # older than the 7-day window
        )
        for status, due, age in rows:
            await notify.connection.execute(
                DELIVERY,
                {
                    "id": uuid.uuid4(),
                    "event_id": str(uuid.uuid4()),
                    "target": f"webhook:{uuid.uuid4()}",
                    "status": status,
                    "due": due,
                    "age": age,
                },
            )
        await notify.sample()

        found = await samples(notify.client)
        assert found["careplane_notify_deliveries_pending"][labels(service="notify")] == 3
        assert (
            found["careplane_notify_deliveries_oldest_due_seconds"][labels(service="notify")] == 120
        )
        failed = found["careplane_notify_deliveries_failed"]
        assert failed[labels(service="notify", status="failed")] == 1
        assert failed[labels(service="notify", status="dead")] == 2


async def test_a_failing_probe_leaves_the_sampled_time_alone(provision_database, tmp_path):
    """The staleness alert reads the time of the last round in which every probe answered."""

    async def broken(session, service):
        await session.execute(text("SELECT * FROM no_such_table"))

    async with running_services(provision_database, tmp_path) as services:
        tickets = services["tickets"]
        sampler = MetricsSampler("sampler-under-test", [broken], every_seconds=15)
        await sampler.run_once(tickets.app.state.database.sessionmaker)
        sampled = (await samples(tickets.client))["careplane_metrics_sampled_timestamp_seconds"]
        assert labels(service="sampler-under-test") not in sampled

        sampler.probes = ()
        await sampler.run_once(tickets.app.state.database.sessionmaker)
        sampled = (await samples(tickets.client))["careplane_metrics_sampled_timestamp_seconds"]
        assert sampled[labels(service="sampler-under-test")] > 0


async def test_a_service_that_runs_workers_samples_in_the_background(provision_database, tmp_path):
    """No test calls the sampler here: the worker started with the app does."""
    async with CONTRACTS.database(provision_database) as database:
        settings = CONTRACTS.settings(
            database,
            service_name="contracts-with-workers",
            run_workers=True,
            outbox_targets={},
            jwt_private_key_file=tmp_path / "jwt.pem",
            license_private_key_file=tmp_path / "license.pem",
        )
        async with CONTRACTS.client(settings) as client:
            sampled: dict = {}
            for _ in range(100):  # the first round runs at start; at most 10 s
                sampled = (await samples(client))["careplane_metrics_sampled_timestamp_seconds"]
                if labels(service="contracts-with-workers") in sampled:
                    break
                await asyncio.sleep(0.1)
            assert labels(service="contracts-with-workers") in sampled
            pending = (await samples(client))["careplane_outbox_pending_events"]
            assert not any(dict(key)["service"] == "contracts-with-workers" for key in pending)
