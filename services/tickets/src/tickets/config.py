from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    ticket_number_prefix: str = Field(default="CS", pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    sla_warning_fraction: float = Field(default=0.75, gt=0, lt=1)
    sla_timer_poll_seconds: float = 1.0
    entitlement_recheck_seconds: float = 15.0
    outbox_targets: dict[str, str] = Field(
        default_factory=lambda: {
            "contracts": "http://127.0.0.1:8002/v1/events",
            "notify": "http://127.0.0.1:8003/v1/events",
        }
    )
