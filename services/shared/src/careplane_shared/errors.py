"""One error type for every piece and the handlers that render it.

REST shape (docs/api.md): ``{"error": {"code", "message", "request_id", "details"?}}``.
"""

from __future__ import annotations

import math
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette import status
from starlette.exceptions import HTTPException as StarletteHTTPException

from careplane_shared.context import request_id_var

log = structlog.get_logger(__name__)


class CareplaneError(Exception):
    """A failure the caller can act on: a stable ``code``, an HTTP status, a message."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "BAD_REQUEST"
    message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.details = details
        self.headers = headers
        super().__init__(self.message)


class NotFound(CareplaneError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "NOT_FOUND"
    message = "Not found."


class Conflict(CareplaneError):
    status_code = status.HTTP_409_CONFLICT
    code = "CONFLICT"
    message = "The request conflicts with the current state."


class Unauthenticated(CareplaneError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "UNAUTHENTICATED"
    message = "A valid bearer token is required."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(CareplaneError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "FORBIDDEN"
    message = "You are not allowed to do this."


class ValidationFailed(CareplaneError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    code = "VALIDATION_ERROR"
    message = "The request is not valid."


class TooManyRequests(CareplaneError):
    """A limit was reached: 429 with ``Retry-After`` (whole seconds, at least 1)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "TOO_MANY_REQUESTS"
    message = "Too many requests; try again later."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float,
        code: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(
            message,
            code=code,
            details=details,
            headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
        )


class ServiceUnavailable(CareplaneError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "SERVICE_UNAVAILABLE"
    message = "A service this request needs is unavailable."


_STATUS_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": request_id_var.get()}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details), status_code=status_code, headers=headers
    )


async def _careplane_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CareplaneError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return error_response(422, "VALIDATION_ERROR", "The request is not valid.", details)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").capitalize()
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


# PostgreSQL refuses text it cannot store: NUL (U+0000) above all, which JSON can carry
# (``"\u0000"``) and Python strings hold. Refused by the database, the request's
# transaction is rolled back whole: nothing of it is written.
_UNSTORABLE_TEXT = {"22021", "22P05"}  # character_not_in_repertoire, untranslatable_character


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if getattr(exc.orig, "sqlstate", None) in _UNSTORABLE_TEXT:
        return error_response(
            422,
            "TEXT_NOT_STORABLE",
            "Text may not contain the NUL character (U+0000) or bytes that are not UTF-8.",
        )
    return await _unexpected_error(request, exc)


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", error=repr(exc))
    return error_response(500, "INTERNAL_ERROR", "Something went wrong on our side.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CareplaneError, _careplane_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
