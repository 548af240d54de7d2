"""The public GraphQL schema documents itself: every type, field, argument, input field and
enum value the gateway serves carries a description, so an integrator reading the SDL (or an
introspecting tool) learns what each one is without reading the code. The introspection types
(``__*``) and GraphQL's built-in scalars are the specification's, not ours, and are left out."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    specified_scalar_types,
)
from graphql import build_schema as build_sdl

from careplane_gateway.config import GatewaySettings
from careplane_gateway.graphql.schema import build_schema


def _undescribed(schema: GraphQLSchema) -> list[str]:
    missing: list[str] = []

    def check(description: str | None, what: str) -> None:
        if not (description and description.strip()):
            missing.append(what)

    for name, named in sorted(schema.type_map.items()):
        if name.startswith("__") or name in specified_scalar_types:
            continue
        check(named.description, f"type {name}")
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                check(field.description, f"field {name}.{field_name}")
                for arg_name, arg in field.args.items():
                    check(arg.description, f"argument {name}.{field_name}({arg_name})")
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                check(input_field.description, f"input field {name}.{field_name}")
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                check(value.description, f"enum value {name}.{value_name}")
    return missing


def _ours(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        named
        for name, named in schema.type_map.items()
        if not name.startswith("__") and name not in specified_scalar_types
    ]


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    schema = build_schema(GatewaySettings(env="test"))._schema
    # The check sees the whole schema: the roots and every domain's types are in it.
    names = {named.name for named in _ours(schema)}
    assert {"Query", "Mutation", "Subscription", "Ticket", "Agreement", "Delivery"} <= names
    missing = _undescribed(schema)
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)


def test_the_check_finds_what_has_no_description() -> None:
    # The same check on a schema with gaps names each kind of gap, so the test above cannot
    # pass by looking at nothing.
    schema = build_sdl(
        '''
        """Described."""
        type Query {
          bare(arg: Int): Kind
        }
        enum Kind { ONE }
        input Filter { field: Int }
        scalar Money
        '''
    )
    assert _undescribed(schema) == [
        "type Filter",
        "input field Filter.field",
        "type Kind",
        "enum value Kind.ONE",
        "type Money",
        "field Query.bare",
        "argument Query.bare(arg)",
    ]
