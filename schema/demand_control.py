"""Demand control, after a request validated and before anything runs: its estimated cost
(`schema/query_cost.py`) must be within the limit per request, and the request spends its
client's mutation and cost budgets (`resolvers/rate_limits.py`); either refusal is the only
error of the answer."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers import rate_limits
from resolvers.context import RequestContext
from schema.query_cost import ABSENT, query_cost

COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
# Documents whose costs are kept, and per document the variable values they were kept for.
_DOCUMENTS = 1024
_VARIANTS = 8


class DemandControl(SchemaExtension):
    def __init__(self, limit: int, costs: KnownCosts) -> None:
        self._limit = limit  # 0: none per request
        self._costs = costs

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        request = context.context
        if document is not None and context.query is not None:
            cost = self._costs.of(
                context.schema._schema,
                (context.query, context.operation_name),
                document,
                context.variables or {},
            )
            refusal = None
            if self._limit and cost > self._limit:
                refusal = self._over_limit(cost)
            elif isinstance(request, RequestContext):
                is_mutation = context.operation_type is OperationType.MUTATION
                wait = await rate_limits.spend(request, cost, is_mutation)
                if wait:
                    refusal = GraphQLError(
                        rate_limits.rate_limited_message(wait),
                        extensions={"code": rate_limits.RATE_LIMITED, "retryAfterSeconds": wait},
                    )
            if refusal is not None:
                context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def _over_limit(self, cost: int) -> GraphQLError:
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
