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
    # Mail into Careplane (tickets.inbound, docs/email.md).
    inbound_support_address: str = "support@careplane.example"
    inbound_bounce_address: str = "bounces@careplane.example"
    inbound_reply_secret: str = dev_secret("inbound-reply")
    # Domains of our own Message-IDs (notify's case roots): empty means the support
    # address's domain and careplane.example.
    inbound_message_id_domains: list[str] = Field(default_factory=list)
    # The SMTP listener: off unless a port is set (one process of the service binds it).
    inbound_smtp_host: str = "127.0.0.1"
    inbound_smtp_port: int | None = Field(default=None, ge=0, le=65535)
    inbound_max_message_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    # At SIGTERM, how long the mail in progress gets to be stored and answered before the
    # listener closes its sessions: within uvicorn's 20 s drain, which it runs beside.
    inbound_smtp_drain_seconds: float = Field(default=5.0, ge=0, le=15)
    inbound_poll_seconds: float = Field(default=1.0, gt=0)
    inbound_lease_seconds: int = Field(default=120, ge=5)
    inbound_max_attempts: int = Field(default=5, ge=1)
    # Authentication-Results are believed only from these authserv-ids (our relays).
    inbound_trusted_relays: list[str] = Field(default_factory=list)
    # Without a verdict from a trusted relay a mail's From is only a claim anyone can make:
    # such mail is quarantined (UNVERIFIED_SENDER) unless this is false. Unset: required
    # outside dev and test. Set it false only where nothing but your own relay, which
    # checks senders itself, can reach the listener and the inbound webhook.
    inbound_require_verdict: bool | None = None
    inbound_auto_answers_per_hour: int = Field(default=5, ge=0)
    inbound_cases_per_sender_per_hour: int = Field(default=10, ge=1)
    inbound_cases_per_domain_per_hour: int = Field(default=50, ge=1)
    # Mail to a closed case reopens it within its plan's reopen window (contracts: the quota
    # rule's reopen_window_days), else opens a new linked case; this many days for a plan
    # with no quota rule (contracts' default too).
    reopen_window_days: int = Field(default=14, ge=0)
    # The development tracker's webhook (POST /v1/development/webhook): its HMAC secret and
    # how far its timestamp may be from now (replays older than this are refused). Empty:
    # the webhook is off (404), outside dev until a secret is set; in dev a published one.
    development_webhook_secret: str = ""
    development_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    # Satisfaction surveys at closing (tickets.survey): the share of closings asked, the
    # least days between two surveys of one contact, how long a link is valid, and the
    # public base URL the link starts with (the gateway's /api/tickets).
    survey_rate: float = Field(default=0.25, ge=0, le=1)
    survey_cooldown_days: int = Field(default=90, ge=0)
    survey_link_days: int = Field(default=30, ge=1)
    survey_link_base: str = "http://127.0.0.1:8000/api/tickets"
    outbox_targets: dict[str, str] = Field(
        default_factory=lambda: {
            "contracts": "http://127.0.0.1:8002/v1/events",
            "notify": "http://127.0.0.1:8003/v1/events",
        }
    )

    def secret_fields(self) -> dict[str, str]:
        fields = super().secret_fields()
        fields["inbound_reply_secret"] = self.inbound_reply_secret
        if self.development_webhook_secret:
            fields["development_webhook_secret"] = self.development_webhook_secret
        if self.attachment_storage == "s3":
            fields["s3_secret_access_key"] = self.s3_secret_access_key
        return fields

    @property
    def inbound_domains(self) -> list[str]:
        domain = self.inbound_support_address.rpartition("@")[2].lower()
        return self.inbound_message_id_domains or sorted({domain, "careplane.example"})

    @property
    def inbound_verdict_required(self) -> bool:
        if self.inbound_require_verdict is None:
            return not self.is_dev
        return self.inbound_require_verdict

    @model_validator(mode="after")
    def _dev_webhook_secret(self) -> Self:
        """In dev the tracker's webhook works out of the box, with a published secret."""
        if self.is_dev and not self.development_webhook_secret:
            self.development_webhook_secret = dev_secret("tracker-webhook")
        return self

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Self:
        if self.attachment_storage == "s3" and not self.s3_bucket:
            raise ValueError("s3_bucket must be set when attachment_storage=s3")
        return self
