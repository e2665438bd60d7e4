"""What kind of request an operation is, for the latency figures operators watch per kind: the
existing system's targets are per kind (catalog p95 < 100 ms, details < 150 ms, subscriptions
< 200 ms, search < 300 ms).

An operation's kind is the kind of its root fields (`__typename` aside): one kind when they all
share it, `mixed` when a document combines several (a frontend's home page query), `mutation`
for any mutation, `other` for the rest (introspection, admin job status).
"""

from __future__ import annotations

import enum

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)


class OperationKind(enum.StrEnum):
    CATALOG = "catalog"
    DETAILS = "details"
    SUBSCRIPTIONS = "subscriptions"
    SEARCH = "search"
    CONTENT = "content"
    ANALYTICS = "analytics"
    MUTATION = "mutation"
    MIXED = "mixed"
    OTHER = "other"


# Every Query root field; tests/test_operation_kinds.py fails for one missing here.
ROOT_FIELD_KINDS = {
    "courses": OperationKind.CATALOG,
    "categories": OperationKind.CATALOG,
    "course": OperationKind.DETAILS,
    "me": OperationKind.SUBSCRIPTIONS,
    "search": OperationKind.SEARCH,
    "autocomplete": OperationKind.SEARCH,
    "lesson": OperationKind.CONTENT,
    "analytics": OperationKind.ANALYTICS,
    "job": OperationKind.OTHER,
}


def operation_of(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation a request runs: the one named, or the only one; None when neither is."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    named = (o for o in operations if o.name is not None and o.name.value == operation_name)
    return next(named, None)


def operation_kind(document: DocumentNode, operation: OperationDefinitionNode) -> OperationKind:
    if operation.operation is OperationType.MUTATION:
        return OperationKind.MUTATION
    if operation.operation is not OperationType.QUERY:
        return OperationKind.OTHER  # a subscription, which this schema has none of
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = _root_field_names(operation.selection_set, fragments, set())
    kinds = {ROOT_FIELD_KINDS.get(name, OperationKind.OTHER) for name in roots - {"__typename"}}
    if not kinds:
        return OperationKind.OTHER
    return kinds.pop() if len(kinds) == 1 else OperationKind.MIXED


def _root_field_names(
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    visited: set[str],
) -> set[str]:
    """Root field names, through fragments; `visited` guards a document that has not been
    validated yet against a fragment cycle."""
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_field_names(selection.selection_set, fragments, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visited:
                visited.add(name)
                names |= _root_field_names(fragment.selection_set, fragments, visited)
    return names
