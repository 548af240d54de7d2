from __future__ import annotations

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

    def service_urls(self) -> dict[str, str]:
        """Base URL of each service the gateway calls and routes to, by name."""
        return {
            "tickets": self.tickets_url,
            "contracts": self.contracts_url,
            "notify": self.notify_url,
        }
