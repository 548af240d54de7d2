"""From ORM rows to read schemas."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

S = TypeVar("S", bound=BaseModel)


def read_as(schema: type[S], row: Any, **extra: Any) -> S:
    """The schema filled from the row's attributes, plus the values it does not have."""
    values = {name: getattr(row, name) for name in schema.model_fields if hasattr(row, name)}
    return schema.model_validate({**values, **extra})
