"""The outbox filters every deployment configures (the runner's topology, used by
``make run`` and the bench, and the Kubernetes config maps) never drop an event type a
receiver acts on: the handled types are read from the receiver's own inbox, so adding a
handler without widening the filter fails here rather than losing events silently."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import contracts.handlers
import tickets.handlers
from careplane_devrun.layout import Layout
from careplane_devrun.topology import PIECES, Profile, child_environment
from careplane_shared.event_filters import wants
from careplane_shared.events import Inbox, Outbox
from contracts.models import inbox_events as contracts_inbox
from contracts.models import outbox_events as contracts_outbox
from tickets.models import inbox_events as tickets_inbox
from tickets.models import outbox_events as tickets_outbox

ROOT = Path(__file__).resolve().parents[1]
SENDERS = ("tickets", "contracts")
PORTS = {"contracts": 8002, "tickets": 8001, "notify": 8003, "gateway": 8000}
LAYOUT = Layout(root=Path("/repo"), data=Path("/repo/.data"))
# The production profile's template values (only the filters matter here).
SECRETS = {
    **{f"client_secret_{piece.name}": "secret" for piece in PIECES},
    "encryption_key": "key",
    "inbound_reply_secret": "secret",
}


def _handled(register: Callable[[Inbox, Outbox], None], inbox: Inbox, outbox: Outbox) -> set[str]:
    register(inbox, outbox)
    assert inbox.default is None, "an inbox with a default handler acts on every type"
    return set(inbox.handlers)


# What each receiver's inbox acts on. Notify is absent on purpose: its inbox routes every
# type (a default handler) to webhooks and chat channels, so it must never be filtered.
HANDLED = {
    "contracts": _handled(
        contracts.handlers.register,
        Inbox(contracts_inbox),
        Outbox(contracts_outbox, source="contracts", destinations={}),
    ),
    "tickets": _handled(
        tickets.handlers.register,
        Inbox(tickets_inbox),
        Outbox(tickets_outbox, source="tickets", destinations={}),
    ),
}


def _topology(profile: Profile) -> dict[str, dict[str, list[str]]]:
    filters = {}
    for piece in PIECES:
        if piece.name in SENDERS:
            env = child_environment(piece, PORTS, {}, LAYOUT, {}, profile=profile, secrets=SECRETS)
            filters[piece.name] = json.loads(env[f"{piece.prefix}OUTBOX_EVENT_TYPES"])
    return filters


def _config_maps() -> dict[str, dict[str, list[str]]]:
    data: dict[str, str] = {}
    for doc in yaml.safe_load_all((ROOT / "deploy/k8s/configmaps.yaml").read_text()):
        if doc and doc.get("kind") == "ConfigMap":
            data |= doc.get("data") or {}
    return {s: json.loads(data[f"{s.upper()}_OUTBOX_EVENT_TYPES"]) for s in SENDERS}


CONFIGURED = {
    "topology-dev": _topology(Profile.DEV),
    "topology-production": _topology(Profile.PRODUCTION),
    "k8s": _config_maps(),
}


def test_the_receivers_handle_what_the_filters_were_written_for() -> None:
    assert {"ticket.closed", "ticket.reopened", "ticket.billable_activity"} <= HANDLED["contracts"]
    assert "license_key.issued" in HANDLED["tickets"]


@pytest.mark.parametrize("where", sorted(CONFIGURED))
def test_no_filter_drops_a_type_its_receiver_handles(where: str) -> None:
    for sender, filters in CONFIGURED[where].items():
        assert "notify" not in filters, f"{where}: {sender} must send notify every event"
        for receiver, patterns in filters.items():
            assert receiver in HANDLED, f"{where}: {sender} filters unknown {receiver}"
            dropped = sorted(t for t in HANDLED[receiver] if not wants(patterns, t))
            assert not dropped, f"{where}: {sender} -> {receiver} drops handled {dropped}"


@pytest.mark.parametrize("where", sorted(CONFIGURED))
def test_the_filters_keep_what_a_receiver_ignores_at_home(where: str) -> None:
    """The point of the filters: a case's everyday events stay out of contracts' inbox."""
    to_contracts = CONFIGURED[where]["tickets"]["contracts"]
    for ignored in ("ticket.opened", "ticket.replied", "ticket.status_changed"):
        assert ignored not in HANDLED["contracts"]
        assert not wants(to_contracts, ignored)
    assert not wants(CONFIGURED[where]["contracts"]["tickets"], "customer.updated")
