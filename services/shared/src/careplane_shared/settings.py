"""Settings base shared by every piece: one prefix per service, safe defaults for dev only."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from careplane_shared.event_filters import invalid_patterns

DEV_SECRET_PREFIX = "dev-insecure-"


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


def dev_secret(name: str) -> str:
    """A well-known secret that only the dev and test profiles accept."""
    return f"{DEV_SECRET_PREFIX}{name}"


class BaseServiceSettings(BaseSettings):
    """Fields every piece has. Subclasses set ``model_config`` with their env prefix."""

    model_config = SettingsConfigDict(env_prefix="CAREPLANE_", extra="ignore")

    service_name: str = "careplane"
    # No ENV means production: a deployment that forgets it refuses the published dev
    # secrets instead of running on them. ``make run`` and the tests set dev/test.
    env: Environment = Environment.PRODUCTION
    log_level: str = "INFO"
    log_json: bool = True

    # Token verification: our own issuer by default, an external OIDC provider by config.
    jwt_issuer: str = "careplane"
    jwt_audience: str = "careplane"
    jwks_url: str = "http://127.0.0.1:8002/.well-known/jwks.json"
    jwks_cache_seconds: int = 300

    # This piece's own identity when it calls the others (OAuth2 client_credentials).
    client_id: str = ""
    client_secret: str = ""
    token_url: str = "http://127.0.0.1:8002/auth/token"

    # Request bodies: JSON and forms parsed by the framework, and raw streams (uploads),
    # which the route limits further itself.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_stream_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)

    http_timeout_seconds: float = 5.0
    http_connect_timeout_seconds: float = 2.0
    http_retries: int = 2

    @property
    def is_dev(self) -> bool:
        return self.env in (Environment.DEV, Environment.TEST)

    def secret_fields(self) -> dict[str, str]:
        """Secrets that must not keep a dev default outside dev; subclasses extend it."""
        return {"client_secret": self.client_secret}

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.is_dev:
            return self
        weak = [name for name, value in self.secret_fields().items() if _is_default_secret(value)]
        if weak:
            raise ValueError(
                f"{', '.join(sorted(weak))} must be set to a real secret when env={self.env.value}"
            )
        return self


class DatabaseSettings(BaseServiceSettings):
    """A service that owns a PostgreSQL database."""

    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/careplane",
        description="SQLAlchemy URL of this service's own database (asyncpg driver).",
    )
    # Connections kept open: a request beyond them opens one (a few ms of CPU, and its
    # statements prepared again) that is closed when it is returned. Sized for the
    # concurrent requests of one process, so a busy process opens none per request.
    database_pool_size: int = 20
    database_max_overflow: int = 10
    database_echo: bool = False
    # A round trip per checkout; worth it only where connections die behind our back.
    database_pool_pre_ping: bool = False
    database_pool_recycle_seconds: int = 1800

    # Transactional outbox: where this service's events go (inbox URLs of the others).
    outbox_targets: dict[str, str] = Field(default_factory=dict)
    # Which event types each destination gets (destination -> exact types or prefix
    # wildcards like "billing.*"); a destination not named here gets every event.
    outbox_event_types: dict[str, list[str]] = Field(default_factory=dict)
    outbox_batch_size: int = 50
    outbox_lease_seconds: int = 30
    outbox_poll_seconds: float = 0.5
    # Rounds woken by commits carry rows at most this often (the first after a quiet spell
    # leaves at once): a round costs about the same for one event as for fifty.
    outbox_min_round_seconds: float = Field(default=0.25, ge=0)
    run_workers: bool = True
    # How often a process that runs workers samples its backlog gauges (outbox, timers,
    # deliveries) for /metrics: one cheap indexed statement per gauge family per round.
    metrics_sample_seconds: float = Field(default=15.0, gt=0)

    @field_validator("outbox_event_types")
    @classmethod
    def _known_patterns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        wrong = invalid_patterns(value)
        if wrong:
            raise ValueError(
                f"outbox_event_types: {', '.join(map(repr, wrong))} is neither an event type "
                "nor a prefix wildcard like 'billing.*'"
            )
        return value


def _is_default_secret(value: str) -> bool:
    return not value or value.startswith(DEV_SECRET_PREFIX)
