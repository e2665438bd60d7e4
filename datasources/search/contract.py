"""The search interface every engine implements, and the records it speaks in.

Filters select within a facet with OR (any of the chosen categories) and across facets with AND.
Each facet's counts apply every filter except its own (multi-select facets), so a client can show
how many results picking another value of the same facet would add.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from records.catalog import Course

MAX_PAGE_SIZE = 100
# Deepest position a page may reach; OpenSearch's default max_result_window.
MAX_RESULT_WINDOW = 10_000
MAX_FACET_BUCKETS = 50
MAX_SUGGESTIONS = 20

FACET_NAMES = ("category", "difficulty", "language", "tags", "price")


@dataclass(frozen=True, slots=True)
class PriceRange:
    key: str
    min_paise: int
    max_paise: int | None  # inclusive; None: no upper bound


# Fixed price facet buckets, in rupees in the keys and paise in the bounds.
PRICE_BUCKETS = (
    PriceRange("free", 0, 0),
    PriceRange("under_500", 1, 49_999),
    PriceRange("500_to_1000", 50_000, 99_999),
    PriceRange("1000_to_2000", 100_000, 199_999),
    PriceRange("over_2000", 200_000, None),
)


class SearchUnavailable(Exception):
    """The engine is down or has no index yet; callers fall back to a database query."""


@dataclass(frozen=True, slots=True)
class SearchDocument:
    course_id: int
    slug: str
    title: str
    description: str
    category: str
    difficulty: str
    language: str
    tags: tuple[str, ...]
    price_paise: int
    popularity: int  # active subscriber count
    created_at: datetime

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("created_at must be timezone-aware")
        if self.price_paise < 0:
            raise ValueError("price_paise must not be negative")
        if self.popularity < 0:
            raise ValueError("popularity must not be negative")

    @classmethod
    def from_course(cls, course: Course, popularity: int) -> SearchDocument:
        return cls(
            course_id=course.id,
            slug=course.slug,
            title=course.title,
            description=course.description,
            category=course.category.value,
            difficulty=course.difficulty.value,
            language=course.language,
            tags=tuple(course.tags),
            price_paise=course.price_paise,
            popularity=popularity,
            created_at=course.created_at,
        )


@dataclass(frozen=True, slots=True)
class SearchFilters:
    categories: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    price_min: int | None = None  # paise, inclusive
    price_max: int | None = None  # paise, inclusive
    free: bool | None = None  # True: only free courses, False: only paid ones


class SearchSort(enum.StrEnum):
    RELEVANCE = "relevance"  # with an empty query: most popular first
    POPULAR = "popular"
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: SearchSort = SearchSort.RELEVANCE
    offset: int = 0
    limit: int = 20

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise ValueError("offset must not be negative")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if self.offset + self.limit > MAX_RESULT_WINDOW:
            raise ValueError(f"offset + limit must not exceed {MAX_RESULT_WINDOW}")


@dataclass(frozen=True, slots=True)
class SearchHit:
    course_id: int
    score: float  # engine relevance; 0.0 when sorted by a field or browsing
    title_highlight: str  # HTML-escaped, matched terms wrapped in <em>...</em>
    description_highlight: str  # same, a fragment of the description


@dataclass(frozen=True, slots=True)
class FacetBucket:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    total: int
    # Keys are FACET_NAMES. Term facets: count descending then value, zero counts left out, at most
    # MAX_FACET_BUCKETS. "price": the PRICE_BUCKETS in their fixed order, zero counts included.
    facets: dict[str, tuple[FacetBucket, ...]]


@dataclass(frozen=True, slots=True)
class Suggestion:
    course_id: int
    title: str
    score: float


DocumentBatches = AsyncIterable[Sequence[SearchDocument]] | Iterable[Sequence[SearchDocument]]


class SearchEngine(Protocol):
    """A course search engine.

    Only documents that are present are found: callers delete inactive courses. Every method
    raises SearchUnavailable when the engine cannot answer (down, closed or no index yet).
    """

    async def search(self, request: SearchRequest) -> SearchResult: ...

    async def autocomplete(self, prefix: str, limit: int) -> list[Suggestion]: ...

    async def upsert(self, docs: Sequence[SearchDocument]) -> None: ...

    async def delete(self, course_ids: Sequence[int]) -> None: ...

    async def rebuild(self, docs: DocumentBatches) -> None:
        """Index docs into a fresh index and swap it in atomically; the old index goes away."""
        ...

    async def has_index(self) -> bool: ...

    async def ping(self) -> bool: ...

    def index_version(self) -> int | None:
        """Moves on with every change this process makes to the index; None: the engine cannot
        tell (another process writes it, or there is no index), so answers must not be cached."""
        ...

    async def close(self) -> None: ...
