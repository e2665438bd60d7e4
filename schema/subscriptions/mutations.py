"""The signed-in user's own subscription changes: free enrolment and cancellation."""

from __future__ import annotations

from typing import Annotated

import strawberry

from records.subscriptions import Subscription
from resolvers import subscriptions
from resolvers.errors import unless_shard_unavailable
from schema.common.info import Info
from schema.common.problems import (
    AlreadySubscribed,
    InvalidInput,
    NotFound,
    PaymentRequired,
    ShardUnavailable,
    Unauthenticated,
)
from schema.common.results import result
from schema.subscriptions.types import SubscriptionType


@strawberry.type
class EnrollSuccess:
    subscription: SubscriptionType


@strawberry.type
class CancelSuccess:
    subscription: SubscriptionType


EnrollResult = Annotated[
    EnrollSuccess
    | NotFound
    | AlreadySubscribed
    | PaymentRequired
    | Unauthenticated
    | InvalidInput
    | ShardUnavailable,
    strawberry.union("EnrollResult"),
]
CancelResult = Annotated[
    CancelSuccess | NotFound | Unauthenticated | InvalidInput | ShardUnavailable,
    strawberry.union("CancelSubscriptionResult"),
]


@strawberry.type
class SubscriptionMutations:
    @strawberry.mutation(description="Enrol the signed-in user in a free course")
    async def enroll(self, info: Info, course_id: strawberry.ID) -> EnrollResult:
        outcome = await unless_shard_unavailable(subscriptions.enroll(info.context, course_id))

        def success(subscription: Subscription) -> EnrollSuccess:
            return EnrollSuccess(
                subscription=SubscriptionType.from_record(subscription, info.context.now)
            )

        return result(
            outcome,
            success,
            NotFound,
            AlreadySubscribed,
            PaymentRequired,
            Unauthenticated,
            InvalidInput,
            ShardUnavailable,
        )

    @strawberry.mutation(description="End the signed-in user's access to a course now")
    async def cancel_subscription(self, info: Info, course_id: strawberry.ID) -> CancelResult:
        outcome = await unless_shard_unavailable(subscriptions.cancel(info.context, course_id))

        def success(subscription: Subscription) -> CancelSuccess:
            return CancelSuccess(
                subscription=SubscriptionType.from_record(subscription, info.context.now)
            )

        return result(outcome, success, NotFound, Unauthenticated, InvalidInput, ShardUnavailable)
