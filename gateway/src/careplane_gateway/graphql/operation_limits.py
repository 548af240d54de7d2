"""How much one GraphQL operation may ask for, decided before any field is resolved.

Besides the depth and token limits (strawberry's own), each operation is measured once it
has been validated and before it runs, with its variables:

- **aliases** (``TOO_MANY_ALIASES``): every alias counts, each time its fragment is spread;
- **fields** (``TOO_MANY_FIELDS``): every field selected, fragments counted where spread;
- **cost** (``QUERY_TOO_COMPLEX``): the most service calls it may cause. A field whose
  resolver calls a service (it takes ``info``) costs 1; a field below a list costs that
  once per item the list may hold: ``first`` for a paginated list (its default page when
  unset), ``list_size`` for any other list; nested lists multiply. The connection's own
  ``nodes`` and ``edges`` are its page, counted once by its ``first``. The count is an upper
  bound: the DataLoaders usually batch far more.

A measure is kept per process (``MeasureCache``, bounded as the parser's cache is) by the
query's text, its operation and the values of the variables it read: most operations read
none, a page reads its ``first``. Measuring again cost more than executing a small query.

Every refusal is a GraphQL error with ``extensions.code`` and no data; nothing was called.
The depth limit and the introspection switch are validation rules (``validation_rules``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql.execution.values import get_variable_values
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from strawberry.extensions import SchemaExtension

from careplane_gateway.graphql.errors import gateway_error
from careplane_gateway.graphql.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_FIELDS = "TOO_MANY_FIELDS"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"

_META_FIELDS = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
    "__typename": TypeNameMetaFieldDef,
}


@dataclass(frozen=True, slots=True)
class Measure:
    aliases: int = 0
    fields: int = 0
    cost: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            self.aliases + other.aliases, self.fields + other.fields, self.cost + other.cost
        )


_NOTHING = Measure()


def calls_a_service(field: GraphQLField) -> bool:
    """Whether the field's resolver may call a service: it is given ``info`` (the context
    with the service callers and loaders); a resolver without it only reshapes its parent."""
    definition = (field.extensions or {}).get("strawberry-definition")
    resolver = getattr(definition, "base_resolver", None)
    return resolver is not None and resolver.info_parameter is not None


def _is_list(graphql_type: GraphQLOutputType) -> bool:
    while isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


class _Measurer:
    """One operation's measure. A fragment is measured once however often it is spread
    (a document of fragments spreading each other twice would otherwise take exponential time
    to walk)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        list_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        defaults = {
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
        }
        self.variables = variables
        self.defaults = defaults
        self.list_size = list_size
        self.measured: dict[str, Measure] = {}
        self.measuring: set[str] = set()
        # The variables whose values the measure depends on.
        self.read: set[str] = set()

    def selection_set(self, selections: SelectionSetNode, parent: GraphQLNamedType) -> Measure:
        total = _NOTHING
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                if inner is not None:
                    total += self.selection_set(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> Measure:
        if name in self.measured:
            return self.measured[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.measuring:
            return _NOTHING  # validation refuses unknown fragments and cycles first
        self.measuring.add(name)
        condition = self.schema.get_type(definition.type_condition.name.value)
        measure = self.selection_set(definition.selection_set, condition) if condition else _NOTHING
        self.measuring.discard(name)
        self.measured[name] = measure
        return measure

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> Measure:
        own = Measure(aliases=1 if node.alias else 0, fields=1)
        definition = self._definition(node.name.value, parent)
        if definition is None:
            return own
        if calls_a_service(definition):
            own += Measure(cost=1)
        if node.selection_set is None:
            return own
        below = self.selection_set(node.selection_set, get_named_type(definition.type))
        times = self._items(node, definition, parent)
        return own + Measure(below.aliases, below.fields, below.cost * times)

    def _definition(self, name: str, parent: GraphQLNamedType) -> GraphQLField | None:
        if name in _META_FIELDS:
            return _META_FIELDS[name]
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return parent.fields.get(name)
        return None

    def _items(self, node: FieldNode, definition: GraphQLField, parent: GraphQLNamedType) -> int:
        """How many times what is selected below this field may be resolved."""
        if "first" in definition.args:
            first = self._int_argument(node, "first")
            return DEFAULT_PAGE_SIZE if first is None else max(1, min(first, MAX_PAGE_SIZE))
        if not _is_list(definition.type):
            return 1
        if parent.name.endswith("Connection"):
            return 1  # nodes and edges: the page its first already counted
        return self.list_size

    def _int_argument(self, node: FieldNode, name: str) -> int | None:
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        if argument is None:
            return None
        value: ValueNode | None = argument.value
        if isinstance(value, VariableNode):
            variable = value.name.value
            self.read.add(variable)
            if variable in self.variables:
                given = self.variables[variable]
                if given is None:
                    return None
                if isinstance(given, int) and not isinstance(given, bool):
                    return given
                # Not an int as sent (200.0, "200"): whatever it becomes, count the worst.
                return MAX_PAGE_SIZE
            value = self.defaults.get(variable)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if value is None or isinstance(value, NullValueNode):
            return None
        return MAX_PAGE_SIZE


def operation_of(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def coerced_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
) -> Mapping[str, Any]:
    """The variables as the operation will run with them: coerced to their declared types
    (``200.0`` given for an ``Int`` is 200), defaults filled in. Variables that cannot be
    coerced fail the execution anyway; they are measured as sent (see ``_int_argument``)."""
    given = dict(variables or {})
    coerced = get_variable_values(schema, operation.variable_definitions or (), given)
    return given if isinstance(coerced, list) else coerced.coerced


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    *,
    list_size: int,
) -> tuple[Measure, frozenset[str]]:
    """The operation's measure, and the variables it depends on."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return _NOTHING, frozenset()
    measurer = _Measurer(
        schema, document, operation, coerced_variables(schema, operation, variables), list_size
    )
    return measurer.selection_set(operation.selection_set, root), frozenset(measurer.read)


_Key = tuple[str, str | None]


class MeasureCache:
    """Measures of the operations measured lately, at most ``maxsize`` of them (least
    recently used out first). An operation is known by its text and name; its measure is
    kept for the values of the variables it read (as sent: ``200`` and ``200.0`` are
    measured apart, each as it runs)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._reads: OrderedDict[_Key, frozenset[str]] = OrderedDict()
        self._measures: OrderedDict[tuple[_Key, tuple[Any, ...]], Measure] = OrderedDict()

    @staticmethod
    def _values(reads: frozenset[str], variables: Mapping[str, Any] | None) -> tuple[Any, ...]:
        given = variables or {}
        return tuple((name, type(given.get(name)), given.get(name)) for name in sorted(reads))

    def get(self, key: _Key, variables: Mapping[str, Any] | None) -> Measure | None:
        reads = self._reads.get(key)
        if reads is None:
            return None
        try:
            found = self._measures.get((key, self._values(reads, variables)))
        except TypeError:  # a value that cannot be a key (a list for an Int): not kept
            return None
        if found is not None:
            self._reads.move_to_end(key)
        return found

    def put(
        self,
        key: _Key,
        reads: frozenset[str],
        variables: Mapping[str, Any] | None,
        found: Measure,
    ) -> None:
        try:
            entry = (key, self._values(reads, variables))
            hash(entry)
        except TypeError:
            return
        self._reads[key] = reads
        self._measures[entry] = found
        for kept in (self._reads, self._measures):
            while len(kept) > self.maxsize:
                kept.popitem(last=False)


class OperationLimits(SchemaExtension):
    """Refuses an operation over its limits (see the module) before it is executed. Made
    per request; the ``cache`` is the process's."""

    def __init__(
        self,
        *,
        max_aliases: int,
        max_fields: int,
        max_cost: int,
        list_size: int,
        cache: MeasureCache | None = None,
    ) -> None:
        self.max_aliases = max_aliases
        self.max_fields = max_fields
        self.max_cost = max_cost
        self.list_size = list_size
        self.cache = cache

    def on_execute(self) -> Iterator[None]:
        self.check(self._measure())
        yield

    def _measure(self) -> Measure:
        context = self.execution_context
        key: _Key | None = None
        if context.query is not None:
            key = (context.query, context.operation_name)
            if self.cache is not None and (known := self.cache.get(key, context.variables)):
                return known
        document = context.graphql_document
        operation = operation_of(document, context.operation_name) if document is not None else None
        if document is None or operation is None:
            return _NOTHING
        found, reads = measure(
            context.schema._schema, document, operation, context.variables, list_size=self.list_size
        )
        if self.cache is not None and key is not None:
            self.cache.put(key, reads, context.variables, found)
        return found

    def check(self, found: Measure) -> None:
        if found.aliases > self.max_aliases:
            raise gateway_error(
                TOO_MANY_ALIASES,
                f"The operation uses {found.aliases} aliases; at most {self.max_aliases} "
                "are allowed.",
                aliases=found.aliases,
                max_aliases=self.max_aliases,
            )
        if found.fields > self.max_fields:
            raise gateway_error(
                TOO_MANY_FIELDS,
                f"The operation selects {found.fields} fields; at most {self.max_fields} "
                "are allowed.",
                fields=found.fields,
                max_fields=self.max_fields,
            )
        if found.cost > self.max_cost:
            raise gateway_error(
                QUERY_TOO_COMPLEX,
                f"The operation could make {found.cost} service calls; at most "
                f"{self.max_cost} are allowed. Ask for smaller pages (first) or fewer "
                "nested lists.",
                cost=found.cost,
                max_cost=self.max_cost,
            )
