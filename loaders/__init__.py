"""Per-request DataLoaders: one set per request, created in the context getter."""

from __future__ import annotations

from dataclasses import dataclass

from datasources.catalog import CatalogSource
from loaders.course_loader import CourseLoader


@dataclass(frozen=True)
class Loaders:
    course: CourseLoader

    @classmethod
    def for_request(cls, catalog: CatalogSource) -> Loaders:
        return cls(course=CourseLoader(catalog))
