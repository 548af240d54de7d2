"""The notify service as one GraphQL request reads it: by path, once per path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from careplane_gateway.graphql.batching import by_path
from careplane_gateway.graphql.calls import ServiceCaller


@dataclass(frozen=True, slots=True)
class NotifyLoaders:
    by_path: DataLoader[str, Any]

    @classmethod
    def for_request(cls, notify: ServiceCaller) -> NotifyLoaders:
        return cls(by_path=by_path(notify))
