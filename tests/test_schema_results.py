"""A use case's outcome becomes its mutation's union member: the value through the success
builder, a problem as the error type that stands for its kind, and an undeclared kind fails."""

from __future__ import annotations

import pytest

from resolvers.errors import FORBIDDEN, Problem, ProblemKind, invalid
from schema.common.problems import Forbidden, InvalidInput, NotFound, Unauthenticated
from schema.common.results import result


def _doubled(value: int) -> str:
    return str(value * 2)


def test_a_value_goes_through_the_success_builder() -> None:
    assert result(21, _doubled, NotFound, Unauthenticated, Forbidden) == "42"


def test_a_problem_becomes_the_error_type_of_its_kind() -> None:
    forbidden = result(FORBIDDEN, _doubled, NotFound, Unauthenticated, Forbidden)
    assert isinstance(forbidden, Forbidden) and forbidden.message == FORBIDDEN.message
    bad = result(invalid("days", "days: 1 to 10"), _doubled, NotFound, Forbidden, InvalidInput)
    assert isinstance(bad, InvalidInput) and (bad.field, bad.message) == ("days", "days: 1 to 10")


def test_a_problem_the_mutation_does_not_declare_fails_loudly() -> None:
    undeclared = Problem(ProblemKind.PAYMENT_FAILED, "declined")
    with pytest.raises(TypeError, match="payment_failed"):
        result(undeclared, _doubled, NotFound, Unauthenticated, Forbidden)
