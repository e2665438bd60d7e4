"""What resolvers report to clients.

Queries raise `ClientError` (a GraphQL error with a code, shown as is). Mutations return
`Problem` values, which the schema maps to typed error results.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError


class ClientError(GraphQLError):
    """An expected failure the client caused; never masked."""

    def __init__(self, message: str, code: str = "BAD_USER_INPUT", **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


class UnauthenticatedError(ClientError):
    def __init__(self) -> None:
        super().__init__("sign in first: this needs a valid bearer token", "UNAUTHENTICATED")


class ProblemKind(enum.Enum):
    NOT_FOUND = "not_found"
    ALREADY_SUBSCRIBED = "already_subscribed"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    INVALID_INPUT = "invalid_input"
    PAYMENT_REQUIRED = "payment_required"
    COURSE_IS_FREE = "course_is_free"
    INVALID_SIGNATURE = "invalid_signature"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    NOT_REFUNDABLE = "not_refundable"
    ANALYTICS_UNAVAILABLE = "analytics_unavailable"
    NOT_ENTITLED = "not_entitled"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    message: str
    field: str | None = None


def not_found(what: str) -> Problem:
    return Problem(ProblemKind.NOT_FOUND, f"{what} was not found")


def invalid(field: str, message: str) -> Problem:
    return Problem(ProblemKind.INVALID_INPUT, message, field)


UNAUTHENTICATED = Problem(ProblemKind.UNAUTHENTICATED, "sign in first: this needs a valid token")
FORBIDDEN = Problem(ProblemKind.FORBIDDEN, "this needs the admin role")
NOT_ENTITLED = Problem(
    ProblemKind.NOT_ENTITLED,
    "this lesson is for subscribers: enrol in or buy the course (or renew it) to open it",
)
