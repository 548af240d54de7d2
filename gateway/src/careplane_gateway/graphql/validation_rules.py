"""Validation rules the gateway adds to GraphQL's own: how deep an operation may nest
(``depth_limit``) and, where it is switched off, introspection (``NoIntrospection``:
``INTROSPECTION_DISABLED``). Validated documents are cached (strawberry's ValidationCache),
so a rule runs once per distinct query text."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_introspection_type,
)

INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"


def depth_limit(max_depth: int) -> type[ValidationRule]:
    """A rule refusing an operation whose fields nest deeper than ``max_depth`` (the fields with
    a selection of their own on the way down; introspection fields are not counted), as
    strawberry's ``QueryDepthLimiter`` measures it, with its message. Unlike that one, each
    fragment is measured once: it walks every spread anew, so a few hundred tokens of
    fragments spreading each other twice keep it busy for hours."""

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            heights: dict[str, int] = {}

            def height(selections: SelectionSetNode, seen: frozenset[str]) -> int:
                deepest = 0
                for selection in selections.selections:
                    if isinstance(selection, FieldNode):
                        if selection.selection_set and not selection.name.value.startswith("__"):
                            deepest = max(deepest, 1 + height(selection.selection_set, seen))
                    elif isinstance(selection, InlineFragmentNode):
                        deepest = max(deepest, height(selection.selection_set, seen))
                    elif isinstance(selection, FragmentSpreadNode):
                        name = selection.name.value
                        fragment = fragments.get(name)
                        if fragment is None or name in seen:
                            continue  # unknown fragments and cycles are refused elsewhere
                        if name not in heights:
                            heights[name] = height(fragment.selection_set, seen | {name})
                        deepest = max(deepest, heights[name])
                return deepest

            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                if height(definition.selection_set, frozenset()) > max_depth:
                    name = definition.name.value if definition.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            definition,
                        )
                    )

    return DepthLimit


class NoIntrospection(ValidationRule):
    """``__schema`` and ``__type`` are refused (``__typename`` stays)."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        # The only ways into the introspection types; one error for each.
        if node.name.value not in ("__schema", "__type"):
            return
        named = get_named_type(self.context.get_type())
        if named is not None and is_introspection_type(named):
            self.report_error(
                GraphQLError(
                    "Introspection is switched off on this deployment.",
                    node,
                    extensions={"code": INTROSPECTION_DISABLED},
                )
            )
