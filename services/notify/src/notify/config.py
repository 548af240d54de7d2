from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from careplane_shared.settings import DatabaseSettings, dev_secret


class NotifySettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/careplane_notify"
    client_id: str = "svc-notify"
    client_secret: str = dev_secret("svc-notify")
    contracts_url: str = "http://127.0.0.1:8002"
    tickets_url: str = "http://127.0.0.1:8001"
    outbox_targets: dict[str, str] = Field(default_factory=dict)
