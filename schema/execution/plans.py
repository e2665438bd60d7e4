"""An operation's plan: what graphql-core's executor works out again for every object of every
request (which fields a selection set holds once fragments, aliases and `@skip`/`@include` are
applied; each field's definition, resolver and how its value is completed), worked out once per
document and kept.

Fields are collected by graphql-core's own `collect_fields`/`collect_subfields`, so a plan
holds exactly the fields graphql-core would run. What a plan does not cover is named as an
`Unsupported` reason, and the operation runs through graphql-core (`executor.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import Node
from graphql.type import GraphQLBoolean, GraphQLID, GraphQLInt, GraphQLLeafType, GraphQLString
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

CONDITION_DIRECTIVES = frozenset({"skip", "include"})
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# Leaf values of exactly this Python type are what the scalar's output coercion returns
# unchanged (graphql-core's coerce_output_value for String, ID and Boolean), so they need no
# call. Everything else goes through the type's coercion.
PASSTHROUGH: Mapping[GraphQLLeafType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}


class StepKind(Enum):
    TYPENAME = "typename"  # __typename: the parent type's name
    ATTRIBUTE = "attribute"  # a strawberry field without a resolver: an attribute of its source
    RESOLVER = "resolver"  # everything else: the field's resolver, with info and arguments


@dataclass(frozen=True, slots=True)
class Leaf:
    output_type: GraphQLLeafType
    passthrough: type | None
    # An Int: an int in its range is its output as well.
    is_int: bool


@dataclass(frozen=True, slots=True)
class NonNull:
    inner: Completion


@dataclass(frozen=True, slots=True)
class ListOf:
    output_type: GraphQLList[GraphQLOutputType]
    item: Completion

    @property
    def item_type(self) -> GraphQLOutputType:
        return self.output_type.of_type


@dataclass(frozen=True, slots=True)
class Object:
    plan: ObjectPlan
    # strawberry's check that a value is of this type (types with interfaces), or None.
    is_type_of: Callable[[Any, Any], Any] | None


@dataclass(frozen=True, slots=True)
class Reference:
    """Completed by graphql-core (interfaces and unions): the value and everything under
    it."""

    output_type: GraphQLOutputType


Completion = Leaf | NonNull | ListOf | Object | Reference


@dataclass(frozen=True, slots=True)
class FieldStep:
    response_name: str
    field_name: str
    parent_type: GraphQLObjectType
    field_def: GraphQLField
    details: FieldDetailsList
    nodes: list[FieldNode]
    kind: StepKind
    attribute: str  # ATTRIBUTE: the source's attribute
    read: Callable[[Any, str], Any]  # ATTRIBUTE: strawberry's default resolver (getattr)
    # RESOLVER: arguments that use no variable, coerced once; None: coerced per execution.
    arguments: dict[str, Any] | None
    completion: Completion
    # A leaf (or non-null leaf) field's completion, or None; and whether it may be null.
    leaf: Leaf | None
    nullable: bool
    # Completing its value may take the field's info: graphql-core completes part of it (a
    # Reference, or a list that is an async iterable), or a type's is_type_of is called.
    needs_info: bool


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    type: GraphQLObjectType
    steps: tuple[FieldStep, ...]


@dataclass(frozen=True, slots=True)
class Unsupported:
    reason: str


Plan = ObjectPlan | Unsupported


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What a plan is made from: one executor's view of the document."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variable_values: VariableValues
    operation: OperationDefinitionNode
    hide_suggestions: bool


class _NotPlanned(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def plan_operation(inputs: PlanInputs) -> Plan:
    operation = inputs.operation
    if operation.operation is not OperationType.QUERY:
        return Unsupported(operation.operation.value)
    root_type = inputs.schema.query_type
    if root_type is None:
        return Unsupported("no query type")
    collected = collect_fields(
        inputs.schema,
        inputs.fragments,
        inputs.variable_values,
        root_type,
        operation,
        inputs.hide_suggestions,
    )
    try:
        if collected.new_defer_usages:
            raise _NotPlanned("defer")
        return _object_plan(inputs, root_type, collected.grouped_field_set)
    except _NotPlanned as not_planned:
        return Unsupported(not_planned.reason)


def condition_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDetails]
) -> tuple[str, ...]:
    """The variables that `@skip`/`@include` read in the operation and its fragments: a plan
    holds for one set of their values."""
    names: set[str] = set()
    selection_sets = [operation.selection_set]
    selection_sets.extend(details.definition.selection_set for details in fragments.values())
    for selection_set in selection_sets:
        _collect_condition_variables(selection_set, names)
    return tuple(sorted(names))


def _collect_condition_variables(selection_set: SelectionSetNode, names: set[str]) -> None:
    for selection in selection_set.selections:
        for directive in selection.directives or ():
            if directive.name.value in CONDITION_DIRECTIVES:
                for argument in directive.arguments or ():
                    names.update(_variables_in(argument.value))
        inner = getattr(selection, "selection_set", None)
        if inner is not None:
            _collect_condition_variables(inner, names)


def _variables_in(node: Node) -> set[str]:
    if isinstance(node, VariableNode):
        return {node.name.value}
    found: set[str] = set()
    for key in node.keys:
        value = getattr(node, key, None)
        children = value if isinstance(value, tuple | list) else (value,)
        for child in children:
            if isinstance(child, Node):
                found |= _variables_in(child)
    return found


def _object_plan(
    inputs: PlanInputs, object_type: GraphQLObjectType, grouped: GroupedFieldSet
) -> ObjectPlan:
    steps = []
    for response_name, details in grouped.items():
        step = _field_step(inputs, object_type, response_name, details)
        if step is not None:
            steps.append(step)
    return ObjectPlan(object_type, tuple(steps))


def _field_step(
    inputs: PlanInputs,
    parent_type: GraphQLObjectType,
    response_name: str,
    details: FieldDetailsList,
) -> FieldStep | None:
    first = details[0]
    field_name = first.node.name.value
    if field_name in INTROSPECTION_FIELDS:
        raise _NotPlanned("introspection")
    for field_details in details:
        if field_details.fragment_variable_values is not None:
            raise _NotPlanned("fragment arguments")
        for directive in field_details.node.directives or ():
            if directive.name.value not in CONDITION_DIRECTIVES:
                raise _NotPlanned("directive")
    field_def = inputs.schema.get_field(parent_type, field_name)
    if field_def is None:
        return None  # graphql-core leaves it out as well
    completion = _completion(inputs, field_def.type, details)
    kind, attribute, read = _how_resolved(field_name, field_def)
    arguments = None
    if kind is StepKind.RESOLVER:
        arguments = _constant_arguments(inputs, field_def, first.node)
    return FieldStep(
        response_name=response_name,
        field_name=field_name,
        parent_type=parent_type,
        field_def=field_def,
        details=details,
        nodes=[field_details.node for field_details in details],
        kind=kind,
        attribute=attribute,
        read=read,
        arguments=arguments,
        completion=completion,
        leaf=_leaf(completion),
        nullable=not isinstance(completion, NonNull),
        needs_info=_needs_info(completion),
    )


def _how_resolved(
    field_name: str, field_def: GraphQLField
) -> tuple[StepKind, str, Callable[[Any, str], Any]]:
    if field_name == "__typename":
        return StepKind.TYPENAME, "", getattr
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    basic = (
        isinstance(definition, StrawberryField)
        # strawberry's own fast path for such fields: the source's attribute, no info
        and getattr(field_def.resolve, "_is_default", False)
        and type(definition).get_result is StrawberryField.get_result
        and definition.base_resolver is None
    )
    if basic:
        assert isinstance(definition, StrawberryField)
        return StepKind.ATTRIBUTE, definition.python_name, definition.default_resolver
    return StepKind.RESOLVER, "", getattr


def _constant_arguments(
    inputs: PlanInputs, field_def: GraphQLField, node: FieldNode
) -> dict[str, Any] | None:
    if not field_def.args and not node.arguments:
        return {}
    if any(_variables_in(argument) for argument in node.arguments or ()):
        return None
    try:
        return get_argument_values(field_def, node, None, None, inputs.hide_suggestions)
    except GraphQLError:
        return None  # raised again, at its field, when it runs


def _completion(
    inputs: PlanInputs, output_type: GraphQLOutputType, details: FieldDetailsList
) -> Completion:
    if isinstance(output_type, GraphQLNonNull):
        return NonNull(_completion(inputs, output_type.of_type, details))
    if isinstance(output_type, GraphQLList):
        return ListOf(output_type, _completion(inputs, output_type.of_type, details))
    if is_leaf_type(output_type):
        assert isinstance(output_type, GraphQLLeafType)
        return Leaf(output_type, PASSTHROUGH.get(output_type), output_type is GraphQLInt)
    if is_object_type(output_type):
        assert isinstance(output_type, GraphQLObjectType)
        collected = collect_subfields(
            inputs.schema,
            inputs.fragments,
            inputs.variable_values,
            inputs.operation,
            output_type,
            details,
            inputs.hide_suggestions,
        )
        if collected.new_defer_usages:
            raise _NotPlanned("defer")
        plan = _object_plan(inputs, output_type, collected.grouped_field_set)
        return Object(plan, output_type.is_type_of)
    return Reference(output_type)


def _needs_info(completion: Completion) -> bool:
    if isinstance(completion, NonNull):
        return _needs_info(completion.inner)
    if isinstance(completion, ListOf):
        return True  # an async iterable is completed by graphql-core
    if isinstance(completion, Object):
        return completion.is_type_of is not None
    return isinstance(completion, Reference)


def _leaf(completion: Completion) -> Leaf | None:
    leaf = completion.inner if isinstance(completion, NonNull) else completion
    return leaf if isinstance(leaf, Leaf) else None
