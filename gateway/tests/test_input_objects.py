"""Every input type of the schema is built by its plan (``careplane_gateway.graphql.input_objects``)
exactly as strawberry builds it field by field: the same object for the same GraphQL value,
with fields given, left out and explicitly null, nested inputs and lists of them."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from strawberry.scalars import JSON
from strawberry.types.arguments import InputContext, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryObjectDefinition,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.input_objects import build_input, input_definitions
from careplane_gateway.graphql.schema import build_schema

SCHEMA = build_schema(GatewaySettings(env="test"))
DEFINITIONS = sorted(input_definitions(SCHEMA._schema), key=lambda d: d.name)

SCALARS: dict[object, Any] = {
    str: "text",
    strawberry.ID: "8d6f2a55-6a0e-4f55-9f59-0c7f1c6a2b1e",
    int: 7,
    float: 1.5,
    bool: True,
    datetime.date: datetime.date(2026, 3, 4),
    datetime.datetime: datetime.datetime(2026, 3, 4, 9, 30, tzinfo=datetime.UTC),
    datetime.time: datetime.time(9, 30),
    decimal.Decimal: decimal.Decimal("12.50"),
    JSON: {"nested": [1, "two", None]},
}


def context() -> InputContext:
    return InputContext(
        info=None,
        config=SCHEMA.config,
        scalar_registry=SCHEMA.schema_converter.scalar_registry,
        path=(),
    )


def value_of(type_: Any, choice: Iterator[int]) -> Any:
    """A GraphQL input value of ``type_`` as graphql-core hands it to strawberry: scalars and
    enums parsed, input objects as dicts keyed by GraphQL names (optional fields left out,
    null, or given, in turn)."""
    if isinstance(type_, StrawberryOptional):
        return value_of(type_.of_type, choice)
    if isinstance(type_, StrawberryList):
        return [value_of(type_.of_type, choice), value_of(type_.of_type, choice)]
    if isinstance(type_, StrawberryEnumDefinition):
        return next(iter(type_.wrapped_cls))
    if has_enum_definition(type_):
        members: list[enum.Enum] = list(type_)  # type: ignore[call-overload]
        return members[-1]
    definition = get_object_definition(type_)
    if definition is not None:
        return input_value(definition, choice)
    return SCALARS[type_]


def input_value(definition: StrawberryObjectDefinition, choice: Iterator[int]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for field in definition.fields:
        type_ = field.resolve_type(type_definition=definition)
        name = SCHEMA.config.name_converter.from_field(field)
        optional = isinstance(type_, StrawberryOptional)
        turn = next(choice) % 3 if optional else 2
        if turn == 1:
            value[name] = None
        elif turn == 2:
            value[name] = value_of(type_, choice)
    return value


def strawberrys_own(definition: StrawberryObjectDefinition, value: dict[str, Any]) -> Any:
    """The input as strawberry builds it itself, nested inputs included."""
    for each in DEFINITIONS:
        each.from_input = None
    try:
        return convert_argument(value, definition.origin, context().scalar_registry, SCHEMA.config)
    finally:
        for each in DEFINITIONS:
            each.from_input = build_input


def test_every_input_type_is_built_by_its_plan() -> None:
    assert len(DEFINITIONS) >= 20
    assert all(definition.from_input is build_input for definition in DEFINITIONS)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.name)
@pytest.mark.parametrize("start", [0, 1, 2])
def test_an_input_is_built_as_strawberry_builds_it(
    definition: StrawberryObjectDefinition, start: int
) -> None:
    value = input_value(definition, itertools.count(start))

    planned = build_input(definition.origin, value, context())
    expected = strawberrys_own(definition, value)

    assert type(planned) is definition.origin
    assert planned == expected
    assert dataclasses.fields(planned)  # a dataclass: == compares every field
