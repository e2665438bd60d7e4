"""Plans kept per parsed operation, so a document is planned once per process.

Keyed by the identity of the schema and of the operation's node: strawberry's ParserCache
hands the same parsed document to every request with the same text. An entry holds both, so
neither id can be reused while it is kept. A plan holds for one set of values of the
variables that `@skip`/`@include` read; the others may change per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode

from schema.execution.plans import Plan, PlanInputs, condition_variables, plan_operation

# A document with many condition variables has as many plans as value sets it is sent with.
MAX_PLANS_PER_OPERATION = 16


@dataclass(slots=True)
class _OperationPlans:
    schema: GraphQLSchema
    operation: OperationDefinitionNode
    condition_variables: tuple[str, ...]
    by_conditions: dict[tuple[Any, ...], Plan] = field(default_factory=dict)


class PlanCache:
    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._operations: dict[tuple[int, int], _OperationPlans] = {}

    def plan(self, inputs: PlanInputs) -> Plan:
        key = (id(inputs.schema), id(inputs.operation))
        entry = self._operations.get(key)
        if entry is None or entry.operation is not inputs.operation:
            entry = self._entry(key, inputs)
        values = inputs.variable_values.coerced
        conditions = tuple(values.get(name) for name in entry.condition_variables)
        plan = entry.by_conditions.get(conditions)
        if plan is None:
            plan = plan_operation(inputs)
            if len(entry.by_conditions) >= MAX_PLANS_PER_OPERATION:
                entry.by_conditions.clear()
            entry.by_conditions[conditions] = plan
        return plan

    def _entry(self, key: tuple[int, int], inputs: PlanInputs) -> _OperationPlans:
        if len(self._operations) >= self._maxsize:
            del self._operations[next(iter(self._operations))]  # the oldest
        entry = _OperationPlans(
            inputs.schema,
            inputs.operation,
            condition_variables(inputs.operation, inputs.fragments),
        )
        self._operations[key] = entry
        return entry
