"""Depth and alias limits as validation rules that read each fragment once. strawberry's
QueryDepthLimiter and MaxAliasesLimiter walk a fragment again at every spread, so a chain of
fragments each spreading the next one twice costs 2^n steps: 20 levels in 214 tokens held a
worker for 9 s (tests/test_query_limits.py). Here each fragment's depth and alias count are
computed once and reused, so the work grows with the document, not with its spreads. Depth is
counted as strawberry counts it (fields with a selection set, introspection fields left out),
and the messages are the same."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


def document_limit_rules(max_depth: int, max_aliases: int) -> list[type[ASTValidationRule]]:
    class DocumentLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measured = DocumentMeasures(context.document)
            for operation in measured.operations:
                if measured.depth(operation.selection_set) > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            operation,
                        )
                    )
            aliases = sum(measured.aliases(o.selection_set) for o in measured.operations)
            if aliases > max_aliases:
                context.report_error(
                    GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases}")
                )

    return [DocumentLimits]


class DocumentMeasures:
    def __init__(self, document: DocumentNode) -> None:
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        self._fragments: Mapping[str, FragmentDefinitionNode] = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._open: set[str] = set()  # fragments being measured: a cycle counts nothing

    def depth(self, selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(
                    deepest, self._of_fragment(selection.name.value, self._depths, self.depth)
                )
        return deepest

    def aliases(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._of_fragment(selection.name.value, self._aliases, self.aliases)
        return count

    def _of_fragment(self, name: str, known: dict[str, int], measure: Any) -> int:
        if name in known:
            return known[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return 0  # an unknown fragment or a cycle: other rules refuse the document
        self._open.add(name)
        known[name] = measure(fragment.selection_set)
        self._open.discard(name)
        return known[name]
