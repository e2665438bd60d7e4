"""`me`: the signed-in user, with their subscriptions and what is about to expire."""

from __future__ import annotations

import strawberry

from resolvers import lifecycle, recommendations, subscriptions
from resolvers.content import progress as content_progress
from resolvers.subscriptions import StatusFilter
from schema.common.cost import ListSize, paged
from schema.common.info import Info
from schema.content.types import CourseProgressType
from schema.recommendations.types import RecommendationType
from schema.subscriptions.types import SubscriptionConnection


@strawberry.type
class Me:
    user_id: strawberry.ID

    @strawberry.field(
        description="Newest enrolment first; `first` at most 100", directives=[paged()]
    )
    async def subscriptions(
        self,
        info: Info,
        status: StatusFilter = StatusFilter.ACTIVE,
        first: int = 20,
        after: str | None = None,
    ) -> SubscriptionConnection:
        ctx = info.context
        page = await subscriptions.my_subscriptions(ctx, status, first, after)
        return SubscriptionConnection.from_page(page, ctx.now)

    @strawberry.field(
        description="Active subscriptions ending within `withinDays` (1-365), soonest first;"
        " `first` at most 100",
        directives=[paged()],
    )
    async def expiring_subscriptions(
        self, info: Info, within_days: int, first: int = 20, after: str | None = None
    ) -> SubscriptionConnection:
        ctx = info.context
        page = await lifecycle.expiring_subscriptions(ctx, within_days, first, after)
        return SubscriptionConnection.from_page(page, ctx.now)

    @strawberry.field(
        description="Courses the user has no subscription to, best first, each with why;"
        " `first` at most 50",
        directives=[ListSize(slicing_arguments=["first"])],
    )
    async def recommendations(self, info: Info, first: int = 10) -> list[RecommendationType]:
        found = await recommendations.my_recommendations(info.context, first)
        return [RecommendationType.from_recommended(r) for r in found]

    @strawberry.field(description="Progress through one course's exercises")
    async def progress(self, info: Info, course_id: strawberry.ID) -> CourseProgressType:
        return CourseProgressType.from_record(
            await content_progress.course_progress(info.context, course_id)
        )


@strawberry.type
class MeQuery:
    @strawberry.field(description="The signed-in user")
    def me(self, info: Info) -> Me:
        return Me(user_id=strawberry.ID(str(info.context.require_user().user_id)))
