"""The runner's wiring table and its demo data discovery, without starting anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from careplane_devrun.layout import DevRunError, Layout
from careplane_devrun.seeds import discover_seeds
from careplane_devrun.topology import PIECES, SERVICES, child_environment, piece_ports

PORTS = {"contracts": 8002, "tickets": 8001, "notify": 8003, "gateway": 8000}
LAYOUT = Layout(root=Path("/repo"), data=Path("/repo/.data"))
URLS = {
    service: f"postgresql+asyncpg://postgres@127.0.0.1:54329/careplane_{service}"
    for service in SERVICES
}


def _env(name: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    piece = next(piece for piece in PIECES if piece.name == name)
    return child_environment(piece, PORTS, URLS, LAYOUT, environ or {}, smtp_port=8025)


def test_every_piece_gets_the_common_wiring_under_its_own_prefix() -> None:
    for piece in PIECES:
        env = _env(piece.name)
        assert env[f"{piece.prefix}ENV"] == "dev"
        assert env[f"{piece.prefix}LOG_JSON"] == "false"
        assert env[f"{piece.prefix}JWKS_URL"] == "http://127.0.0.1:8002/.well-known/jwks.json"
        assert env[f"{piece.prefix}TOKEN_URL"] == "http://127.0.0.1:8002/auth/token"
        assert env["PYTHONUNBUFFERED"] == "1"
    assert set(SERVICES) == {"tickets", "contracts", "notify"}
    assert "GATEWAY_DATABASE_URL" not in _env("gateway")


def test_the_pieces_are_wired_to_each_others_ports() -> None:
    tickets = _env("tickets")
    assert tickets["TICKETS_CONTRACTS_URL"] == "http://127.0.0.1:8002"
    assert json.loads(tickets["TICKETS_OUTBOX_TARGETS"]) == {
        "contracts": "http://127.0.0.1:8002/v1/events",
        "notify": "http://127.0.0.1:8003/v1/events",
    }
    # Filters render as JSON lists (tests/test_outbox_filters_configured.py checks them
    # against the receivers' inboxes); notify is never filtered.
    assert json.loads(tickets["TICKETS_OUTBOX_EVENT_TYPES"]) == {
        "contracts": ["ticket.closed", "ticket.reopened", "ticket.billable_activity"]
    }
    contracts = _env("contracts")
    assert json.loads(contracts["CONTRACTS_OUTBOX_EVENT_TYPES"]) == {
        "tickets": ["license_key.issued"]
    }
    assert "NOTIFY_OUTBOX_EVENT_TYPES" not in _env("notify")
    assert contracts["CONTRACTS_JWT_PRIVATE_KEY_FILE"] == "/repo/.data/keys/jwt-ed25519.pem"
    assert json.loads(contracts["CONTRACTS_OUTBOX_TARGETS"]) == {
        "tickets": "http://127.0.0.1:8001/v1/events",
        "notify": "http://127.0.0.1:8003/v1/events",
    }
    notify = _env("notify")
    assert notify["NOTIFY_SMTP_PORT"] == "8025"
    assert notify["NOTIFY_DEV_MAILBOX_DIR"] == "/repo/.data/mailbox"
    assert notify["NOTIFY_PORTAL_URL"] == "http://127.0.0.1:8000"
    assert json.loads(notify["NOTIFY_STAFF_ADDRESSES"]) == ["support-team@careplane.example"]
    gateway = _env("gateway")
    assert [gateway[f"GATEWAY_{s.upper()}_URL"] for s in ("tickets", "contracts", "notify")] == [
        "http://127.0.0.1:8001",
        "http://127.0.0.1:8002",
        "http://127.0.0.1:8003",
    ]


def test_a_variable_set_by_hand_wins_except_the_database_url() -> None:
    env = _env(
        "tickets",
        {"TICKETS_CONTRACTS_URL": "http://elsewhere", "TICKETS_DATABASE_URL": "postgresql://x/y"},
    )
    assert env["TICKETS_CONTRACTS_URL"] == "http://elsewhere"
    assert env["TICKETS_DATABASE_URL"] == URLS["tickets"]


def test_ports_come_from_the_environment_and_never_collide() -> None:
    assert piece_ports({}) == PORTS
    assert piece_ports({"GATEWAY_PORT": "9000"})["gateway"] == 9000
    with pytest.raises(DevRunError, match="share a port"):
        piece_ports({"GATEWAY_PORT": "8001"})
    with pytest.raises(DevRunError, match="not a number"):
        piece_ports({"NOTIFY_PORT": "x"})


def test_contracts_offers_its_demo_data_through_the_entry_point() -> None:
    seeds = {seed.service: seed for seed in discover_seeds(SERVICES)}
    assert callable(seeds["tickets"].seed)  # the knowledge base's articles, among others
    seed = seeds["contracts"]
    assert "tickets" in seeds  # tickets' demo cases (tickets.demo)
    # Contracts' first: tickets' demo cases are made on contracts' demo customers.
    assert next(iter(seeds)) == "contracts"
    assert callable(seed.seed)
    assert callable(seeds["tickets"].seed)  # a mail for the intake (tickets.inbound.demo)
    assert ("admin@example.com", "admin") in seed.accounts
    assert callable(seeds["tickets"].seed)
