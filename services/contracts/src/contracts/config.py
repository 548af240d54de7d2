from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from careplane_shared.settings import DatabaseSettings, dev_secret


class ContractsSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONTRACTS_", extra="ignore")

    service_name: str = "contracts"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/careplane_contracts"

    # Token issuing. In dev the Ed25519 key is generated into this file on first start;
    # in production give the PEM itself (jwt_private_key) or a file that already exists.
    jwt_private_key: str = ""
    jwt_private_key_file: Path = Path(".data/keys/jwt-ed25519.pem")
    # After a rotation: the previous keys' public halves (PEM), published in the JWKS until
    # the tokens they signed have expired (access_token_ttl_seconds).
    jwt_retired_public_keys: list[str] = Field(default_factory=list)
    access_token_ttl_seconds: int = 900
    # License keys are signed with a key of their own (same rules as the token key).
    license_private_key: str = ""
    license_private_key_file: Path = Path(".data/keys/license-ed25519.pem")
    public_url: str = "http://127.0.0.1:8002"

    # Service accounts (client_credentials) this deployment trusts: client id -> secret.
    service_clients: dict[str, str] = Field(
        default_factory=lambda: {
            "svc-contracts": dev_secret("svc-contracts"),
            "svc-tickets": dev_secret("svc-tickets"),
            "svc-notify": dev_secret("svc-notify"),
            "svc-gateway": dev_secret("svc-gateway"),
        }
    )
    client_id: str = "svc-contracts"
    client_secret: str = dev_secret("svc-contracts")
    token_url: str = "http://127.0.0.1:8002/auth/token"
    jwks_url: str = "http://127.0.0.1:8002/.well-known/jwks.json"

    outbox_targets: dict[str, str] = Field(
        default_factory=lambda: {
            "tickets": "http://127.0.0.1:8001/v1/events",
            "notify": "http://127.0.0.1:8003/v1/events",
        }
    )

    def secret_fields(self) -> dict[str, str]:
        fields = super().secret_fields()
        fields.update({f"service_clients[{k}]": v for k, v in self.service_clients.items()})
        if not self.jwt_private_key and not self.jwt_private_key_file.exists():
            fields["jwt_private_key"] = ""
        if not self.license_private_key and not self.license_private_key_file.exists():
            fields["license_private_key"] = ""
        return fields
