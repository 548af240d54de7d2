"""What the caller is told when a service cannot be reached: one mapping for REST and GraphQL."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

# Raised by httpx while talking to a service. StreamError covers a streamed request body
# that cannot be sent again after a failed attempt.
UPSTREAM_ERRORS = (httpx.TransportError, httpx.StreamError)

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
SERVICE_TIMEOUT = "SERVICE_TIMEOUT"
BAD_GATEWAY = "BAD_GATEWAY"


@dataclass(frozen=True, slots=True)
class UpstreamFailure:
    status_code: int
    code: str
    message: str


def transport_failure(service: str, exc: BaseException) -> UpstreamFailure:
    """``SERVICE_UNAVAILABLE`` (503) when no connection could be made, ``SERVICE_TIMEOUT`` (504)
    when the service did not answer in time, ``BAD_GATEWAY`` (502) for a broken answer."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return UpstreamFailure(503, SERVICE_UNAVAILABLE, f"The {service} service is unreachable.")
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamFailure(
            504, SERVICE_TIMEOUT, f"The {service} service did not answer in time."
        )
    return UpstreamFailure(502, BAD_GATEWAY, f"The {service} service gave no valid answer.")
