"""Turning GraphQL arguments into what the services' REST APIs take."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote, urlencode

from strawberry.types.unset import UNSET

from careplane_gateway.graphql.errors import gateway_error

VALIDATION_ERROR = "VALIDATION_ERROR"


def uuid_arg(value: object, argument: str) -> str:
    """An ``ID`` argument in the services' spelling. Checked here because it may become a path
    segment: ``../plans`` must never reach a service as a different route."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise gateway_error(
            VALIDATION_ERROR, f"`{argument}` is not a valid id.", argument=argument
        ) from None


def path_segment(value: str, argument: str) -> str:
    """Free text as exactly one path segment: slashes encoded, and a dot segment too (httpx
    would resolve ``..`` against the path before it)."""
    if not value:
        raise gateway_error(VALIDATION_ERROR, f"`{argument}` must not be empty.", argument=argument)
    segment = quote(value, safe="")
    return segment.replace(".", "%2E") if not segment.strip(".") else segment


def optional_uuid_arg(value: object | None, argument: str) -> str | None:
    return None if value is None or value is UNSET else uuid_arg(value, argument)


def iso(value: date | datetime | time | None) -> str | None:
    """A date, an instant or a time of day in ISO 8601; null stays null."""
    return None if value is None else value.isoformat()


def given(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the caller gave, an explicit ``null`` included: a PATCH changes only those."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def present(params: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the ones left null: a filter not given filters nothing."""
    return {name: value for name, value in params.items() if value is not None}


def with_query(path: str, **params: object | None) -> str:
    """A path with its query string (null parameters left out): the key of a GET that the
    per-request loaders answer once, however many fields ask for it."""
    query = {name: str(value) for name, value in params.items() if value is not None}
    return f"{path}?{urlencode(query)}" if query else path
