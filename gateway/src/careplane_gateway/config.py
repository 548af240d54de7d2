from __future__ import annotations

from typing import Self

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from careplane_shared.client_address import IPNetwork, parse_networks
from careplane_shared.settings import BaseServiceSettings, Environment, dev_secret

DEFAULT_RATE_LIMIT_PER_PRINCIPAL = "20/second;600/minute"
DEFAULT_RATE_LIMIT_PER_ADDRESS = "10/second;300/minute"


class GatewaySettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    client_id: str = "svc-gateway"
    client_secret: str = dev_secret("svc-gateway")
    tickets_url: str = "http://127.0.0.1:8001"
    contracts_url: str = "http://127.0.0.1:8002"
    notify_url: str = "http://127.0.0.1:8003"
    graphql_max_depth: int = 12
    graphql_max_tokens: int = 5000
    # What one operation may ask for, checked before any field is resolved: aliases, fields
    # (fragments counted where they are spread) and cost, the service calls it may make at
    # most (a field that calls a service costs 1, each one below a list as many times as the
    # list may hold: `first`, or graphql_list_size for a list without it). A worst case: the
    # DataLoaders batch most of it into a few calls (50 customers with their contacts,
    # agreements, plans and keys count 1651 and make 5).
    graphql_max_aliases: int = Field(default=30, ge=0)
    graphql_max_fields: int = Field(default=500, ge=1)
    graphql_max_cost: int = Field(default=5000, ge=1)
    graphql_list_size: int = Field(default=10, ge=1)
    # Parsed and validated documents, and operations' measures (graphql_max_cost, ...), kept
    # per process (docs/performance.md: the caches are 5.5x); bounded so unique query texts
    # cannot grow memory without limit.
    graphql_cache_size: int = 512
    # GraphiQL on GET /graphql and schema introspection: on in dev and test unless set.
    graphiql: bool | None = None
    graphql_introspection: bool | None = None
    # Subscriptions (graphql-transport-ws, graphql-ws). Each live subscription holds one
    # event stream open at the tickets service, so one socket may hold only a few.
    graphql_ws_max_subscriptions: int = 10
    graphql_ws_init_timeout_seconds: float = 30.0
    # Sockets one caller (a valid token's subject) may hold open at once, on each replica.
    graphql_ws_max_sockets_per_principal: int = Field(default=5, ge=1)
    # Pages on these origins may open a socket besides the gateway's own; non-browser
    # clients send no Origin and are always let in. The token travels in connection_init,
    # never in a cookie, so another origin's page cannot subscribe as its visitor anyway.
    graphql_ws_allowed_origins: list[str] = Field(default_factory=list)
    # Tickets writes a keep-alive comment every 15 s on an idle event stream; a stream silent
    # for longer than this is taken for dead and the subscription ends with SERVICE_TIMEOUT.
    ticket_events_idle_timeout_seconds: float = 35.0

    # Request limits, in the notation of the `limits` library ("20/second;600/minute");
    # empty switches one off. Per verified token subject (a person, an API key), and per
    # client address for calls without a valid token (POST /auth/token among them). Unset,
    # the defaults below apply, except in the test profile, where suites fire requests far
    # faster than any caller and set the limits they test themselves.
    rate_limit_per_principal: str | None = None
    rate_limit_per_address: str | None = None
    # Where the counts live: empty keeps them in this process's memory (each replica counts
    # for itself, so the limits multiply with the number of replicas); a redis:// (or
    # rediss://) URL shares them between replicas.
    rate_limit_redis_url: str = ""
    # Proxies (CIDR networks) whose X-Forwarded-For is believed; none by default.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Largest upload through /api/tickets/.../attachments (tickets' own attachment limit);
    # every other body is capped at max_body_bytes (1 MiB unless set).
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # The services' /docs, /openapi.json, /metrics, /healthz and /readyz under /api/{service}/:
    # off unless set, except in dev.
    expose_service_docs: bool | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value

    @field_validator("rate_limit_per_principal", "rate_limit_per_address")
    @classmethod
    def _rate_limit(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(
                    f"{value!r} is not a rate limit such as '20/second;600/minute'"
                ) from exc
        return value

    @model_validator(mode="after")
    def _redis_url(self) -> Self:
        url = self.rate_limit_redis_url
        if url and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("rate_limit_redis_url must be a redis://, rediss:// or unix:// URL")
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def principal_rate_limit(self) -> str:
        if self.rate_limit_per_principal is not None:
            return self.rate_limit_per_principal
        return "" if self.env == Environment.TEST else DEFAULT_RATE_LIMIT_PER_PRINCIPAL

    @property
    def address_rate_limit(self) -> str:
        if self.rate_limit_per_address is not None:
            return self.rate_limit_per_address
        return "" if self.env == Environment.TEST else DEFAULT_RATE_LIMIT_PER_ADDRESS

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_dev if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.is_dev if self.graphql_introspection is None else self.graphql_introspection

    @property
    def service_docs_exposed(self) -> bool:
        if self.expose_service_docs is None:
            return self.env == Environment.DEV
        return self.expose_service_docs

    def service_urls(self) -> dict[str, str]:
        """Base URL of each service the gateway calls and routes to, by name."""
        return {
            "tickets": self.tickets_url,
            "contracts": self.contracts_url,
            "notify": self.notify_url,
        }
