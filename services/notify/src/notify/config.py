from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from careplane_shared.settings import DEV_SECRET_PREFIX, DatabaseSettings, dev_secret
from notify.encryption import SecretBox, fernet_key, secret_box

DEV_ENCRYPTION_KEY = dev_secret("notify-encryption")


class NotifySettings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/careplane_notify"
    client_id: str = "svc-notify"
    client_secret: str = dev_secret("svc-notify")
    contracts_url: str = "http://127.0.0.1:8002"
    tickets_url: str = "http://127.0.0.1:8001"
    outbox_targets: dict[str, str] = Field(default_factory=dict)

    # Outbound targets (webhooks, chat tools): private, loopback, link-local and multicast
    # addresses are refused unless this is on (tests and `make run` only).
    allow_private_targets: bool = False

    # The delivery queue.
    delivery_batch_size: int = Field(default=100, ge=1, le=1000)
    delivery_lease_seconds: int = Field(default=60, ge=5)
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    delivery_max_connections: int = Field(default=100, ge=1)
    # One attempt as a whole (connect, send, read; SMTP and look-ups for mail): a target that
    # answers one byte at a time is cut off here (the per-step timeout above never fires
    # for it). Kept below the lease, so a live attempt is never taken over.
    delivery_deadline_seconds: float = Field(default=15.0, gt=0)
    # At shutdown, how long the attempts in flight get to finish and be recorded as usual;
    # the rest are cut short and given back. Within the workers' stop (10 s, the release
    # included: careplane_shared.app.WORKERS_GRACE_SECONDS).
    delivery_stop_drain_seconds: float = Field(default=5.0, ge=0, le=7.0)
    # Deliveries in flight to one target (a webhook endpoint, a chat channel, a recipient)
    # across the workers; a claim takes no more of one target than its free slots.
    delivery_target_concurrency: int = Field(default=8, ge=1)
    # Deliveries in flight for one customer (all its targets together) across the workers,
    # so a customer with many targets cannot fill every slot; deliveries of no customer
    # (staff mail, global endpoints and channels) are not limited by it.
    delivery_customer_concurrency: int = Field(default=16, ge=1)
    # Webhook endpoints and chat channels one customer may have.
    max_webhook_endpoints_per_customer: int = Field(default=10, ge=1)
    max_chat_channels_per_customer: int = Field(default=10, ge=1)
    # The start of an answer read and kept (the rest is never read, and a compressed answer
    # is inflated only up to this much).
    delivery_response_max_bytes: int = Field(default=65536, ge=1024, le=16 * 1024 * 1024)
    # Fraction of each retry delay added or removed at random so retries do not stampede.
    delivery_jitter: float = Field(default=0.1, ge=0, le=0.5)
    # Longest Retry-After a target may ask for; longer answers are capped.
    max_retry_after_seconds: int = 24 * 3600
    response_excerpt_chars: int = 1000

    # Secrets at rest (webhook secrets, chat webhook URLs): Fernet keys, newest first. New
    # values are sealed with the first, stored ones open with any; a key may be dropped once
    # `python -m notify.rotate_keys` (or a start with workers) resealed everything with the
    # first. The dev and test profiles derive a key from a dev-insecure-… placeholder.
    encryption_keys: list[str] = Field(default_factory=lambda: [DEV_ENCRYPTION_KEY], min_length=1)

    # Webhook endpoints.
    secret_rotation_overlap_hours: float = Field(default=24, ge=0)
    webhook_auto_disable_days: float = Field(default=5, gt=0)

    # Mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_start_tls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    # A worker sends over at most this many SMTP connections, one message at a time on
    # each, and keeps a connection open for the next message up to smtp_idle_seconds.
    smtp_max_connections: int = Field(default=8, ge=1)
    smtp_idle_seconds: float = Field(default=10.0, gt=0)
    # The name given in EHLO; unset, this machine's FQDN (looked up once per worker).
    smtp_local_hostname: str | None = None
    mail_from: str = "Careplane Support <support@careplane.example>"
    mail_domain: str = Field(
        default="careplane.example", description="The right-hand side of our Message-IDs."
    )
    # The envelope sender of every mail, with the delivery's id plus-addressed onto it
    # (``bounces+b-<hex>@...``, VERP): bounces come back to tickets' mail listener, which
    # tells notify which delivery bounced (``mail.bounced``). Empty: the From address, as
    # before (bounces then go wherever that address leads, unmatched).
    mail_bounce_address: str = "bounces@careplane.example"
    # How long a mail recipient looked up in contracts (an active, accepted contact; a
    # customer's language) is reused for later mail, and how many are kept: a changed
    # address is picked up within this time. 0: asked for every mail.
    contact_cache_seconds: float = Field(default=60.0, ge=0)
    contact_cache_size: int = Field(default=10_000, ge=1)
    portal_url: str = "http://127.0.0.1:8000"
    staff_addresses: list[str] = Field(
        default_factory=lambda: ["support-team@careplane.example"],
        description="Who gets SLA warnings and breaches.",
    )
    sales_addresses: list[str] = Field(
        default_factory=lambda: ["sales@careplane.example"],
        description="Who is told of a feature request for a price proposal (staff if empty).",
    )
    # A local SMTP sink for `make run`: notify starts it and keeps each mail as an .eml file.
    dev_mailbox_dir: Path | None = None

    # Scheduled work besides deliveries: due announcements, staff digests.
    jobs_poll_seconds: float = Field(default=5.0, gt=0)
    # How long a worker may take to read an announcement's customers before another may.
    announcement_lease_seconds: int = Field(default=300, ge=5)

    # Staff mail that is not urgent (SLA warnings, notices) waits for the end of quiet hours
    # and, with a digest interval, goes out as one digest per interval. These are the
    # defaults until staff change them through /v1/staff-digest.
    staff_timezone: str = "UTC"
    staff_quiet_start: time | None = None
    staff_quiet_end: time | None = None
    staff_digest_minutes: int = Field(default=0, ge=0, le=24 * 60)

    @model_validator(mode="after")
    def _deadline_within_lease(self) -> NotifySettings:
        if self.delivery_deadline_seconds >= self.delivery_lease_seconds:
            raise ValueError(
                "delivery_deadline_seconds must be shorter than delivery_lease_seconds "
                "(an attempt still running when its lease ends could be taken over)"
            )
        return self

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, keys: list[str]) -> list[str]:
        cleaned = [k.strip() for k in keys if k.strip()]
        if not cleaned:
            raise ValueError("at least one encryption key is needed")
        for key in cleaned:
            try:
                fernet_key(key)
            except ValueError as exc:
                raise ValueError(
                    "each encryption key is a Fernet key: 32 url-safe base64-encoded bytes "
                    "(python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())')"
                ) from exc
        return cleaned

    def secret_fields(self) -> dict[str, str]:
        fields = super().secret_fields()
        placeholders = [k for k in self.encryption_keys if k.startswith(DEV_SECRET_PREFIX)]
        fields["encryption_keys"] = placeholders[0] if placeholders else self.encryption_keys[0]
        return fields

    def secret_box(self) -> SecretBox:
        """Seals and opens the secrets stored in the database with ``encryption_keys``."""
        return secret_box(self.encryption_keys)
