from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from careplane_shared.settings import DatabaseSettings, dev_secret


class TicketsSettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETS_", extra="ignore")

    service_name: str = "tickets"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/careplane_tickets"
    client_id: str = "svc-tickets"
    client_secret: str = dev_secret("svc-tickets")
    contracts_url: str = "http://127.0.0.1:8002"
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    attachments_dir: Path = Path(".data/attachments")
    # Where attachment bytes live: "local" (attachments_dir) or "s3" (S3-compatible storage).
    attachment_storage: Literal["local", "s3"] = "local"
    s3_endpoint_url: str = ""  # empty: AWS itself; else e.g. http://127.0.0.1:9000 (MinIO)
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = Field(default="attachments/", max_length=200)
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    s3_part_size: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024)
    ticket_number_prefix: str = Field(default="CS", pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    sla_warning_fraction: float = Field(default=0.75, gt=0, lt=1)
    sla_timer_poll_seconds: float = 1.0
    entitlement_recheck_seconds: float = 15.0
    # How often the visit worker looks for visits that started (at most; it sleeps until the next).
    visit_poll_seconds: float = Field(default=5.0, gt=0)
    # Live event streams (GET /v1/tickets/events/stream): one LISTEN connection per process
    # fans out to every stream; these bound what one caller, and the process, may hold open.
    live_streams_per_principal: int = Field(default=5, ge=1)
    # All the principals (people, API keys) of one customer together, per process.
    live_streams_per_customer: int = Field(default=50, ge=1)
    live_streams_per_process: int = Field(default=1000, ge=1)
    live_recheck_seconds: float = Field(default=60.0, gt=0)
    live_queue_size: int = Field(default=256, ge=1)
    live_replay_events: int = Field(default=1000, ge=0)
    outbox_targets: dict[str, str] = Field(
        default_factory=lambda: {
            "contracts": "http://127.0.0.1:8002/v1/events",
            "notify": "http://127.0.0.1:8003/v1/events",
        }
    )

    def secret_fields(self) -> dict[str, str]:
        fields = super().secret_fields()
        if self.attachment_storage == "s3":
            fields["s3_secret_access_key"] = self.s3_secret_access_key
        return fields

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Self:
        if self.attachment_storage == "s3" and not self.s3_bucket:
            raise ValueError("s3_bucket must be set when attachment_storage=s3")
        return self
