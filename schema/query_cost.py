"""A request's estimated cost before it runs, in the model of Apollo's demand control (the IBM
GraphQL cost specification): an object costs 1 and a scalar 0 unless its field says otherwise
(`@cost`), a mutation field 10, and a list multiplies what each item costs by its size (the
`first` it was asked for, or the size `@listSize` assumes). Fragments count where they apply, a
field selected twice counts once, and of a union's or interface's types the dearest counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_abstract_type,
    is_composite_type,
    is_list_type,
)
from strawberry.types.field import StrawberryField

from schema.common.cost import Cost, ListSize

MUTATION_COST = 10
ABSENT = object()  # a variable the request left out
# A list whose size nothing says (every list of the schema says it; see the schema tests).
DEFAULT_LIST_SIZE = 10
# Nested lists multiply: an estimate is capped at the largest integer JSON carries exactly, so
# a refusal can always say what it estimated.
MAX_COST = 2**53 - 1


@dataclass(frozen=True)
class FieldCost:
    weight: int | None = None  # None: the cost of the field's type
    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: tuple[str, ...] = ()


def _field_cost(field: GraphQLField) -> FieldCost | None:
    definition = field.extensions.get("strawberry-definition")
    if not isinstance(definition, StrawberryField):
        return None
    weight: int | None = None
    size = FieldCost()
    for directive in definition.directives:
        if isinstance(directive, Cost):
            weight = directive.weight
        elif isinstance(directive, ListSize):
            size = FieldCost(
                assumed_size=directive.assumed_size or None,
                slicing_arguments=tuple(directive.slicing_arguments or ()),
                sized_fields=tuple(directive.sized_fields or ()),
            )
    if weight is None and size == FieldCost():
        return None
    return FieldCost(weight, size.assumed_size, size.slicing_arguments, size.sized_fields)


class QueryCost:
    """The cost table of one schema, read from its directives once."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.fields: dict[tuple[str, str], FieldCost] = {}
        for named in schema.type_map.values():
            if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
                for name, field in named.fields.items():
                    found = _field_cost(field)
                    if found is not None:
                        self.fields[named.name, name] = found

    def estimate(
        self, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
    ) -> int:
        """0 when there is no operation to run (execution reports that)."""
        return self.estimate_and_reads(document, operation_name, variables)[0]

    def estimate_and_reads(
        self, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
    ) -> tuple[int, tuple[tuple[str, Any], ...]]:
        """The cost, and the variables it was computed from with their values: the same
        document with those variables the same costs the same, whatever the others are."""
        operation = get_operation_ast(document, operation_name)
        root = None if operation is None else self.schema.get_root_type(operation.operation)
        if operation is None or root is None:
            return 0, ()
        estimate = _Estimate(self, document, operation, variables)
        cost = min(estimate.selections(root, [operation.selection_set], {}), MAX_COST)
        return cost, tuple(estimate.reads.items())


@cache
def query_cost(schema: GraphQLSchema) -> QueryCost:
    return QueryCost(schema)


class _Estimate:
    def __init__(
        self,
        table: QueryCost,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self._table = table
        self._schema = table.schema
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._given = variables
        self._variables = dict(variables)
        self.reads: dict[str, Any] = {}  # as given: ABSENT for one left to its default
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self._variables and definition.default_value is not None:
                self._variables[name] = _literal(definition.default_value)
        self._mutation = (
            self._schema.mutation_type if operation.operation == OperationType.MUTATION else None
        )

    def selections(
        self,
        parent: GraphQLCompositeType,
        selection_sets: Sequence[SelectionSetNode],
        sizes: Mapping[str, int],
    ) -> int:
        """The dearest of the types an object of `parent` can be."""
        if isinstance(parent, GraphQLObjectType):
            return self._on_object(parent, selection_sets, sizes)
        return max(
            (
                self._on_object(t, selection_sets, sizes)
                for t in self._schema.get_possible_types(parent)
            ),
            default=0,
        )

    def _on_object(
        self,
        parent: GraphQLObjectType,
        selection_sets: Sequence[SelectionSetNode],
        sizes: Mapping[str, int],
    ) -> int:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect(parent, selection_set.selections, fields, visited)
        total = 0
        for nodes in fields.values():
            name = nodes[0].name.value
            field = parent.fields.get(name)
            if field is not None:  # introspection's fields cost nothing
                total += self._field(parent, name, field, nodes, sizes.get(name))
        return total

    def _field(
        self,
        parent: GraphQLObjectType,
        name: str,
        field: GraphQLField,
        nodes: list[FieldNode],
        size_from_parent: int | None,
    ) -> int:
        spec = self._table.fields.get((parent.name, name), _NO_SPEC)
        named = get_named_type(field.type)
        if spec.weight is not None:
            weight = spec.weight
        elif parent is self._mutation:
            weight = MUTATION_COST
        else:
            weight = 1 if is_composite_type(named) else 0
        size = self._size(spec, field, nodes[0])
        children = 0
        if is_composite_type(named):
            child_sets = [node.selection_set for node in nodes if node.selection_set]
            child_sizes = dict.fromkeys(spec.sized_fields, size) if spec.sized_fields else {}
            children = self.selections(named, child_sets, child_sizes)
        if spec.sized_fields or not is_list_type(get_nullable_type(field.type)):
            return weight + children
        items = size_from_parent if size_from_parent is not None else size
        return items * (weight + children)

    def _size(self, spec: FieldCost, field: GraphQLField, node: FieldNode) -> int:
        """The largest slicing argument given (a list argument: its length), else its default,
        else the size assumed."""
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        sizes = []
        for name in spec.slicing_arguments:
            value = self._value(given[name]) if name in given else None
            if value is None:  # not given, or a variable left out: the argument's default
                value = _default(field, name)
            if isinstance(value, list):
                value = len(value)
            if isinstance(value, int):
                sizes.append(max(0, value))
        if sizes:
            return max(sizes)
        return spec.assumed_size if spec.assumed_size is not None else DEFAULT_LIST_SIZE

    def _collect(
        self,
        parent: GraphQLObjectType,
        selections: Sequence[SelectionNode],
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(parent, condition.name.value):
                    self._collect(parent, selection.selection_set.selections, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(parent, fragment.type_condition.name.value):
                    self._collect(parent, fragment.selection_set.selections, fields, visited)

    def _applies(self, parent: GraphQLObjectType, condition: str) -> bool:
        condition_type = self._schema.get_type(condition)
        if condition_type is parent:
            return True
        return is_abstract_type(condition_type) and self._schema.is_sub_type(condition_type, parent)

    def _included(self, selection: SelectionNode) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next(
                (self._value(a.value) for a in directive.arguments or () if a.name.value == "if"),
                None,
            )
            if condition is (name == "skip"):
                return False
        return True

    def _value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            name = node.name.value
            self.reads[name] = self._given.get(name, ABSENT)
            return self._variables.get(name)
        return _literal(node)


_NO_SPEC = FieldCost()


def _default(field: GraphQLField, name: str) -> Any:
    argument = field.args.get(name)
    return (
        None if argument is None or argument.default_value is Undefined else argument.default_value
    )


def _literal(node: ValueNode) -> Any:
    """The ints, booleans and list lengths the estimate reads; nothing else it needs."""
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, ListValueNode):
        return list(node.values)
    return None
