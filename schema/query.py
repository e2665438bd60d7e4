from __future__ import annotations

import strawberry

from datasources.search.contract import SearchFilters, SearchSort
from resolvers import catalog, lifecycle, subscriptions
from resolvers import search as search_use_cases
from resolvers.context import RequestContext
from resolvers.subscriptions import StatusFilter
from schema.course_types import CategoryCountType, CourseConnection, CourseType
from schema.enums import SubscriptionStatusFilter
from schema.inputs import CourseFilterInput
from schema.lifecycle_types import LifecycleJobType, resolve_job
from schema.search_types import SearchConnection, SearchFiltersInput, SuggestionType
from schema.subscription_types import SubscriptionConnection

Info = strawberry.Info[RequestContext, None]


@strawberry.type
class Me:
    user_id: strawberry.ID

    @strawberry.field(description="Newest enrolment first; `first` at most 100")
    async def subscriptions(
        self,
        info: Info,
        status: SubscriptionStatusFilter = SubscriptionStatusFilter.ACTIVE,
        first: int = 20,
        after: str | None = None,
    ) -> SubscriptionConnection:
        ctx = info.context
        page = await subscriptions.my_subscriptions(ctx, StatusFilter(status.value), first, after)
        return SubscriptionConnection.from_page(page, ctx.now)

    @strawberry.field(
        description="Active subscriptions ending within `withinDays` (1-365), soonest first;"
        " `first` at most 100"
    )
    async def expiring_subscriptions(
        self, info: Info, within_days: int, first: int = 20, after: str | None = None
    ) -> SubscriptionConnection:
        ctx = info.context
        page = await lifecycle.expiring_subscriptions(ctx, within_days, first, after)
        return SubscriptionConnection.from_page(page, ctx.now)


@strawberry.type
class Query:
    @strawberry.field(description="Courses in a stable order; `first` at most 100")
    async def courses(
        self,
        info: Info,
        filter: CourseFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> CourseConnection:
        course_filter = (filter or CourseFilterInput()).to_record()
        page = await catalog.list_courses(info.context, course_filter, first, after)
        return CourseConnection.from_page(page)

    @strawberry.field(description="One course by id or by slug (give exactly one)")
    async def course(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> CourseType | None:
        found = await catalog.get_course(info.context, id, slug)
        return None if found is None else CourseType.from_record(found)

    @strawberry.field(description="Active courses per category")
    async def categories(self, info: Info) -> list[CategoryCountType]:
        return [
            CategoryCountType.from_record(c) for c in await catalog.list_categories(info.context)
        ]

    @strawberry.field(
        description="Active courses by text and facets; an empty query browses."
        " `query` at most 200 characters, `first` at most 100"
    )
    async def search(
        self,
        info: Info,
        query: str = "",
        filters: SearchFiltersInput | None = None,
        sort: SearchSort = SearchSort.RELEVANCE,
        first: int = 20,
        after: str | None = None,
    ) -> SearchConnection:
        record = filters.to_record() if filters else SearchFilters()
        page = await search_use_cases.search(info.context, query, record, sort, first, after)
        return SearchConnection.from_page(page)

    @strawberry.field(description="Course suggestions while typing; `first` at most 20")
    async def autocomplete(self, info: Info, prefix: str, first: int = 8) -> list[SuggestionType]:
        found = await search_use_cases.autocomplete(info.context, prefix, first)
        return [SuggestionType.from_found(suggestion) for suggestion in found]

    @strawberry.field(description="Admin: a lifecycle job and its progress; null if unknown")
    async def job(self, info: Info, id: strawberry.ID) -> LifecycleJobType | None:
        return await resolve_job(info, id)

    @strawberry.field(description="The signed-in user")
    def me(self, info: Info) -> Me:
        return Me(user_id=strawberry.ID(str(info.context.require_user().user_id)))
