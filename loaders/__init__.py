"""Per-request DataLoaders: one set per request, created in the context getter; each loader is
made on its first use, so a request pays only for the ones it reads through."""

from __future__ import annotations

from functools import cached_property

from datasources.backends import Backends
from loaders.content_loaders import LessonLoader, OutlineLoader
from loaders.course_loader import CourseLoader
from loaders.subscription_loader import MySubscriptionLoader


class Loaders:
    def __init__(self, backends: Backends, user_id: int | None) -> None:
        self._backends = backends
        self._user_id = user_id

    @classmethod
    def for_request(cls, backends: Backends, user_id: int | None) -> Loaders:
        return cls(backends, user_id)

    @cached_property
    def course(self) -> CourseLoader:
        return CourseLoader(self._backends.catalog)

    @cached_property
    def outline(self) -> OutlineLoader:
        return OutlineLoader(self._backends.content)

    @cached_property
    def lesson(self) -> LessonLoader:
        return LessonLoader(self._backends.content)

    @cached_property
    def my_subscription(self) -> MySubscriptionLoader | None:
        """The signed-in user's subscriptions by course; None when nobody is signed in."""
        if self._user_id is None:
            return None
        return MySubscriptionLoader(self._backends.subscriptions, self._user_id)
