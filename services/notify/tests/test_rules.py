"""Pure rules: signing, the retry schedule, Retry-After, the SSRF guard, mail routes."""

from __future__ import annotations

import base64
import random
import socket
from datetime import UTC, date, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from careplane_shared.dates import add_months
from notify.announcements.planning import announce_at
from notify.config import NotifySettings
from notify.deliveries.schedule import MAX_ATTEMPTS, RETRY_SCHEDULE, next_delay, parse_retry_after
from notify.routing import mail_routes
from notify.webhooks.signing import InvalidSecret, new_secret, secret_key, sign, webhook_headers
from notify.webhooks.ssrf import GuardedResolver, UnsafeTarget, check_url


def test_our_signature_is_what_standardwebhooks_expects():
    secret = new_secret()
    body = b'{"type":"ticket.opened","timestamp":"2026-11-22T10:00:00Z","data":{}}'
    now = int(datetime.now(UTC).timestamp())
    headers = webhook_headers([secret], "evt-1", now, body)
    assert Webhook(secret).verify(body, headers) == {
        "type": "ticket.opened",
        "timestamp": "2026-11-22T10:00:00Z",
        "data": {},
    }
    # The library signs the same bytes the same way.
    expected = Webhook(secret).sign("evt-1", datetime.fromtimestamp(now, UTC), body.decode())
    assert sign(secret, "evt-1", now, body) == expected


def test_secrets_are_whsec_base64_of_32_bytes_and_bad_ones_are_refused():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret_key(secret)) == 32
    for bad in ("abc", "whsec_not base64!", "whsec_" + base64.b64encode(b"short").decode()):
        with pytest.raises(InvalidSecret):
            secret_key(bad)


def test_the_schedule_is_standard_webhooks_with_bounded_jitter():
    assert [d.total_seconds() for d in RETRY_SCHEDULE] == [
        0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
    ]  # fmt: skip
    rng = random.Random(1)
    for step in range(1, MAX_ATTEMPTS):
        delay = next_delay(step, jitter=0.1, rng=rng)
        assert delay is not None
        assert RETRY_SCHEDULE[step] * 0.9 <= delay <= RETRY_SCHEDULE[step] * 1.1
    assert next_delay(MAX_ATTEMPTS) is None


def test_retry_after_as_seconds_or_http_date():
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert parse_retry_after("120") == timedelta(seconds=120)
    assert parse_retry_after("Sun, 22 Nov 2026 10:01:00 GMT", now) == timedelta(seconds=60)
    assert parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now) == timedelta(0)
    for unreadable in (None, "", "soon", "-5", "nan"):
        assert parse_retry_after(unreadable) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_private_targets_are_refused(url):
    with pytest.raises(UnsafeTarget) as refused:
        check_url(url, allow_private=False)
    assert refused.value.code == "PRIVATE_TARGET"
    assert check_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "gopher://x", "http://user:pw@example.com/"],
)
def test_other_schemes_and_credentials_are_refused_even_when_private_is_allowed(url):
    with pytest.raises(UnsafeTarget):
        check_url(url, allow_private=True)


def test_public_targets_pass():
    assert check_url("https://crm.example.com/hooks?x=1", allow_private=False)
    assert check_url("http://93.184.216.34/hook", allow_private=False)


async def test_a_name_that_resolves_to_a_private_address_is_refused_at_connect_time():
    guarded = GuardedResolver(allow_private=False)
    with pytest.raises(OSError):
        await guarded.resolve("localhost", 80, socket.AF_INET)
    open_resolver = GuardedResolver(allow_private=True)
    assert await open_resolver.resolve("localhost", 80, socket.AF_INET)


def test_mail_routes():
    settings = NotifySettings(env="test", staff_addresses=["a@v.example", "b@v.example"])
    data = {"contact_id": "c1", "number": "CS-1"}
    assert [r.template for r in mail_routes("ticket.opened", data, settings)] == ["ticket_opened"]
    assert mail_routes("ticket.replied", {**data, "author_kind": "customer"}, settings) == []
    assert [
        r.target for r in mail_routes("ticket.replied", {**data, "author_kind": "staff"}, settings)
    ] == ["contact:c1"]
    assert mail_routes("ticket.status_changed", {**data, "previous_status": "NEW"}, settings) == []
    breach = mail_routes("sla.breached", data, settings)
    assert [r.target for r in breach] == ["staff:a@v.example", "staff:b@v.example"]
    assert all(r.urgent for r in breach)
    assert mail_routes("agreement.created", data, settings) == []
    # Watchers get a case's updates (the requester only once); the number mail is essential.
    watched = mail_routes(
        "ticket.replied", {**data, "author_kind": "staff"}, settings, watchers=["w1", "c1"]
    )
    assert [(r.target, r.watching, r.category) for r in watched] == [
        ("contact:c1", False, "ticket_updates"),
        ("contact:w1", True, "ticket_updates"),
    ]
    [number_mail] = mail_routes("ticket.opened", data, settings, watchers=["w1"])
    assert number_mail.category is None
    assert not any(r.urgent for r in mail_routes("sla.warning", data, settings))
    emergency = mail_routes("sla.warning", {**data, "emergency": True}, settings)
    assert all(r.urgent for r in emergency)


def test_announcements_are_planned_six_calendar_months_ahead():
    assert add_months(date(2026, 8, 31), -6) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 15), -6) == date(2025, 9, 15)
    assert announce_at(date(2030, 1, 10), date(2026, 1, 1)).date() == date(2029, 7, 10)
    # Within six months already (a forced change): announced at once.
    soon = announce_at(date(2026, 3, 1), date(2026, 1, 1))
    assert abs(soon - datetime.now(UTC)) < timedelta(seconds=5)
