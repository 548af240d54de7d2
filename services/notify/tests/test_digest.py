"""Quiet hours and digests for staff mail that is not urgent: the pure rules with the clock
passed in, and the whole way through a real SMTP server with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st
from notify_testkit import drain, post_event, staff, ticket_event
from sqlalchemy import text

from careplane_shared.auth import Role
from careplane_shared.testing import asgi_client
from notify.digest.policy import DigestPolicy, in_quiet_hours, next_boundary, release_at

NIGHTS = DigestPolicy("Europe/Amsterdam", time(22, 0), time(7, 0))


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_)


def test_quiet_hours_across_midnight_in_local_time():
    # 23:30 in Amsterdam (CET, UTC+1) is quiet until 07:00 local, 06:00 UTC.
    assert release_at(NIGHTS, at("2026-11-22T22:30:00+00:00")) == at("2026-11-23T06:00:00+00:00")
    # 03:00 local: the same night's end.
    assert release_at(NIGHTS, at("2026-11-23T02:00:00+00:00")) == at("2026-11-23T06:00:00+00:00")
    # 07:00 local sharp is no longer quiet, 21:59 not yet: at once (no digest interval).
    assert release_at(NIGHTS, at("2026-11-23T06:00:00+00:00")) is None
    assert release_at(NIGHTS, at("2026-11-23T20:59:00+00:00")) is None
    # In summer (CEST, UTC+2) the same local hours are an hour earlier in UTC.
    assert release_at(NIGHTS, at("2026-07-01T21:00:00+00:00")) == at("2026-07-02T05:00:00+00:00")


def test_the_night_the_clocks_go_back_ends_at_seven_local():
    # 25 October 2026: Amsterdam goes from CEST to CET at 03:00 local.
    assert release_at(NIGHTS, at("2026-10-24T21:00:00+00:00")) == at("2026-10-25T06:00:00+00:00")


def test_digest_boundaries_count_from_local_midnight():
    hourly = DigestPolicy("Europe/Amsterdam", digest_minutes=60)
    assert next_boundary(hourly, at("2026-11-23T09:15:00+00:00")) == at("2026-11-23T10:00:00+00:00")
    # Exactly on a boundary: the next one (what arrives now waits for the next digest).
    assert next_boundary(hourly, at("2026-11-23T10:00:00+00:00")) == at("2026-11-23T11:00:00+00:00")
    # 90 minutes from local midnight: 00:00, 01:30, 03:00 ... 22:30, then midnight.
    ninety = DigestPolicy("Europe/Amsterdam", digest_minutes=90)
    assert next_boundary(ninety, at("2026-11-23T00:40:00+00:00")) == at("2026-11-23T02:00:00+00:00")
    assert next_boundary(ninety, at("2026-11-23T22:00:00+00:00")) == at("2026-11-23T23:00:00+00:00")
    # With quiet hours, a boundary inside them becomes their end.
    both = DigestPolicy("Europe/Amsterdam", time(22, 0), time(7, 0), digest_minutes=60)
    assert release_at(both, at("2026-11-23T20:30:00+00:00")) == at("2026-11-24T06:00:00+00:00")
    assert release_at(both, at("2026-11-23T19:30:00+00:00")) == at("2026-11-23T20:00:00+00:00")


@given(
    moment=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    start=st.times(),
    end=st.times(),
    minutes=st.sampled_from([0, 15, 60, 90, 240, 1440]),
    zone=st.sampled_from(["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Brisbane"]),
)
def test_held_mail_is_released_later_and_never_inside_quiet_hours(
    moment, start, end, minutes, zone
):
    policy = DigestPolicy(zone, start, end, minutes)
    release = release_at(policy, moment)
    if release is None:
        assert not in_quiet_hours(policy, moment) and minutes == 0
        return
    assert release > moment
    assert release - moment <= timedelta(days=1, hours=2)
    assert not in_quiet_hours(policy, release)


async def test_quiet_hours_hold_warnings_for_one_digest_while_breaches_go_at_once(
    live_notify, smtp_server, notify_minter, notify_engine
):
    inbox, port = smtp_server
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    quiet = {
        "timezone": "UTC",
        "quiet_start": (now - timedelta(hours=1)).time().isoformat(),
        "quiet_end": (now + timedelta(hours=1)).time().isoformat(),
        "digest_minutes": 0,
    }
    end_of_quiet = now + timedelta(hours=1)
    async with (
        live_notify(smtp_port=port, staff_addresses=["oncall@v.example", "lead@v.example"]) as app,
        asgi_client(app) as client,
    ):
        agent = notify_minter.headers(Role.AGENT, email="agent@example.com")
        assert (await client.put("/v1/staff-digest", json=quiet, headers=agent)).status_code == 403
        changed = await client.put("/v1/staff-digest", json=quiet, headers=staff(notify_minter))
        assert changed.status_code == 200, changed.text
        assert changed.json()["in_quiet_hours"] is True

        for number in ("CS-000501", "CS-000502"):
            await post_event(
                client,
                notify_minter,
                ticket_event("sla.warning", number=number, metric="FIRST_RESPONSE", due_at="soon"),
            )
        await post_event(
            client,
            notify_minter,
            ticket_event("sla.breached", number="CS-000503", metric="RESOLUTION", due_at="now"),
        )
        worker, jobs = app.state.delivery_worker, app.state.jobs
        await drain(worker, notify_engine)
        at_once = [(m["To"], m["Subject"]) for m in inbox.messages]
        inbox.messages.clear()
        waiting = (await client.get("/v1/staff-digest", headers=agent)).json()

        # Not yet: quiet hours last another minute on the injected clock.
        assert (await jobs.run_once(now=end_of_quiet - timedelta(minutes=1))).digests == 0
        assert (await jobs.run_once(now=end_of_quiet)).digests == 2
        assert (await jobs.run_once(now=end_of_quiet + timedelta(minutes=5))).digests == 0
        await drain(worker, notify_engine)
        after = (await client.get("/v1/staff-digest", headers=agent)).json()

    assert sorted(to for to, _ in at_once) == ["lead@v.example", "oncall@v.example"]
    assert all("SLA BREACHED" in subject and "CS-000503" in subject for _, subject in at_once)
    assert waiting["held"] == 4
    assert datetime.fromisoformat(waiting["next_release_at"]) == end_of_quiet
    assert sorted(m["To"] for m in inbox.messages) == ["lead@v.example", "oncall@v.example"]
    for digest in inbox.messages:
        assert digest["Subject"].startswith("Careplane digest: 2 notices since ")
        body = digest.get_body(("plain",)).get_content()
        first, second = body.index("CS-000501"), body.index("CS-000502")
        assert first < second  # oldest first
        assert "SLA warning" in body and "CS-000503" not in body
    assert after["held"] == 0 and after["next_release_at"] is None


async def test_a_digest_interval_collects_staff_mail_between_boundaries(
    live_notify, smtp_server, notify_minter, notify_engine
):
    inbox, port = smtp_server
    async with (
        live_notify(smtp_port=port, staff_addresses=["oncall@v.example"]) as app,
        asgi_client(app) as client,
    ):
        hourly = {"timezone": "Europe/Amsterdam", "digest_minutes": 60}
        await client.put("/v1/staff-digest", json=hourly, headers=staff(notify_minter))
        bad = await client.put(
            "/v1/staff-digest",
            json={"timezone": "Mars/Olympus", "quiet_start": "22:00"},
            headers=staff(notify_minter),
        )
        assert bad.status_code == 422
        await post_event(client, notify_minter, ticket_event("sla.warning", number="CS-000601"))
        await drain(app.state.delivery_worker, notify_engine)
        assert inbox.messages == []
        async with notify_engine.connect() as c:
            release = await c.scalar(text("SELECT release_at FROM digest_items"))
        assert release.minute == 0 and release > datetime.now(UTC)
        assert (await app.state.jobs.run_once(now=release)).digests == 1
        await drain(app.state.delivery_worker, notify_engine)
        [digest] = inbox.messages
        listed = await client.get(
            "/v1/deliveries", params={"event_type": "staff.digest"}, headers=staff(notify_minter)
        )
    assert digest["Subject"].startswith("Careplane digest: 1 notice since ")
    assert listed.json()["items"][0]["status"] == "succeeded"
