"""What an operation costs, counted before it runs (DESIGN section 9), the way GitHub counts nodes.

- A connection field (a type with `edges` and `pageInfo`) costs its page size (`first`, 20 when
  omitted) times the page sizes of every connection above it; `nodes(ids:)` costs its ids.
- Plain lists bounded by design, objects and scalars cost 0.
- Computed fields cost, per occurrence and times the connections above them: `complements` and
  `opportunities` 10 + `first`; `coalition` 25; `coverage` 1,000 without `kotaCode`, 100 with
  it; `report` 1,000.
- Each mutation field costs 10, plus what its payload selects.

One pass over the operation with the variables applied; each fragment is costed once (its cost
is proportional to the page sizes above it, so the memo keeps its cost under a multiplier of
1). Fields the schema does not know are skipped: validation refuses them elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.type.definition import GraphQLInterfaceType

DEFAULT_PAGE_SIZE = 20
MUTATION_COST = 10

Arguments = Mapping[str, Any]

COMPUTED: dict[str, Callable[[Arguments], int]] = {
    "complements": lambda args: 10 + _whole(args.get("first"), 5),
    "opportunities": lambda args: 10 + _whole(args.get("first"), 5),
    "coalition": lambda args: 25,
    "coverage": lambda args: 100 if args.get("kotaCode") is not None else 1000,
    "report": lambda args: 1000,
}
"""Weights of the fields that compute rather than list (per occurrence)."""


def _whole(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(value, 0)


def is_connection(graphql_type: GraphQLNamedType) -> bool:
    return isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType) and {
        "edges",
        "pageInfo",
    } <= set(graphql_type.fields)


def select_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


class _Costing:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._memo: dict[str, int] = {}

    def arguments(self, field: FieldNode) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for argument in field.arguments or ():
            try:
                value = value_from_ast_untyped(argument.value, self.variables)
            except (TypeError, ValueError):
                continue
            # A variable the request leaves out is no argument at all (not a kotaCode).
            if value is not Undefined:
                values[argument.name.value] = value
        return values

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType) -> int:
        """The cost of `selection_set` on `parent` under a multiplier of 1."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, on or parent)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> int:
        if name not in self._memo:
            self._memo[name] = 0  # a cycle (refused by validation) costs nothing
            definition = self.fragments.get(name)
            on = self.schema.get_type(definition.type_condition.name.value) if definition else None
            if definition is not None and on is not None:
                self._memo[name] = self.selections(definition.selection_set, on)
        return self._memo[name]

    def field(self, field: FieldNode, parent: GraphQLNamedType) -> int:
        fields = getattr(parent, "fields", None)
        name = field.name.value
        if not fields or name not in fields:
            return 0
        returned = get_named_type(fields[name].type)
        own, multiplier = 0, 1
        if is_connection(returned):
            multiplier = own = _whole(self.arguments(field).get("first"), DEFAULT_PAGE_SIZE)
        elif name == "nodes" and parent is self.schema.query_type:
            ids = self.arguments(field).get("ids")
            own = len(ids) if isinstance(ids, list) else 1
        elif name in COMPUTED:
            own = COMPUTED[name](self.arguments(field))
        return own + multiplier * self.selections(field.selection_set, returned)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation the request runs (0 when there is none to run)."""
    operation = select_operation(document, operation_name)
    if operation is None:
        return 0
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            values[definition.variable.name.value] = value_from_ast_untyped(
                definition.default_value
            )
    values.update(variables or {})
    costing = _Costing(schema, document, values)
    if operation.operation is OperationType.MUTATION:
        root = schema.mutation_type
        if root is None:
            return 0
        return sum(
            MUTATION_COST + costing.field(selection, root)
            if isinstance(selection, FieldNode)
            # Fragments on Mutation: each field in them is a mutation too.
            else costing.selections(SelectionSetNode(selections=(selection,)), root)
            for selection in operation.selection_set.selections
        )
    root = schema.query_type if operation.operation is OperationType.QUERY else None
    if operation.operation is OperationType.SUBSCRIPTION:
        root = schema.subscription_type
    if root is None:
        return 0
    return costing.selections(operation.selection_set, root)
