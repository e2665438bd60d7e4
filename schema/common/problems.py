"""Typed error results of mutations: every expected failure is a value, not an exception.

Each type names the `ProblemKind` it stands for, so `schema.common.results` finds the type of
a use case's `Problem` among the errors a mutation declares.
"""

from __future__ import annotations

from typing import ClassVar

import strawberry

from resolvers.errors import Problem, ProblemKind


@strawberry.interface
class UserError:
    KIND: ClassVar[ProblemKind]
    message: str

    @classmethod
    def from_problem(cls, problem: Problem) -> UserError:
        return cls(message=problem.message)


@strawberry.type
class NotFound(UserError):
    KIND = ProblemKind.NOT_FOUND


@strawberry.type
class AlreadySubscribed(UserError):
    KIND = ProblemKind.ALREADY_SUBSCRIBED


@strawberry.type
class PaymentRequired(UserError):
    KIND = ProblemKind.PAYMENT_REQUIRED


@strawberry.type
class Unauthenticated(UserError):
    KIND = ProblemKind.UNAUTHENTICATED


@strawberry.type
class Forbidden(UserError):
    KIND = ProblemKind.FORBIDDEN


@strawberry.type
class InvalidInput(UserError):
    KIND = ProblemKind.INVALID_INPUT
    field: str | None

    @classmethod
    def from_problem(cls, problem: Problem) -> InvalidInput:
        return cls(message=problem.message, field=problem.field)


@strawberry.type
class CourseIsFree(UserError):
    KIND = ProblemKind.COURSE_IS_FREE


@strawberry.type
class InvalidSignature(UserError):
    KIND = ProblemKind.INVALID_SIGNATURE


@strawberry.type
class PaymentFailed(UserError):
    KIND = ProblemKind.PAYMENT_FAILED


@strawberry.type
class PaymentUnavailable(UserError):
    KIND = ProblemKind.PAYMENT_UNAVAILABLE


@strawberry.type
class NotRefundable(UserError):
    KIND = ProblemKind.NOT_REFUNDABLE


@strawberry.type
class AnalyticsUnavailable(UserError):
    KIND = ProblemKind.ANALYTICS_UNAVAILABLE


@strawberry.type(description="The lesson's exercises and media are for subscribers of its course")
class NotEntitled(UserError):
    KIND = ProblemKind.NOT_ENTITLED


@strawberry.type(
    description="The user's shard (the database holding their subscriptions and orders) does not"
    " answer for the moment; the same request (for checkout, with the same idempotency key) may"
    " succeed after retryAfterSeconds"
)
class ShardUnavailable(UserError):
    KIND = ProblemKind.SHARD_UNAVAILABLE
    retry_after_seconds: float

    @classmethod
    def from_problem(cls, problem: Problem) -> ShardUnavailable:
        return cls(message=problem.message, retry_after_seconds=problem.retry_after_seconds or 1.0)
