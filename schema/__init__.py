"""The GraphQL schema, one package per domain (types, inputs, its Query and Mutation fields),
composed into the roots in `roots.py`.

No I/O of its own: a type is built from records, and every field that needs data calls a use
case in `resolvers/` (which reaches loaders and datasources), never a loader or store itself.
"""

from __future__ import annotations

from typing import Any

from graphql.execution import Executor
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)

from schema.demand_control import DemandControl, KnownCosts
from schema.document_limits import document_limit_rules
from schema.error_log import ErrorLoggingSchema, LineBudget, MaskBugs, RequestErrorLog
from schema.execution.executor import PlannedExecutor
from schema.roots import Mutation, Query

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
# Client-error log lines: at most this many per window, per process (see LineBudget).
CLIENT_ERROR_LINES = 20
CLIENT_ERROR_WINDOW_SECONDS = 10.0


# Built once, so ValidationCache sees the same rule objects on every request.
_LIMIT_RULES = document_limit_rules(MAX_DEPTH, MAX_ALIASES)


def build_schema(
    max_query_cost: int = 0, executor: type[Executor[Any]] = PlannedExecutor
) -> ErrorLoggingSchema:
    """`max_query_cost`: the most a request's estimated cost may be (0: no limit).
    `executor`: the tests' differential runs pass graphql-core's own (strawberry's)."""
    known_costs = KnownCosts()
    budget = LineBudget(CLIENT_ERROR_LINES, CLIENT_ERROR_WINDOW_SECONDS)
    return ErrorLoggingSchema(
        error_log=RequestErrorLog(budget),
        query=Query,
        mutation=Mutation,
        execution_context_class=executor,
        # Factories: strawberry builds fresh extension instances per request (the
        # parse and validation caches themselves are shared at module level).
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: ParserCache(maxsize=1024),
            lambda: AddValidationRules(_LIMIT_RULES),
            lambda: ValidationCache(maxsize=1024),
            lambda: DemandControl(max_query_cost, known_costs),
            MaskBugs,
        ],
    )
