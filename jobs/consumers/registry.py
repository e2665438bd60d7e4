"""The consumers `coursegate consume NAME` runs, by name; the embedded gateway runs them all."""

from __future__ import annotations

from collections.abc import Callable

from datasources.backends import Backends
from jobs.consumers.popularity import PopularityConsumer
from jobs.consumers.runner import Consumer

CONSUMERS: dict[str, Callable[[Backends], Consumer]] = {
    PopularityConsumer.name: PopularityConsumer,
}
