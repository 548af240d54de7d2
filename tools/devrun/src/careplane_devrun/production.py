"""What ``serve`` gives the pieces that a deployment would, and that the dev profile makes
up instead: secrets for the run and signing keys that exist before anything starts.

With ``ENV=production`` every piece refuses the published ``dev-insecure-…`` secrets and
contracts refuses to generate its signing keys itself, so the runner makes them:

- a client secret per service account (contracts trusts the same ones it hands out),
  new on every start: contracts stores their hashes as it starts;
- a Fernet key for notify's secrets at rest, made once and kept in the data folder's
  ``keys/`` (webhook secrets sealed by an earlier run still open; ``NOTIFY_ENCRYPTION_KEYS``
  set by hand wins);
- the Ed25519 token and license signing keys, as files under ``keys/`` too, made once and
  kept (tokens and licenses signed by an earlier run stay valid).
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# The key files contracts reads (its dev wiring names the same files).
SIGNING_KEY_FILES = ("jwt-ed25519.pem", "license-ed25519.pem")
ENCRYPTION_KEY_FILE = "notify-fernet.key"
INBOUND_REPLY_SECRET_FILE = "tickets-inbound-reply.secret"


def run_secrets(piece_names: Iterable[str], keys: Path) -> dict[str, str]:
    """The template values of the production wiring: ``client_secret_<piece>`` for each
    piece, new, and ``encryption_key`` and ``inbound_reply_secret``, the ones kept in
    ``keys``."""
    values = {f"client_secret_{name}": secrets.token_urlsafe(32) for name in piece_names}
    values["encryption_key"] = _kept(
        keys / ENCRYPTION_KEY_FILE, lambda: base64.urlsafe_b64encode(os.urandom(32))
    ).decode()
    # Kept too: the reply addresses in mail already sent must still thread after a restart.
    values["inbound_reply_secret"] = _kept(
        keys / INBOUND_REPLY_SECRET_FILE, lambda: base64.urlsafe_b64encode(os.urandom(32))
    ).decode()
    return values


def _kept(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes; made first (0600, never overwritten) if it does not exist."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as file:
        file.write(make())
    return path.read_bytes()


def ensure_signing_keys(folder: Path) -> list[Path]:
    """Each signing key file, made (0600, in a 0700 folder) if it is missing; the paths."""
    paths = [folder / name for name in SIGNING_KEY_FILES]
    for path in paths:
        _kept(path, _new_ed25519_pem)
    return paths


def _new_ed25519_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
