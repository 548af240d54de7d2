"""The production profile of ``serve``: what each piece is given instead of the dev
conveniences, and the secrets and keys made for the run. Nothing is started."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from careplane_devrun.layout import Layout
from careplane_devrun.production import (
    ENCRYPTION_KEY_FILE,
    SIGNING_KEY_FILES,
    ensure_signing_keys,
    run_secrets,
)
from careplane_devrun.topology import PIECES, Profile, child_environment

PORTS = {"contracts": 8002, "tickets": 8001, "notify": 8003, "gateway": 8000}
LAYOUT = Layout(root=Path("/repo"), data=Path("/repo/.data"))


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return run_secrets((piece.name for piece in PIECES), tmp_path_factory.mktemp("keys"))


def _env(
    name: str, secrets: dict[str, str], environ: dict[str, str] | None = None
) -> dict[str, str]:
    piece = next(piece for piece in PIECES if piece.name == name)
    return child_environment(
        piece, PORTS, {}, LAYOUT, environ or {}, profile=Profile.PRODUCTION, secrets=secrets
    )


def test_every_piece_runs_as_production_with_json_logs_and_its_own_secret(
    secrets: dict[str, str],
) -> None:
    for piece in PIECES:
        env = _env(piece.name, secrets)
        assert env[f"{piece.prefix}ENV"] == "production"
        assert env[f"{piece.prefix}LOG_JSON"] == "true"
        assert env[f"{piece.prefix}LOG_LEVEL"] == "INFO"
        assert env[f"{piece.prefix}CLIENT_SECRET"] == secrets[f"client_secret_{piece.name}"]
        assert not env[f"{piece.prefix}CLIENT_SECRET"].startswith("dev-insecure-")
    assert len({secrets[f"client_secret_{piece.name}"] for piece in PIECES}) == len(PIECES)


def test_contracts_trusts_exactly_the_secrets_the_other_pieces_are_given(
    secrets: dict[str, str],
) -> None:
    trusted = json.loads(_env("contracts", secrets)["CONTRACTS_SERVICE_CLIENTS"])
    assert trusted == {
        f"svc-{piece.name}": _env(piece.name, secrets)[f"{piece.prefix}CLIENT_SECRET"]
        for piece in PIECES
    }


def test_notify_gets_a_fernet_key_and_none_of_the_dev_conveniences(
    secrets: dict[str, str],
) -> None:
    notify = _env("notify", secrets)
    (key,) = json.loads(notify["NOTIFY_ENCRYPTION_KEYS"])
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"
    assert "NOTIFY_DEV_MAILBOX_DIR" not in notify
    assert "NOTIFY_ALLOW_PRIVATE_TARGETS" not in notify
    assert notify["NOTIFY_SMTP_HOST"] == "127.0.0.1"
    # A value set by hand still wins, as in the dev profile.
    given = _env(
        "notify", secrets, {"NOTIFY_ALLOW_PRIVATE_TARGETS": "true", "NOTIFY_SMTP_PORT": "2525"}
    )
    assert given["NOTIFY_ALLOW_PRIVATE_TARGETS"] == "true"
    assert given["NOTIFY_SMTP_PORT"] == "2525"


def test_the_dev_profile_keeps_its_conveniences_and_no_production_secret() -> None:
    piece = next(piece for piece in PIECES if piece.name == "notify")
    dev = child_environment(piece, PORTS, {}, LAYOUT, {})
    assert dev["NOTIFY_ENV"] == "dev"
    assert dev["NOTIFY_DEV_MAILBOX_DIR"] == "/repo/.data/mailbox"
    assert dev["NOTIFY_ALLOW_PRIVATE_TARGETS"] == "true"
    assert "NOTIFY_ENCRYPTION_KEYS" not in dev
    assert "NOTIFY_CLIENT_SECRET" not in dev


def test_signing_keys_are_made_once_private_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    paths = ensure_signing_keys(folder)
    assert [path.name for path in paths] == list(SIGNING_KEY_FILES)
    first = [path.read_bytes() for path in paths]
    for path, pem in zip(paths, first, strict=True):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(key, Ed25519PrivateKey)
    assert first[0] != first[1]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    ensure_signing_keys(folder)
    assert [path.read_bytes() for path in paths] == first


def test_the_encryption_key_is_made_once_and_kept_across_starts(tmp_path: Path) -> None:
    first = run_secrets(["notify"], tmp_path / "keys")
    again = run_secrets(["notify"], tmp_path / "keys")
    assert first["encryption_key"] == again["encryption_key"]
    assert first["client_secret_notify"] != again["client_secret_notify"]
    key_file = tmp_path / "keys" / ENCRYPTION_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
