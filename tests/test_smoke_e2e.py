"""``make run`` end to end: four real processes on an embedded PostgreSQL, a token, ``me``
through the gateway, Ctrl-C, nothing left behind, and a second run on the same data in
which a demo case travels from the gateway through tickets to contracts' quota ledger."""

from __future__ import annotations

import email
import email.policy
import http.server
import re
import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psutil
import pytest
from standardwebhooks.webhooks import Webhook

if TYPE_CHECKING:
    from conftest import DevRun, StartDevRun

pytestmark = pytest.mark.e2e

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 45.0
ME = "{ me { id email role customerId } }"


def get_token(client: httpx.Client, run: DevRun) -> str:
    response = client.post(
        f"{run.url('gateway')}/auth/token",
        data={"grant_type": "password", "username": "admin@example.com", "password": "careplane"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    return str(body["access_token"])


def query_me(client: httpx.Client, run: DevRun, token: str) -> dict[str, object]:
    response = client.post(
        f"{run.url('gateway')}/graphql",
        json={"query": ME},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    me: dict[str, object] = body["data"]["me"]
    return me


def login(client: httpx.Client, run: DevRun, email: str) -> dict[str, str]:
    response = client.post(
        f"{run.url('gateway')}/auth/token",
        data={"grant_type": "password", "username": email, "password": "careplane"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class WebhookReceiver:
    """A CRM's webhook endpoint on 127.0.0.1: keeps every request it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/careplane"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(
    what: str,
    check: Callable[[], bool],
    seconds: float = 20,
    explain: Callable[[], str] = lambda: "",
) -> None:
    """Waits for ``check``; on timeout the failure carries ``explain()`` (the run's output)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{explain()}"
        time.sleep(0.25)


def case_flow(client: httpx.Client, run: DevRun) -> None:
    """A demo contact opens a case through the gateway and gets its number and clocks; the
    number mail lands in the local mailbox and a signed webhook reaches a registered local
    endpoint; the agent answers and closes the case, and the close travels through tickets'
    outbox relay to contracts' inbox, which books it against the customer's quota."""
    gateway = run.url("gateway")
    dan = login(client, run, "dan@delta.example")
    agent = login(client, run, "agent@example.com")
    admin = login(client, run, "admin@example.com")
    receiver = WebhookReceiver()
    registered = client.post(
        f"{gateway}/api/notify/v1/webhook-endpoints",
        json={"url": receiver.url, "event_types": ["ticket.opened", "ticket.closed"]},
        headers=admin,
    )
    assert registered.status_code == 201, registered.text
    secret = registered.json()["secret"]
    product = client.get(f"{gateway}/api/contracts/v1/products", headers=dan).json()[0]["id"]
    response = client.post(
        f"{gateway}/api/tickets/v1/tickets",
        json={
            "product_id": product,
            "version": "3.1",
            "subject": "Alarm export stalls",
            "description": "The nightly alarm export stalls at 80%.",
            "priority": "HIGH",
        },
        headers={**dan, "Idempotency-Key": "e2e-case-1"},
    )
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["number"].startswith("CS-") and case["status"] == "OPEN"
    assert case["plan_code"] == "infotecs-premium"
    assert case["sla"][0]["metric"] == "FIRST_RESPONSE" and case["sla"][0]["due_at"]

    def number_mail() -> bool:
        mails = client.get(f"{gateway}/api/notify/v1/mailbox", headers=agent).json()
        return any(
            case["number"] in (m["subject"] or "") and m["to"] == "dan@delta.example" for m in mails
        )

    wait_for("the case number mail", number_mail)

    def opened_webhook() -> bool:
        # Every webhook received is signed (verify raises otherwise); the demo data's own
        # cases may be among them, so the one about this case is looked for.
        payloads = [Webhook(secret).verify(body, headers) for headers, body in receiver.received]
        return any(
            p["type"] == "ticket.opened" and p["data"]["number"] == case["number"] for p in payloads
        )

    wait_for("the ticket.opened webhook", opened_webhook)
    receiver.close()
    emergency_flow(client, run, case, dan=dan, agent=agent)

    tickets = f"{gateway}/api/tickets/v1/tickets/{case['id']}"
    assert client.post(f"{tickets}/messages", json={"body": "On it."}, headers=agent).is_success
    closed = client.post(f"{tickets}/close", json={"resolution": "Index rebuilt."}, headers=agent)
    assert closed.status_code == 200, closed.text

    agreements = client.get(
        f"{gateway}/api/contracts/v1/agreements", headers=agent, params={"limit": 200}
    ).json()["items"]
    basic = next(
        a
        for a in agreements
        if a["plan_name"] == "Infotecs Basic"
        and a["status"] == "active"
        and a["customer_id"] == case["customer_id"]
    )
    deadline = time.monotonic() + 20
    while True:
        quota = client.get(
            f"{gateway}/api/contracts/v1/agreements/{basic['id']}/quota", headers=agent
        )
        if quota.json()["consumed"] == 1:
            break
        assert time.monotonic() < deadline, f"the close was not booked: {quota.text}"
        time.sleep(0.25)
    assert quota.json()["remaining"] == 39


def demo_survey_and_time(client: httpx.Client, run: DevRun) -> None:
    """The demo's closed case: its survey invitation lands in the local mailbox, and its
    billable time reaches contracts as an other-support item, per started half hour."""
    gateway = run.url("gateway")
    agent = login(client, run, "agent@example.com")

    def invitation() -> bool:
        mails = client.get(f"{gateway}/api/notify/v1/mailbox", headers=agent).json()
        return any(
            m["to"] == "cora@cobalt.example" and "Hoe hebben we het gedaan" in (m["subject"] or "")
            for m in mails
        )

    wait_for("the demo survey invitation", invitation)

    def billed() -> bool:
        items = client.get(
            f"{gateway}/api/contracts/v1/billable-items",
            params={"kind": "other_support", "limit": 200},
            headers=agent,
        ).json()["items"]
        return any(i["minutes_worked"] == 70 and i["quantity"] == "1.50" for i in items)

    wait_for("the demo's billable time in contracts", billed)


def emergency_flow(
    client: httpx.Client,
    run: DevRun,
    case: dict[str, str],
    *,
    dan: dict[str, str],
    agent: dict[str, str],
) -> None:
    """The demo data's scheduled visit is there; Delta Secure (Infotecs Premium) declares
    the case an emergency: the alert mail reaches whom the demo rota has on call at
    Wallingford (the agent by day, the manager by night), and the call becomes a billable
    item in contracts."""
    gateway = run.url("gateway")
    visits = client.get(f"{gateway}/api/tickets/v1/visits", headers=agent).json()["items"]
    assert [(v["customer_name"], v["status"]) for v in visits] == [("Borealis Health", "CONFIRMED")]
    declared = client.post(
        f"{gateway}/api/tickets/v1/tickets/{case['id']}/emergency",
        json={"reason": "Every site is offline."},
        headers=dan,
    )
    assert declared.status_code == 201, declared.text
    assert declared.json()["alerted"] is None  # whom it alerted is staff's to know
    seen = client.get(f"{gateway}/api/tickets/v1/tickets/{case['id']}/emergency", headers=agent)
    [on_call] = seen.json()["alerted"]
    assert on_call in ("agent@example.com", "manager@example.com")

    def alert_mail() -> bool:
        mails = client.get(f"{gateway}/api/notify/v1/mailbox", headers=agent).json()
        return any(
            f"[{case['number']}] EMERGENCY" in (m["subject"] or "") and m["to"] == on_call
            for m in mails
        )

    wait_for("the emergency alert mail", alert_mail)

    def billed() -> bool:
        items = client.get(
            f"{gateway}/api/contracts/v1/billable-items",
            params={"kind": "emergency_call", "customer_id": case["customer_id"]},
            headers=agent,
        ).json()["items"]
        # This case's call, once (the demo's own emergency of Delta Secure is billed too).
        return [i["ticket_id"] for i in items].count(case["id"]) == 1

    wait_for("the emergency call's billable item", billed)


def send_mail(host: str, port: int, message: EmailMessage) -> None:
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message)


def mail_flow(client: httpx.Client, run: DevRun) -> None:
    """The email channel as a customer meets it: a mail sent with an SMTP client to the
    address make run printed opens a case, the case-number answer lands in the local
    mailbox threaded under that mail with a Reply-To, and the reply to it threads into
    the case."""
    printed = next(line for line in run.lines if "send mail to support@careplane.example" in line)
    found = re.search(r"at (127\.0\.0\.1):(\d+)", printed)
    assert found, printed
    host, port = found.group(1), int(found.group(2))
    gateway = run.url("gateway")
    agent = login(client, run, "agent@example.com")

    first = EmailMessage()
    first["From"] = "Ana <ana@acme-water.example>"
    first["To"] = "support@careplane.example"
    first["Subject"] = f"Station 4 reports no flow ({uuid.uuid4().hex[:6]})"
    first["Message-ID"] = make_msgid(domain="acme-water.example")
    first.set_content("Since 06:00 station 4 reports no flow at all.")
    send_mail(host, port, first)

    answers: list[dict[str, str]] = []

    def number_mail() -> bool:
        mails = client.get(f"{gateway}/api/notify/v1/mailbox", headers=agent).json()
        answers[:] = [m for m in mails if m["in_reply_to"] == first["Message-ID"]]
        return bool(answers)

    # A liveness bound, not a speed check: on a loaded 2-core machine the mail crosses four
    # processes (listener, intake, outbox relay, notify) and took over 40 s once.
    wait_for(
        "the case-number answer to the mail",
        number_mail,
        seconds=90,
        explain=lambda: "\n".join(run.lines[-200:]),
    )
    raw = client.get(f"{gateway}/api/notify/v1/mailbox/{answers[0]['name']}", headers=agent)
    answer = email.message_from_bytes(raw.content, policy=email.policy.default)
    assert "ana@acme-water.example" in str(answer["To"])
    number_found = re.search(r"CS-\d{4}-\d+", str(answer["Subject"]))
    assert number_found, answer["Subject"]
    number = number_found.group(0)
    assert "+r-" in str(answer["Reply-To"]), answer["Reply-To"]
    case = client.get(f"{gateway}/api/tickets/v1/tickets/by-number/{number}", headers=agent)
    assert case.status_code == 200, case.text
    assert case.json()["channel"] == "email"

    reply = EmailMessage()
    reply["From"] = "ana@acme-water.example"
    reply["To"] = str(answer["Reply-To"])
    reply["Subject"] = f"Re: {answer['Subject']}"
    reply["In-Reply-To"] = str(answer["Message-ID"])
    reply["References"] = f"{first['Message-ID']} {answer['Message-ID']}"
    reply.set_content("It flows again after the restart.\n\n> Your case has number ...")
    send_mail(host, port, reply)

    def threaded() -> bool:
        messages = client.get(
            f"{gateway}/api/tickets/v1/tickets/{case.json()['id']}/messages", headers=agent
        ).json()
        return any("It flows again after the restart." in m["body"] for m in messages)

    wait_for("the reply threaded into the case", threaded, seconds=40)


def stop_and_check_nothing_left(run: DevRun) -> None:
    processes = run.processes()
    assert len(processes) >= 5, [p.cmdline() for p in processes]  # four uvicorns + postmaster

    assert run.interrupt(STOP_TIMEOUT) == 0, run.output()
    # Each piece stopped gracefully: its one shutdown line, no background worker cut off.
    for piece in run.ports:
        stopped = [
            line
            for line in run.lines
            if " stopped " in line and f"service={piece}" in line and "workers_cancelled" in line
        ]
        assert len(stopped) == 1, run.output()
        assert "workers_cancelled=[]" in stopped[0] and "workers_stuck=[]" in stopped[0]

    _, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, [p.cmdline() for p in alive]
    assert not run.postmaster_pid_file.exists(), "PostgreSQL left its lock behind"
    assert not (run.data_dir / "devrun.lock").exists()
    for piece in run.ports:
        with pytest.raises(httpx.ConnectError), run.client() as client:
            client.get(f"{run.url(piece)}/healthz")


def test_make_run_serves_me_stops_clean_and_starts_again(
    start_devrun: StartDevRun, devrun_data_dir: Path
) -> None:
    data_dir = devrun_data_dir

    first = start_devrun(data_dir)
    first.wait_ready(READY_TIMEOUT)
    output = first.output(last=400)
    for account in ("admin@example.com", "manager@example.com", "agent@example.com"):
        assert account in output
    assert "careplane (dev profile only)" in output
    assert f"{first.url('gateway')}/graphql" in output

    with first.client() as client:
        for piece in first.ports:
            assert client.get(f"{first.url(piece)}/readyz").status_code == 200

        token = get_token(client, first)
        me = query_me(client, first, token)
        assert me["email"] == "admin@example.com"
        assert me["role"] == "ADMIN"
        assert me["customerId"] is None

        # A service route without a token: 401 in the shared error shape.
        response = client.get(f"{first.url('contracts')}/v1/me")
        assert response.status_code == 401, response.text
        error = response.json()["error"]
        assert {"code", "message", "request_id"} <= set(error)
        assert error["code"]
        demo_survey_and_time(client, first)
        mail_flow(client, first)

    stop_and_check_nothing_left(first)
    # The dev signing keys were generated into the data folder, not the checkout.
    assert (data_dir / "keys" / "jwt-ed25519.pem").is_file()
    assert (data_dir / "keys" / "license-ed25519.pem").is_file()

    # Same data folder: the databases, the demo data and the signing key persist.
    second = start_devrun(data_dir)
    second.wait_ready(READY_TIMEOUT)
    with second.client() as client:
        assert query_me(client, second, token)["email"] == "admin@example.com"
        assert query_me(client, second, get_token(client, second))["role"] == "ADMIN"
        case_flow(client, second)
    stop_and_check_nothing_left(second)
