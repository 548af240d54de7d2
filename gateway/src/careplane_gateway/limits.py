"""Request rate limits: per verified caller (a person's or an API key's token subject), and per
client address for calls that bring no valid token (an IPv6 address as its /64: one host is
usually given a whole /64, so counting each address would let it pick a fresh one per request).

Counted with the ``limits`` library's sliding window counter. The counts live in this
process's memory unless ``rate_limit_redis_url`` is set: then every replica shares them in
Redis. Memory counts are per replica, so the limits a caller meets multiply with the number
of replicas. When Redis cannot be reached the replica counts in its own memory meanwhile
(logged), rather than refusing everyone or letting everyone through, and tries Redis again
after a few seconds (not on every request: each try may cost its timeout).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from careplane_gateway.config import GatewaySettings
from careplane_shared.errors import CareplaneError

log = structlog.get_logger(__name__)

RATE_LIMITED = "RATE_LIMITED"
# Redis keys start with this (the library adds the limit and the caller after it).
KEY_PREFIX = "careplane:gateway:ratelimit"
_REDIS_TIMEOUT_SECONDS = 0.5
_REDIS_RETRY_SECONDS = 5.0


class CallerKind(StrEnum):
    PRINCIPAL = "principal"
    ADDRESS = "address"


class RateLimited(CareplaneError):
    status_code = 429
    code = RATE_LIMITED

    def __init__(self, retry_after: int, limit: RateLimitItem) -> None:
        super().__init__(
            f"Too many requests: try again in {retry_after} s.",
            details={"retry_after": retry_after, "limit": str(limit)},
            headers={"Retry-After": str(retry_after)},
        )


def parse_limits(text: str) -> tuple[RateLimitItem, ...]:
    """``"20/second;600/minute"`` as limit items; an empty text is no limit at all."""
    return tuple(parse_many(text)) if text.strip() else ()


@dataclass(slots=True)
class _Counter:
    limiter: SlidingWindowCounterRateLimiter
    storage: Storage


class RequestLimiter:
    """Counts requests per caller and says when one is over its limit."""

    def __init__(
        self,
        per_principal: tuple[RateLimitItem, ...],
        per_address: tuple[RateLimitItem, ...],
        *,
        redis_pool: ConnectionPool | None = None,
        redis_url: str = "",
    ) -> None:
        self.limits = {CallerKind.PRINCIPAL: per_principal, CallerKind.ADDRESS: per_address}
        self._memory = _counter(MemoryStorage())
        self._shared: _Counter | None = None
        self._shared_down_until = 0.0
        self._redis_pool = redis_pool
        if redis_pool is not None:
            storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                connection_pool=redis_pool,  # type: ignore[arg-type]
            )
            self._shared = _counter(storage)

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> RequestLimiter:
        pool = None
        if settings.rate_limit_redis_url:
            pool = ConnectionPool.from_url(
                settings.rate_limit_redis_url,
                socket_timeout=_REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
            )
        return cls(
            parse_limits(settings.principal_rate_limit),
            parse_limits(settings.address_rate_limit),
            redis_pool=pool,
            redis_url=settings.rate_limit_redis_url,
        )

    @property
    def shared(self) -> bool:
        """Whether the counts are kept in Redis, for every replica."""
        return self._shared is not None

    async def hit(self, kind: CallerKind, caller: str) -> None:
        """Counts one request of ``caller``; ``RateLimited`` (429 with Retry-After) when it
        is over one of its limits. A refused request counts too: hammering on does not help."""
        for item in self.limits[kind]:
            counter = self._counter()
            try:
                allowed = await counter.limiter.hit(item, kind.value, caller)
            except StorageError as exc:
                log.warning("rate_limit_storage_unavailable", error=repr(exc.storage_error))
                self._shared_down_until = time.monotonic() + _REDIS_RETRY_SECONDS
                counter = self._memory
                allowed = await counter.limiter.hit(item, kind.value, caller)
            if not allowed:
                raise RateLimited(await _retry_after(counter, item, kind, caller), item)

    def _counter(self) -> _Counter:
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            return self._shared
        return self._memory

    async def aclose(self) -> None:
        if self._redis_pool is not None:
            await self._redis_pool.aclose()


def _counter(storage: Storage) -> _Counter:
    return _Counter(SlidingWindowCounterRateLimiter(storage), storage)


async def _retry_after(
    counter: _Counter, item: RateLimitItem, kind: CallerKind, caller: str
) -> int:
    """Whole seconds until the caller may try again (at least 1)."""
    try:
        stats = await counter.limiter.get_window_stats(item, kind.value, caller)
        wait = stats.reset_time - time.time()
    except StorageError:
        wait = item.get_expiry()
    return max(1, math.ceil(wait))
