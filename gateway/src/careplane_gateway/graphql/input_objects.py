"""Input objects built from their GraphQL values by a plan made once per type.

Strawberry builds an input object field by field, resolving each field's type annotation and
its GraphQL name again for every value (about 100 us for ``OpenTicketInput``, more than the
rest of the mutation's own work in the gateway). Its hook for types that build themselves,
``StrawberryObjectDefinition.from_input``, lets the gateway do the same with what never
changes worked out once: a scalar or an enum, already parsed by graphql-core, passes as it
is, exactly as strawberry passes it; anything else (a nested input, a list) goes through
strawberry's own conversion (``InputContext.convert``). A field the caller left out keeps the
class's default, and one without a default is None, as strawberry has them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass
from typing import Any

from graphql import GraphQLInputObjectType, GraphQLSchema
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
    get_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition


@dataclass(frozen=True, slots=True)
class _Field:
    graphql_name: str
    python_name: str
    # The type strawberry converts the value to; None: the value passes as it is.
    converted: StrawberryType | type | None


@dataclass(frozen=True, slots=True)
class _Plan:
    nulls: Mapping[str, None]  # the fields without a default, None unless given
    fields: tuple[_Field, ...]


_PLANS: dict[type, _Plan] = {}


def _passes_as_is(type_: StrawberryType | type, context: InputContext) -> bool:
    """A scalar or an enum, optional or not: strawberry returns such a value unchanged."""
    while isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if type_ is GlobalID:
        return False
    return (
        is_scalar(type_, context.scalar_registry)
        or isinstance(type_, StrawberryEnumDefinition)
        or has_enum_definition(type_)
    )


def _plan(definition: StrawberryObjectDefinition, context: InputContext) -> _Plan:
    nulls = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    }
    fields = []
    for field in definition.fields:
        type_ = field.resolve_type(type_definition=definition)
        fields.append(
            _Field(
                graphql_name=context.config.name_converter.from_field(field),
                python_name=field.python_name,
                converted=None if _passes_as_is(type_, context) else type_,
            )
        )
    return _Plan(nulls=nulls, fields=tuple(fields))


def build_input(type_: type, value: Mapping[str, Any], context: InputContext) -> Any:
    """``StrawberryObjectDefinition.from_input`` for the gateway's input types."""
    plan = _PLANS.get(type_)
    if plan is None:
        plan = _PLANS[type_] = _plan(get_object_definition(type_, strict=True), context)
    kwargs: dict[str, Any] = dict(plan.nulls)
    for field in plan.fields:
        if field.graphql_name in value:
            given = value[field.graphql_name]
            if field.converted is not None:
                given = context.convert(given, field.converted, field.graphql_name)
            kwargs[field.python_name] = given
    return type_(**kwargs)


def input_definitions(schema: GraphQLSchema) -> Iterable[StrawberryObjectDefinition]:
    """The strawberry definitions of the schema's input objects."""
    for graphql_type in schema.type_map.values():
        if isinstance(graphql_type, GraphQLInputObjectType):
            definition = (graphql_type.extensions or {}).get("strawberry-definition")
            if isinstance(definition, StrawberryObjectDefinition):
                yield definition


def build_inputs_by_plan(schema: GraphQLSchema) -> None:
    """Every input type of ``schema`` that does not build itself is built by ``build_input``."""
    for definition in input_definitions(schema):
        if definition.from_input is None or definition.from_input is build_input:
            definition.from_input = build_input
