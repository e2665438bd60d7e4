"""What the HTTP layer (the response caches, the metrics) needs to know about a GraphQL document,
parsed once per text."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
)


@lru_cache(maxsize=1024)
def parsed(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None


def has_mutation(query: str) -> bool:
    document = parsed(query)
    return document is not None and any(
        isinstance(d, OperationDefinitionNode) and d.operation is OperationType.MUTATION
        for d in document.definitions
    )


def sole_query(query: str, operation_name: str | None) -> OperationDefinitionNode | None:
    """The document's only definition, when it is a query and the one the request names."""
    document = parsed(query)
    if document is None or len(document.definitions) != 1:
        return None
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode):
        return None
    named = operation.name.value if operation.name else None
    if operation.operation is not OperationType.QUERY or operation_name not in (None, named):
        return None
    return operation


def selects_only(operation: OperationDefinitionNode, root_fields: Collection[str]) -> bool:
    return all(
        isinstance(selection, FieldNode) and selection.name.value in root_fields
        for selection in operation.selection_set.selections
    )
