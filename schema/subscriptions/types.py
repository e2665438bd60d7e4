"""A user's subscriptions: the subscription type, its list, and the enums about its state."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry
from strawberry.utils.await_maybe import AwaitableOrValue

from records.subscriptions import Subscription, SubscriptionStatus
from resolvers import subscriptions
from resolvers.pagination import Page
from resolvers.subscriptions import StatusFilter
from schema.catalog.types import CourseType, course_type_of
from schema.common.info import Info
from schema.common.pagination import PageInfo

strawberry.enum(
    StatusFilter, name="SubscriptionStatusFilter", description="Which subscriptions to list"
)


@strawberry.enum(description="Where a subscription stands now")
class SubscriptionState(enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


def _state(subscription: Subscription, now: datetime) -> SubscriptionState:
    if subscription.status is SubscriptionStatus.CANCELLED:
        return SubscriptionState.CANCELLED
    if subscription.status is SubscriptionStatus.REFUNDED:
        return SubscriptionState.REFUNDED
    return SubscriptionState.ACTIVE if subscription.is_active_at(now) else SubscriptionState.EXPIRED


@strawberry.type(name="Subscription")
class SubscriptionType:
    id: strawberry.ID
    course_id: strawberry.ID
    enrolled_at: datetime
    expires_at: datetime | None = strawberry.field(description="null: lifetime access")
    state: SubscriptionState
    is_active: bool
    days_left: int | None = strawberry.field(description="Whole days left; null: lifetime")
    source: str

    @strawberry.field(graphql_type=CourseType | None)
    def course(self, info: Info) -> AwaitableOrValue[CourseType | None]:
        return course_type_of(subscriptions.course_of(info.context, int(self.course_id)))

    @classmethod
    def from_record(cls, subscription: Subscription, now: datetime) -> SubscriptionType:
        return cls(
            id=strawberry.ID(str(subscription.id)),
            course_id=strawberry.ID(str(subscription.course_id)),
            enrolled_at=subscription.enrolled_at,
            expires_at=subscription.expires_at,
            state=_state(subscription, now),
            is_active=subscription.is_active_at(now),
            days_left=subscription.days_left_at(now),
            source=subscription.source,
        )


@strawberry.type
class SubscriptionEdge:
    cursor: str
    node: SubscriptionType


@strawberry.type
class SubscriptionConnection:
    edges: list[SubscriptionEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[Subscription], now: datetime) -> SubscriptionConnection:
        edges = [
            SubscriptionEdge(cursor=cursor, node=SubscriptionType.from_record(item, now))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=PageInfo.of(page.cursors, page.has_next_page))
