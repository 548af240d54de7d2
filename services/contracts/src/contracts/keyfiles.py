"""Ed25519 private keys from configuration, or generated into a file in dev."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def load_ed25519_key(
    pem: str, path: Path, *, may_generate: bool, setting: str
) -> Ed25519PrivateKey:
    """The PEM given in ``setting``, else the key in ``path``; in dev a missing file is
    created with a fresh key (0600). Two processes starting at once both end up with the
    first one's key: the file is linked into place, never overwritten."""
    if pem:
        raw = pem.encode()
    else:
        if not path.exists():
            if not may_generate:
                raise RuntimeError(f"no signing key configured ({setting})")
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(
                Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            temporary.chmod(0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                temporary.unlink(missing_ok=True)
        raw = path.read_bytes()
    key = serialization.load_pem_private_key(raw, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{setting} must be an Ed25519 private key")
    return key
