from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from careplane_shared.client_address import parse_networks
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

    # Active (unrevoked) API keys one customer may hold: each is a principal of its own.
    max_api_keys_per_customer: int = Field(default=20, ge=1)

    # A contact a customer invites has this long to accept.
    invitation_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)

    # Sign-in abuse limits (POST /auth/token), kept in the database for every replica.
    # Per account from one address (an IPv6 address counts as its /64): after
    # `login_account_max_failures` failures within `login_window_seconds`, that pair is
    # locked for `login_lockout_base_seconds`, doubled with each further lockout up to
    # `login_lockout_max_seconds`; a success clears it.
    login_window_seconds: int = Field(default=900, ge=1)
    login_account_max_failures: int = Field(default=5, ge=1)
    # Per account from every address (an attack spread over many addresses), locked the
    # same way; an address that signed in to the account within `login_known_address_days`
    # is exempt, so the owner always gets in with the right password.
    login_account_wide_max_failures: int = Field(default=20, ge=1)
    login_known_address_days: int = Field(default=90, ge=1)
    # Per caller address: more, since offices share one address behind NAT.
    login_address_max_failures: int = Field(default=50, ge=1)
    login_lockout_base_seconds: int = Field(default=60, ge=1)
    login_lockout_max_seconds: int = Field(default=900, ge=1)
    # Proxies (IPs or CIDRs) whose X-Forwarded-For is believed, e.g. the gateway's address.
    # Loopback by default: a gateway on the same host (as `make run` starts it).
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    outbox_targets: dict[str, str] = Field(
        default_factory=lambda: {
            "tickets": "http://127.0.0.1:8001/v1/events",
            "notify": "http://127.0.0.1:8003/v1/events",
        }
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # a ValueError names the bad one: refused at start
        return value

    def secret_fields(self) -> dict[str, str]:
        fields = super().secret_fields()
        fields.update({f"service_clients[{k}]": v for k, v in self.service_clients.items()})
        if not self.jwt_private_key and not self.jwt_private_key_file.exists():
            fields["jwt_private_key"] = ""
        if not self.license_private_key and not self.license_private_key_file.exists():
            fields["license_private_key"] = ""
        return fields
