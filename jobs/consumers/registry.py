"""The consumers `coursegate consume NAME` runs, by name; the embedded gateway runs them all."""

from __future__ import annotations

from collections.abc import Callable

from datasources.backends import Backends
from jobs.consumers.analytics import AnalyticsConsumer
from jobs.consumers.popularity import PopularityConsumer
from jobs.consumers.runner import Consumer
from jobs.indexer import SearchIndexer
from records.events import EventKind

CONSUMERS: dict[str, Callable[[Backends], Consumer]] = {
    PopularityConsumer.name: PopularityConsumer,
    AnalyticsConsumer.name: AnalyticsConsumer,
}

# What each consumer reads, for its lag at /readyz and /metrics; the search indexer runs as
# `coursegate indexer` (the embedded gateway runs it when it writes the local index).
CONSUMER_KINDS: dict[str, frozenset[EventKind]] = {
    PopularityConsumer.name: PopularityConsumer.kinds,
    AnalyticsConsumer.name: AnalyticsConsumer.kinds,
    SearchIndexer.name: SearchIndexer.kinds,
}
