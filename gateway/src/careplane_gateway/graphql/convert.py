"""From a service's JSON to GraphQL values: the conversions every domain's types use when
they are built from the REST answer they mirror (their ``from_rest``).

The services answer ids as UUID strings, instants and dates in ISO 8601, decimals as strings
or numbers, and leave out (or send null for) what a record does not have; an optional field
stays null here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, TypeAlias, TypeVar

import strawberry

# One JSON object of a service's answer.
Row: TypeAlias = Mapping[str, Any]

EnumT = TypeVar("EnumT", bound=Enum)


def to_id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def optional_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def optional_datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def optional_time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def optional_decimal(value: object | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def optional_float(value: object | None) -> float | None:
    return None if value is None else float(str(value))


def known(enum: type[EnumT], value: object | None) -> EnumT | None:
    """An optional value in one of our enums; null for one this gateway does not know yet (a
    newer service may send more than it knows), rather than a failure."""
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        return None
