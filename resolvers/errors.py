"""What resolvers report to clients.

Queries raise `ClientError` (a GraphQL error with a code, shown as is). Mutations return
`Problem` values, which the schema maps to typed error results.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import GraphQLError

from datasources.sql.engine import DatabaseUnavailable


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
    SHARD_UNAVAILABLE = "shard_unavailable"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    message: str
    field: str | None = None
    retry_after_seconds: float | None = None


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


T = TypeVar("T")
SHARD_UNAVAILABLE = "SHARD_UNAVAILABLE"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
_SHARD_UNAVAILABLE_MESSAGE = (
    "your subscriptions' database does not answer for the moment: try again in a few seconds"
)


async def unless_shard_unavailable(outcome: Awaitable[T]) -> T | Problem:
    """A mutation's outcome, or its typed ShardUnavailable result when the user's shard could
    not be reached; a catalog outage is raised as it is (an error, not a result). What the
    mutation wrote before the shard failed stays as a crash there would leave it (a checkout's
    key reservation, say, which its expiry releases)."""
    try:
        return await outcome
    except DatabaseUnavailable as error:
        if not _is_shard(error):
            raise
        return Problem(
            ProblemKind.SHARD_UNAVAILABLE,
            _SHARD_UNAVAILABLE_MESSAGE,
            retry_after_seconds=error.retry_after_seconds,
        )


def _is_shard(error: DatabaseUnavailable) -> bool:
    return error.database.startswith("shard-")  # the names datasources.backends gives


def outage_error(error: BaseException) -> tuple[str, dict[str, Any]] | None:
    """The message and extensions a client sees for a database that cannot be reached (an
    outage, not a bug: shown as such, not masked); None for any other error."""
    if not isinstance(error, DatabaseUnavailable):
        return None
    retry = {"retryAfterSeconds": error.retry_after_seconds}
    if _is_shard(error):
        return _SHARD_UNAVAILABLE_MESSAGE, {"code": SHARD_UNAVAILABLE, **retry}
    message = "the catalog database does not answer for the moment: try again in a few seconds"
    return message, {"code": DATABASE_UNAVAILABLE, **retry}
