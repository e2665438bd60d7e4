"""What /metrics says about GraphQL requests: latency per operation kind and name, and errors by
code.

Latency runs from the request's arrival at the endpoint to its answer being ready, response
cache hits included (sending the bytes is uvicorn's and not counted). The buckets have a bound
at each of the existing system's targets (catalog 100 ms, details 150 ms, subscriptions 200 ms,
search 300 ms) and at the alerts' 500 ms, where `histogram_quantile` is exact.

Operation names are the client's to choose, so they are bounded label values: the first
MAX_OPERATION_NAMES names a process sees are kept, later ones count as `(other)`.

A request adds its latency to plain counters of its label (a bucket index and a sum), turned
into the histogram at scrape: prometheus_client's Histogram takes two locks per observation,
which cost a warm request about 2 µs of its 30 (`bench.in_process`). With several workers
(multiprocess mode) figures must reach the files the scrape reads, so there each request
observes the Histogram itself.
"""

from __future__ import annotations

import itertools
import os
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from graphql import GraphQLError, GraphQLSyntaxError
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from http_api.documents import parsed
from http_api.metrics_registry import MULTIPROCESS_DIR
from schema.operation_kinds import OperationKind, operation_kind, operation_of

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10)
MAX_OPERATION_NAMES = 200
MAX_NAME_CHARS = 64
# Parentheses cannot appear in a GraphQL name, so these never collide with one.
ANONYMOUS = "(anonymous)"
OTHER_NAME = "(other)"  # over the bound, or longer than MAX_NAME_CHARS
UNREAD = "(none)"  # refused before its document was read, or no operation to run in it

REQUEST_DURATION_NAME = "coursegate_request_duration_seconds"
REQUEST_DURATION_HELP = (
    "GraphQL requests at /graphql until their answer is ready, by operation kind and name"
)
LABELS = ("kind", "operation")
GRAPHQL_ERRORS = Counter(
    "coursegate_graphql_errors",
    "Errors in /graphql answers by code (INTERNAL: a bug, masked from the client and logged)",
    ["code"],
)


class _Latencies:
    """One label's requests in this process: how many fell in each bucket (the last: over
    every bound), and their sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1  # le: at most the bound
        self.total += seconds


class _LatencyHistogram:
    """The histogram of every label's `_Latencies`, built when the registry is collected."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], _Latencies] = {}

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(REQUEST_DURATION_NAME, REQUEST_DURATION_HELP, labels=LABELS)
        bounds = [*map(floatToGoString, LATENCY_BUCKETS), "+Inf"]
        for labels, latencies in self.series.items():
            cumulative = itertools.accumulate(latencies.counts)
            family.add_metric(
                list(labels), list(zip(bounds, cumulative, strict=True)), latencies.total
            )
        yield family


_REQUEST_DURATION = _LatencyHistogram()
_multiprocess = (
    Histogram(REQUEST_DURATION_NAME, REQUEST_DURATION_HELP, LABELS, buckets=LATENCY_BUCKETS)
    if MULTIPROCESS_DIR in os.environ
    else None
)
if _multiprocess is None:
    REGISTRY.register(_REQUEST_DURATION)


def _observer(kind: OperationKind, name: str) -> Callable[[float], None]:
    if _multiprocess is not None:
        return _multiprocess.labels(kind.value, name).observe
    return _REQUEST_DURATION.series.setdefault((kind.value, name), _Latencies()).observe


class OperationLabel:
    """One (kind, operation) pair with its histogram series looked up once."""

    __slots__ = ("kind", "name", "observe")

    def __init__(self, kind: OperationKind, name: str) -> None:
        self.kind = kind
        self.name = name
        self.observe = _observer(kind, name)  # (seconds) -> None


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
