"""GraphQL errors with the same stable codes as the REST answers (docs/api.md).

A service's error body ``{"error": {"code", "message", ...}}`` becomes a GraphQL error whose
``extensions.code`` is that code; a service that cannot be reached becomes
``SERVICE_UNAVAILABLE`` (or ``SERVICE_TIMEOUT``, ``BAD_GATEWAY``). Every other error gets a
code too (``coded``, applied to every answer), and unexpected ones are logged and masked.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.schema.exceptions import CannotGetOperationTypeError

from careplane_gateway.upstream import BAD_GATEWAY, transport_failure

log = structlog.get_logger(__name__)

INTERNAL_ERROR = "INTERNAL_ERROR"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"

# Codes for error answers that do not carry our error shape (a proxy in between, a crash).
_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
    502: BAD_GATEWAY,
    503: "SERVICE_UNAVAILABLE",
    504: "SERVICE_TIMEOUT",
}


def gateway_error(code: str, message: str, **extensions: Any) -> GraphQLError:
    """A GraphQL error the caller can act on: ``extensions.code`` is stable, the rest is help."""
    return GraphQLError(message, extensions={"code": code, **extensions})


def error_from_response(service: str, response: httpx.Response) -> GraphQLError:
    """The service's own error, code and message unchanged."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code = _STATUS_CODES.get(response.status_code) or (
            INTERNAL_ERROR if response.status_code >= 500 else "BAD_REQUEST"
        )
        return gateway_error(
            code,
            f"The {service} service answered {response.status_code}.",
            service=service,
            status=response.status_code,
        )
    extensions: dict[str, Any] = {"service": service, "status": response.status_code}
    if error.get("details") is not None:
        extensions["details"] = error["details"]
    return gateway_error(code, message, **extensions)


def error_from_transport(service: str, exc: BaseException) -> GraphQLError:
    failure = transport_failure(service, exc)
    return gateway_error(failure.code, failure.message, service=service)


def _has_code(error: GraphQLError) -> bool:
    return bool(error.extensions and error.extensions.get("code"))


def _is_unexpected(error: GraphQLError) -> bool:
    """A resolver raised something that is not a GraphQL error: a bug on our side."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


def _with_code(error: GraphQLError, code: str, message: str | None = None) -> GraphQLError:
    return GraphQLError(
        message or error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code},
    )


def coded(error: GraphQLError) -> GraphQLError:
    """The error as the caller sees it: always with a code, never with our internals."""
    if _has_code(error):
        return error
    if _is_unexpected(error) and error.path is not None:
        return _with_code(error, INTERNAL_ERROR, "Something went wrong on our side.")
    if error.path is not None:
        return _with_code(error, INTERNAL_ERROR)
    if isinstance(error, GraphQLSyntaxError):
        return _with_code(error, GRAPHQL_PARSE_FAILED)
    return _with_code(error, GRAPHQL_VALIDATION_FAILED)


def coded_in_stream(error: GraphQLError, *, before_execution: bool) -> GraphQLError:
    """``coded`` for what a websocket carries. Before execution, a syntax error and a
    document without its operation stay as they are: graphql-transport-ws answers those by
    closing the socket with the message as the reason. During execution, an unexpected error
    is masked even without a path: a subscription's event source raised it."""
    if before_execution:
        if isinstance(error, GraphQLSyntaxError) or isinstance(
            error.original_error, CannotGetOperationTypeError
        ):
            return error
        return coded(error)
    if _is_unexpected(error) and not _has_code(error):
        return _with_code(error, INTERNAL_ERROR, "Something went wrong on our side.")
    return coded(error)


def log_errors(errors: list[GraphQLError]) -> None:
    """Expected errors (a service said no, a bad query) are one line; bugs get a traceback."""
    for error in errors:
        if _is_unexpected(error):
            log.error("graphql_resolver_failed", path=error.path, exc_info=error.original_error)
        else:
            code = (error.extensions or {}).get("code")
            log.info("graphql_error", code=code, path=error.path, message=error.message)
