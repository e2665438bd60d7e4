"""The circuit breaker: open for its retry period after each failure, shut by an answer, and
saying which failure began an outage and which answer ended it (what gets logged)."""

from __future__ import annotations

from datasources.breaker import Breaker
from tests.clock import ManualClock


def test_a_failure_opens_it_for_the_retry_period_only() -> None:
    clock = ManualClock()
    breaker = Breaker(2.0, clock)
    assert not breaker.is_open
    breaker.failed()
    assert breaker.is_open
    clock.now += 1.9
    assert breaker.is_open
    clock.now += 0.2
    assert not breaker.is_open


def test_an_answer_shuts_it_at_once() -> None:
    breaker = Breaker(60.0, ManualClock())
    breaker.failed()
    breaker.succeeded()
    assert not breaker.is_open


def test_only_the_first_failure_and_the_first_answer_of_an_outage_are_marked() -> None:
    clock = ManualClock()
    breaker = Breaker(2.0, clock)
    assert not breaker.succeeded()  # no outage to end
    assert breaker.failed()
    clock.now += 5  # the retry period passed, and the next try failed too
    assert not breaker.failed()
    assert breaker.succeeded()
    assert not breaker.succeeded()
    assert breaker.failed()  # a new outage
