"""The SLA policy snapshots cases carry, validated once per distinct snapshot.

A case stores its plan's policy as JSON (``tickets.sla_policy``), and every computation of
its clocks needs it as an :class:`SlaPolicy`. Validating a snapshot costs as much as the
engine's whole computation, while nearly every case of a deployment carries one of a
handful of snapshots: the validated policy is kept per distinct JSON text (its cheapest
faithful key). Equal texts are equal policies, so a hit is always the right policy; two
texts of one policy (another key order) merely take two entries.

The cached values are shared between cases and requests: callers never mutate them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from careplane_shared.sla_policy import SlaPolicy

# Distinct snapshots in use at once: plans x customers' support centers, with room to spare.
_CACHE_SIZE = 512


def _key(snapshot: Mapping[str, Any]) -> str:
    return json.dumps(snapshot, default=str)


@lru_cache(maxsize=_CACHE_SIZE)
def _policy(key: str) -> SlaPolicy:
    return SlaPolicy.model_validate(json.loads(key))


@lru_cache(maxsize=_CACHE_SIZE)
def _stored(key: str) -> dict[str, Any]:
    stored: dict[str, Any] = _policy(key).model_dump(mode="json")
    return stored


def parse(snapshot: Mapping[str, Any]) -> SlaPolicy:
    """The policy ``snapshot`` describes (pydantic's ``ValidationError`` when it is none)."""
    return _policy(_key(snapshot))


def normalized(snapshot: Mapping[str, Any]) -> tuple[SlaPolicy, dict[str, Any]]:
    """The policy and the JSON a case stores for it (as pydantic writes it out)."""
    key = _key(snapshot)
    return _policy(key), _stored(key)
