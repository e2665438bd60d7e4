"""Typed error results of mutations: every expected failure is a value, not an exception."""

from __future__ import annotations

import strawberry

from resolvers.errors import Problem, ProblemKind


@strawberry.interface
class UserError:
    message: str


@strawberry.type
class NotFound(UserError):
    pass


@strawberry.type
class AlreadySubscribed(UserError):
    pass


@strawberry.type
class PaymentRequired(UserError):
    pass


@strawberry.type
class Unauthenticated(UserError):
    pass


@strawberry.type
class Forbidden(UserError):
    pass


@strawberry.type
class InvalidInput(UserError):
    field: str | None


@strawberry.type
class CourseIsFree(UserError):
    pass


@strawberry.type
class InvalidSignature(UserError):
    pass


@strawberry.type
class PaymentFailed(UserError):
    pass


@strawberry.type
class PaymentUnavailable(UserError):
    pass


ProblemType = (
    NotFound
    | AlreadySubscribed
    | PaymentRequired
    | Unauthenticated
    | Forbidden
    | CourseIsFree
    | InvalidSignature
    | PaymentFailed
    | PaymentUnavailable
)
_TYPE_OF_KIND: dict[ProblemKind, type[ProblemType]] = {
    ProblemKind.NOT_FOUND: NotFound,
    ProblemKind.ALREADY_SUBSCRIBED: AlreadySubscribed,
    ProblemKind.PAYMENT_REQUIRED: PaymentRequired,
    ProblemKind.UNAUTHENTICATED: Unauthenticated,
    ProblemKind.FORBIDDEN: Forbidden,
    ProblemKind.COURSE_IS_FREE: CourseIsFree,
    ProblemKind.INVALID_SIGNATURE: InvalidSignature,
    ProblemKind.PAYMENT_FAILED: PaymentFailed,
    ProblemKind.PAYMENT_UNAVAILABLE: PaymentUnavailable,
}


def problem_type(problem: Problem) -> ProblemType | InvalidInput:
    if problem.kind is ProblemKind.INVALID_INPUT:
        return InvalidInput(message=problem.message, field=problem.field)
    return _TYPE_OF_KIND[problem.kind](message=problem.message)
