"""A use case's outcome (its value, or a `Problem`) as its mutation's GraphQL union.

    return result(outcome, lambda s: EnrollSuccess(...), NotFound, Unauthenticated, ...)

The error types given are the union's error members; mypy checks that success and errors fit
the mutation's declared union. A problem none of them stands for is a bug in the use case or
the union, and fails loudly (masked for the client as an internal error).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from resolvers.errors import Problem
from schema.common.problems import UserError

T = TypeVar("T")
S = TypeVar("S")
E1 = TypeVar("E1", bound=UserError)
E2 = TypeVar("E2", bound=UserError)
E3 = TypeVar("E3", bound=UserError)
E4 = TypeVar("E4", bound=UserError)
E5 = TypeVar("E5", bound=UserError)
E6 = TypeVar("E6", bound=UserError)
E7 = TypeVar("E7", bound=UserError)
E8 = TypeVar("E8", bound=UserError)


@overload
def result(outcome: T | Problem, success: Callable[[T], S], e1: type[E1], /) -> S | E1: ...


@overload
def result(
    outcome: T | Problem,
    success: Callable[[T], S],
    e1: type[E1],
    e2: type[E2],
    /,
) -> S | E1 | E2: ...


@overload
def result(
    outcome: T | Problem,
    success: Callable[[T], S],
    e1: type[E1],
    e2: type[E2],
    e3: type[E3],
    /,
) -> S | E1 | E2 | E3: ...


@overload
def result(
    outcome: T | Problem,
    success: Callable[[T], S],
    e1: type[E1],
    e2: type[E2],
    e3: type[E3],
    e4: type[E4],
    /,
) -> S | E1 | E2 | E3 | E4: ...


@overload
def result(
    outcome: T | Problem,
    success: Callable[[T], S],
    e1: type[E1],
    e2: type[E2],
    e3: type[E3],
    e4: type[E4],
    e5: type[E5],
    /,
) -> S | E1 | E2 | E3 | E4 | E5: ...


@overload
def result(
    outcome: T | Problem,
    success: Callable[[T], S],
    e1: type[E1],
    e2: type[E2],
    e3: type[E3],
    e4: type[E4],
    e5: type[E5],
    e6: type[E6],
    /,
) -> S | E1 | E2 | E3 | E4 | E5 | E6: ...


@overload
def result(
    outcome: T | Problem,
    success: Callable[[T], S],
    e1: type[E1],
    e2: type[E2],
    e3: type[E3],
    e4: type[E4],
    e5: type[E5],
    e6: type[E6],
    e7: type[E7],
    /,
) -> S | E1 | E2 | E3 | E4 | E5 | E6 | E7: ...


@overload
def result(
    outcome: T | Problem,
    success: Callable[[T], S],
    e1: type[E1],
    e2: type[E2],
    e3: type[E3],
    e4: type[E4],
    e5: type[E5],
    e6: type[E6],
    e7: type[E7],
    e8: type[E8],
    /,
) -> S | E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8: ...


def result(outcome: Any, success: Callable[[Any], Any], *errors: type[UserError]) -> Any:
    if not isinstance(outcome, Problem):
        return success(outcome)
    for error_type in errors:
        if error_type.KIND is outcome.kind:
            return error_type.from_problem(outcome)
    declared = ", ".join(error_type.__name__ for error_type in errors)
    raise TypeError(f"problem {outcome.kind.value!r} is none of this mutation's errors: {declared}")
