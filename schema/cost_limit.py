"""Refuses a request whose estimated cost (`schema/query_cost.py`) is over the limit, after it
validated and before anything runs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension

from schema.query_cost import ABSENT, query_cost

COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
# Documents whose costs are kept, and per document the variable values they were kept for.
_DOCUMENTS = 1024
_VARIANTS = 8


class CostLimit(SchemaExtension):
    def __init__(self, limit: int, costs: KnownCosts) -> None:
        self._limit = limit
        self._costs = costs

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.query is not None:
            cost = self._costs.of(
                context.schema._schema,
                (context.query, context.operation_name),
                document,
                context.variables or {},
            )
            if cost > self._limit:
                context.result = ExecutionResult(data=None, errors=[self._refusal(cost)])
        yield

    def _refusal(self, cost: int) -> GraphQLError:
        return GraphQLError(
            f"the request's estimated cost is {cost}, more than the {self._limit} allowed;"
            " ask for fewer items (`first`) or fewer nested lists",
            extensions={
                "code": COST_LIMIT_EXCEEDED,
                "cost": {"estimated": cost, "limit": self._limit},
            },
        )


class KnownCosts:
    """Estimates kept per document text and operation, each with the variable values it read
    (an estimate reads only slicing arguments and @skip/@include conditions): a document seen
    before costs a dictionary lookup, not a walk of its selections."""

    def __init__(self) -> None:
        self._documents: OrderedDict[
            tuple[str, str | None], list[tuple[tuple[tuple[str, Any], ...], int]]
        ] = OrderedDict()

    def of(
        self,
        schema: GraphQLSchema,
        key: tuple[str, str | None],
        document: DocumentNode,
        variables: Mapping[str, Any],
    ) -> int:
        known = self._documents.get(key)
        if known is not None:
            self._documents.move_to_end(key)
            for reads, cost in known:
                if all(variables.get(name, ABSENT) == value for name, value in reads):
                    return cost
        cost, reads = query_cost(schema).estimate_and_reads(document, key[1], variables)
        if known is None:
            known = self._documents[key] = []
            if len(self._documents) > _DOCUMENTS:
                self._documents.popitem(last=False)
        if len(known) < _VARIANTS:
            known.append((reads, cost))
        return cost
