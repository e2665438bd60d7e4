"""What /metrics says about GraphQL requests: latency per operation kind and name, and errors by
code.

Latency runs from the request's arrival at the endpoint to its answer being ready, response
cache hits included (sending the bytes is uvicorn's and not counted). The buckets have a bound
at each of the existing system's targets (catalog 100 ms, details 150 ms, subscriptions 200 ms,
search 300 ms) and at the alerts' 500 ms, where `histogram_quantile` is exact.

Operation names are the client's to choose, so they are bounded label values: the first
MAX_OPERATION_NAMES names a process sees are kept, later ones count as `(other)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from graphql import GraphQLError, GraphQLSyntaxError
from prometheus_client import Counter, Histogram

from http_api.documents import parsed
from schema.operation_kinds import OperationKind, operation_kind, operation_of

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10)
MAX_OPERATION_NAMES = 200
MAX_NAME_CHARS = 64
# Parentheses cannot appear in a GraphQL name, so these never collide with one.
ANONYMOUS = "(anonymous)"
OTHER_NAME = "(other)"  # over the bound, or longer than MAX_NAME_CHARS
UNREAD = "(none)"  # refused before its document was read, or no operation to run in it

REQUEST_DURATION = Histogram(
    "coursegate_request_duration_seconds",
    "GraphQL requests at /graphql until their answer is ready, by operation kind and name",
    ["kind", "operation"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_ERRORS = Counter(
    "coursegate_graphql_errors",
    "Errors in /graphql answers by code (INTERNAL: a bug, masked from the client and logged)",
    ["code"],
)


class OperationLabel:
    """One (kind, operation) pair with its histogram series looked up once."""

    __slots__ = ("_series", "kind", "name")

    def __init__(self, kind: OperationKind, name: str) -> None:
        self.kind = kind
        self.name = name
        self._series = REQUEST_DURATION.labels(kind.value, name)

    def observe(self, seconds: float) -> None:
        self._series.observe(seconds)


class OperationLabels:
    """The label of each request's operation, worked out once per document text."""

    def __init__(self, max_names: int = MAX_OPERATION_NAMES) -> None:
        self._max_names = max_names
        self._labels: dict[tuple[OperationKind, str], OperationLabel] = {}
        self._names: set[str] = set()
        self.unread = self.label(OperationKind.OTHER, UNREAD)
        self.of_request = lru_cache(maxsize=1024)(self._of_request)

    def _of_request(self, query: str, operation_name: str | None) -> OperationLabel:
        document = parsed(query)
        operation = None if document is None else operation_of(document, operation_name)
        if document is None or operation is None:
            return self.unread
        name = ANONYMOUS if operation.name is None else operation.name.value
        return self.label(operation_kind(document, operation), name)

    def label(self, kind: OperationKind, name: str) -> OperationLabel:
        if name not in self._names:
            if len(self._names) >= self._max_names or len(name) > MAX_NAME_CHARS:
                name = OTHER_NAME
            else:
                self._names.add(name)
        key = (kind, name)
        known = self._labels.get(key)
        if known is None:
            known = self._labels[key] = OperationLabel(kind, name)
        return known


def count_errors(errors: Iterable[GraphQLError]) -> None:
    for error in errors:
        GRAPHQL_ERRORS.labels(error_code(error)).inc()


def count_refusal(code: str) -> None:
    GRAPHQL_ERRORS.labels(code).inc()


def error_code(error: GraphQLError) -> str:
    """The error's own code; graphql-core's errors carry none, and get Apollo Server's."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    # Before execution: the document does not validate or the variables do not fit it. At a
    # field (a masked bug has its code already): an argument value the field refused.
    return "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_USER_INPUT"
