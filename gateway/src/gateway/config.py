from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from careplane_shared.settings import BaseServiceSettings, dev_secret


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
    # Parsed and validated documents kept per process (PERFORMANCE.md: the caches are 5.5x);
    # bounded so unique query texts cannot grow memory without limit.
    graphql_cache_size: int = 512
    graphiql: bool = True
    # Subscriptions (graphql-transport-ws, graphql-ws). Each live subscription holds one
    # event stream open at the tickets service, so one socket may hold only a few.
    graphql_ws_max_subscriptions: int = 10
    graphql_ws_init_timeout_seconds: float = 30.0
    # Pages on these origins may open a socket besides the gateway's own; non-browser
    # clients send no Origin and are always let in. The token travels in connection_init,
    # never in a cookie, so another origin's page cannot subscribe as its visitor anyway.
    graphql_ws_allowed_origins: list[str] = Field(default_factory=list)
    # Tickets writes a keep-alive comment every 15 s on an idle event stream; a stream silent
    # for longer than this is taken for dead and the subscription ends with SERVICE_TIMEOUT.
    ticket_events_idle_timeout_seconds: float = 35.0

    def service_urls(self) -> dict[str, str]:
        """Base URL of each service the gateway calls and routes to, by name."""
        return {
            "tickets": self.tickets_url,
            "contracts": self.contracts_url,
            "notify": self.notify_url,
        }
