"""Per-request DataLoaders: one set per request, created in the context getter; each loader is
made on its first use, so a request pays only for the ones it reads through."""

from __future__ import annotations

from functools import cached_property
from typing import Any, TypeVar

from aiodataloader import DataLoader
from opentelemetry.trace import Tracer

from datasources.backends import Backends
from datasources.cache.cached_subscriptions import CachedEntry
from loaders.content_loaders import LessonLoader, OutlineLoader
from loaders.course_loader import CourseLoader
from loaders.pinned_batches import pin_batches
from loaders.recommendation_loader import NeighbourLoader
from loaders.subscription_loader import MyEntryLoader, MySubscriptionLoader
from loaders.traced_batches import traced_batches

L = TypeVar("L", bound=DataLoader[Any, Any])


class Loaders:
    def __init__(
        self,
        backends: Backends,
        user_id: int | None,
        tracer: Tracer | None,
        my_entry: CachedEntry | None,
    ) -> None:
        self._backends = backends
        self._user_id = user_id
        self._tracer = tracer
        self._my_entry = my_entry

    @classmethod
    def for_request(
        cls,
        backends: Backends,
        user_id: int | None,
        tracer: Tracer | None = None,
        my_entry: CachedEntry | None = None,
    ) -> Loaders:
        """`tracer`: a span per batch (only given when tracing is on). `my_entry`: the user's
        subscriptions entry, when this request has read it already (a response cache's lookup)."""
        return cls(backends, user_id, tracer, my_entry)

    def _traced(self, loader: L, name: str) -> L:
        if self._tracer is not None:
            traced_batches(loader, self._tracer, name)
        pin_batches(loader)
        return loader

    @cached_property
    def course(self) -> CourseLoader:
        return self._traced(CourseLoader(self._backends.catalog), "courses")

    @cached_property
    def course_neighbours(self) -> NeighbourLoader:
        return self._traced(NeighbourLoader(self._backends.recommendations), "course neighbours")

    @cached_property
    def outline(self) -> OutlineLoader:
        return self._traced(OutlineLoader(self._backends.content), "outlines")

    @cached_property
    def lesson(self) -> LessonLoader:
        return self._traced(LessonLoader(self._backends.content), "lessons")

    @cached_property
    def my_entry(self) -> MyEntryLoader | None:
        """The signed-in user's subscriptions entry; None when nobody is signed in."""
        if self._user_id is None:
            return None
        loader = self._traced(MyEntryLoader(self._backends.subscriptions), "my entry")
        if self._my_entry is not None:
            loader.prime(self._user_id, self._my_entry)
        return loader

    @cached_property
    def my_subscription(self) -> MySubscriptionLoader | None:
        """The signed-in user's subscriptions by course; None when nobody is signed in."""
        entries = self.my_entry
        if self._user_id is None or entries is None:
            return None
        loader = MySubscriptionLoader(self._backends.subscriptions, entries, self._user_id)
        return self._traced(loader, "my subscriptions")
