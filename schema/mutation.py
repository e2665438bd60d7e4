from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import course_admin, subscriptions
from resolvers.checkout.confirm import confirm_payment
from resolvers.checkout.start import StartedCheckout, start_checkout
from resolvers.context import RequestContext
from resolvers.errors import Problem
from schema.checkout_types import (
    ConfirmPaymentResult,
    StartCheckoutResult,
    confirmed_payment,
    started_checkout,
)
from schema.course_types import CourseType
from schema.inputs import CreateCourseInput, UpdateCourseInput
from schema.lifecycle_types import LifecycleMutations
from schema.problems import (
    AlreadySubscribed,
    Forbidden,
    InvalidInput,
    NotFound,
    PaymentRequired,
    Unauthenticated,
    problem_type,
)
from schema.subscription_types import SubscriptionType

Info = strawberry.Info[RequestContext, None]


@strawberry.type
class EnrollSuccess:
    subscription: SubscriptionType


@strawberry.type
class CancelSuccess:
    subscription: SubscriptionType


@strawberry.type
class CoursePayload:
    course: CourseType


EnrollResult = Annotated[
    EnrollSuccess | NotFound | AlreadySubscribed | PaymentRequired | Unauthenticated | InvalidInput,
    strawberry.union("EnrollResult"),
]
CancelResult = Annotated[
    CancelSuccess | NotFound | Unauthenticated | InvalidInput,
    strawberry.union("CancelSubscriptionResult"),
]
CourseResult = Annotated[
    CoursePayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("CourseResult"),
]


@strawberry.type
class Mutation(LifecycleMutations):
    @strawberry.mutation(description="Enrol the signed-in user in a free course")
    async def enroll(self, info: Info, course_id: strawberry.ID) -> EnrollResult:
        outcome = await subscriptions.enroll(info.context, course_id)
        if isinstance(outcome, Problem):
            return problem_type(outcome)  # type: ignore[return-value]
        return EnrollSuccess(subscription=SubscriptionType.from_record(outcome, info.context.now))

    @strawberry.mutation(description="End the signed-in user's access to a course now")
    async def cancel_subscription(self, info: Info, course_id: strawberry.ID) -> CancelResult:
        outcome = await subscriptions.cancel(info.context, course_id)
        if isinstance(outcome, Problem):
            return problem_type(outcome)  # type: ignore[return-value]
        return CancelSuccess(subscription=SubscriptionType.from_record(outcome, info.context.now))

    @strawberry.mutation(description="Start buying a paid course; one order per idempotency key")
    async def start_checkout(
        self, info: Info, course_id: strawberry.ID, idempotency_key: str
    ) -> StartCheckoutResult:
        outcome = await start_checkout(info.context, course_id, idempotency_key)
        if not isinstance(outcome, StartedCheckout):
            return problem_type(outcome)  # type: ignore[return-value]
        return started_checkout(outcome)

    @strawberry.mutation(description="Report a successful Razorpay Checkout; grants access once")
    async def confirm_payment(
        self, info: Info, order_id: str, payment_id: str, signature: str
    ) -> ConfirmPaymentResult:
        outcome = await confirm_payment(info.context, order_id, payment_id, signature)
        if isinstance(outcome, Problem):
            return problem_type(outcome)  # type: ignore[return-value]
        return confirmed_payment(outcome, info.context.now)

    @strawberry.mutation(description="Admin: add a course")
    async def create_course(self, info: Info, input: CreateCourseInput) -> CourseResult:
        outcome = await course_admin.create_course(info.context, input.to_draft())
        if isinstance(outcome, Problem):
            return problem_type(outcome)  # type: ignore[return-value]
        return CoursePayload(course=CourseType.from_record(outcome))

    @strawberry.mutation(description="Admin: change some fields of a course")
    async def update_course(
        self, info: Info, id: strawberry.ID, input: UpdateCourseInput
    ) -> CourseResult:
        outcome = await course_admin.update_course(info.context, id, input.changes())
        if isinstance(outcome, Problem):
            return problem_type(outcome)  # type: ignore[return-value]
        return CoursePayload(course=CourseType.from_record(outcome))
