"""The order state machine: every state against every event, and orderings of real races."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from domain.checkout.order_state import (
    EventKind,
    EventSource,
    OrderEvent,
    OrderSnapshot,
    OrderState,
    Outcome,
    Transition,
    apply,
)

P, Q = "pay_P0000000000000", "pay_Q0000000000000"  # P: the payment an order is settled with
SNAPSHOTS = {
    "created": OrderSnapshot(OrderState.CREATED),
    "attempted": OrderSnapshot(OrderState.ATTEMPTED),
    "paid": OrderSnapshot(OrderState.PAID, P),
    "refunded": OrderSnapshot(OrderState.REFUNDED, P),
}

# state      event               payment  outcome                 new state  settled with
TABLE = """
created     client.confirmed    P  granted                 paid       P
created     payment.captured    P  granted                 paid       P
created     order.paid          P  granted                 paid       P
created     payment.authorized  P  attempt_recorded        attempted  -
created     payment.failed      P  failure_recorded        attempted  -
created     refund.processed    P  refunded_before_grant   refunded   P
attempted   client.confirmed    P  granted                 paid       P
attempted   payment.captured    P  granted                 paid       P
attempted   order.paid          P  granted                 paid       P
attempted   payment.authorized  P  attempt_recorded        attempted  -
attempted   payment.failed      P  failure_recorded        attempted  -
attempted   refund.processed    P  refunded_before_grant   refunded   P
paid        client.confirmed    P  duplicate               paid       P
paid        payment.captured    P  duplicate               paid       P
paid        order.paid          P  duplicate               paid       P
paid        payment.authorized  P  stale                   paid       P
paid        payment.failed      P  stale                   paid       P
paid        refund.processed    P  revoked                 refunded   P
paid        client.confirmed    Q  extra_payment           paid       P
paid        payment.captured    Q  extra_payment           paid       P
paid        order.paid          Q  extra_payment           paid       P
paid        payment.authorized  Q  stale                   paid       P
paid        payment.failed      Q  stale                   paid       P
paid        refund.processed    Q  other_payment_refunded  paid       P
refunded    client.confirmed    P  stale                   refunded   P
refunded    payment.captured    P  stale                   refunded   P
refunded    order.paid          P  stale                   refunded   P
refunded    payment.authorized  P  stale                   refunded   P
refunded    payment.failed      P  stale                   refunded   P
refunded    refund.processed    P  duplicate               refunded   P
refunded    client.confirmed    Q  extra_payment           refunded   P
refunded    payment.captured    Q  extra_payment           refunded   P
refunded    order.paid          Q  extra_payment           refunded   P
refunded    payment.authorized  Q  stale                   refunded   P
refunded    payment.failed      Q  stale                   refunded   P
refunded    refund.processed    Q  other_payment_refunded  refunded   P
"""
ROWS = [line.split() for line in TABLE.strip().splitlines()]
PAYMENTS = {"P": P, "Q": Q, "-": None}

#                               grant  revoke noop   needs_refund
FLAGS = {
    Outcome.GRANTED: (True, False, False, False),
    Outcome.ATTEMPT_RECORDED: (False, False, False, False),
    Outcome.FAILURE_RECORDED: (False, False, False, False),
    Outcome.REVOKED: (False, True, False, False),
    Outcome.REFUNDED_BEFORE_GRANT: (False, False, False, False),
    Outcome.DUPLICATE: (False, False, True, False),
    Outcome.STALE: (False, False, True, False),
    Outcome.EXTRA_PAYMENT: (False, False, True, True),
    Outcome.OTHER_PAYMENT_REFUNDED: (False, False, True, False),
}
RANK = {OrderState.CREATED: 0, OrderState.ATTEMPTED: 1, OrderState.PAID: 2, OrderState.REFUNDED: 3}


def _event(kind: EventKind, payment_id: str) -> OrderEvent:
    return OrderEvent(kind, payment_id, EventSource.WEBHOOK)


def test_the_table_covers_every_state_and_event() -> None:
    covered = {(state, kind) for state, kind, *_ in ROWS}
    assert covered == {(state, kind.value) for state in SNAPSHOTS for kind in EventKind}
    settled_rows = {(state, kind, payment) for state, kind, payment, *_ in ROWS}
    for state in ("paid", "refunded"):  # settled orders tell their own payment from others
        for kind in EventKind:
            assert {(state, kind.value, "P"), (state, kind.value, "Q")} <= settled_rows


@pytest.mark.parametrize(
    ("state", "kind", "payment", "outcome", "new_state", "settled"),
    ROWS,
    ids=["-".join(row[:3]) for row in ROWS],
)
def test_every_state_against_every_event(
    state: str, kind: str, payment: str, outcome: str, new_state: str, settled: str
) -> None:
    transition = apply(SNAPSHOTS[state], _event(EventKind(kind), PAYMENTS[payment] or P))

    assert transition.outcome is Outcome(outcome)
    assert transition.snapshot == OrderSnapshot(OrderState(new_state), PAYMENTS[settled])
    flags = (
        transition.grant_access,
        transition.revoke_access,
        transition.is_noop,
        transition.needs_refund,
    )
    assert flags == FLAGS[transition.outcome]
    if transition.is_noop:
        assert transition.snapshot == SNAPSHOTS[state]


@pytest.mark.parametrize("snapshot", SNAPSHOTS.values(), ids=SNAPSHOTS.keys())
@pytest.mark.parametrize("kind", EventKind)
@pytest.mark.parametrize("payment_id", [P, Q])
def test_the_state_never_moves_backward_nor_changes_its_payment(
    snapshot: OrderSnapshot, kind: EventKind, payment_id: str
) -> None:
    after = apply(snapshot, _event(kind, payment_id)).snapshot

    assert RANK[after.state] >= RANK[snapshot.state]
    if snapshot.settled_payment_id is not None:
        assert after.settled_payment_id == snapshot.settled_payment_id


def _run(events: Iterable[OrderEvent]) -> list[Transition]:
    snapshot = SNAPSHOTS["created"]
    transitions = []
    for event in events:
        transition = apply(snapshot, event)
        transitions.append(transition)
        snapshot = transition.snapshot
    return transitions


SUCCESS_RACE = [
    OrderEvent.client_confirmed(P),
    _event(EventKind.PAYMENT_CAPTURED, P),
    _event(EventKind.ORDER_PAID, P),
    _event(EventKind.PAYMENT_CAPTURED, P),  # redelivered
    OrderEvent.client_confirmed(P),  # the client retried its confirm call
    _event(EventKind.PAYMENT_AUTHORIZED, P),
    _event(EventKind.PAYMENT_FAILED, Q),  # an earlier failed attempt, delivered late
]


def test_access_is_granted_exactly_once_in_any_order_of_confirm_and_webhooks() -> None:
    for events in itertools.permutations(SUCCESS_RACE):
        transitions = _run(events)

        assert sum(t.grant_access for t in transitions) == 1, events
        assert not any(t.revoke_access or t.needs_refund for t in transitions), events
        assert transitions[-1].snapshot == OrderSnapshot(OrderState.PAID, P), events


def test_a_refund_in_any_order_leaves_no_access_and_never_revokes_what_was_not_granted() -> None:
    events_with_refund = [*SUCCESS_RACE[:3], SUCCESS_RACE[5], SUCCESS_RACE[6]]
    events_with_refund.append(_event(EventKind.REFUND_PROCESSED, P))
    for events in itertools.permutations(events_with_refund):
        transitions = _run(events)
        grants = sum(t.grant_access for t in transitions)
        revokes = sum(t.revoke_access for t in transitions)

        assert grants <= 1, events
        assert revokes == grants, events  # access held at the end: none
        assert transitions[-1].snapshot == OrderSnapshot(OrderState.REFUNDED, P), events


def test_a_second_payment_on_one_order_never_grants_twice_and_is_flagged() -> None:
    race = [
        OrderEvent.client_confirmed(P),
        _event(EventKind.PAYMENT_CAPTURED, P),
        _event(EventKind.PAYMENT_CAPTURED, Q),
        OrderEvent.client_confirmed(Q),
    ]
    for events in itertools.permutations(race):
        transitions = _run(events)
        settled_with = transitions[-1].snapshot.settled_payment_id
        flagged = {e.payment_id for e, t in zip(events, transitions, strict=True) if t.needs_refund}

        assert sum(t.grant_access for t in transitions) == 1, events
        assert settled_with == events[0].payment_id, events
        assert flagged == {P, Q} - {settled_with}, events


def test_a_failed_attempt_keeps_the_order_open_for_a_later_capture() -> None:
    transitions = _run([_event(EventKind.PAYMENT_FAILED, Q), _event(EventKind.PAYMENT_CAPTURED, P)])

    assert [t.outcome for t in transitions] == [Outcome.FAILURE_RECORDED, Outcome.GRANTED]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("payment.authorized", EventKind.PAYMENT_AUTHORIZED),
        ("payment.captured", EventKind.PAYMENT_CAPTURED),
        ("order.paid", EventKind.ORDER_PAID),
        ("payment.failed", EventKind.PAYMENT_FAILED),
        ("refund.processed", EventKind.REFUND_PROCESSED),
        ("refund.created", None),
        ("invoice.paid", None),
        ("client.confirmed", None),  # not a webhook: a body cannot pose as the client
    ],
)
def test_webhook_names_map_to_event_kinds(name: str, kind: EventKind | None) -> None:
    event = OrderEvent.from_webhook(name, P)

    assert (event.kind if event else None) is kind
    if event is not None:
        assert event.source is EventSource.WEBHOOK


def test_inconsistent_snapshots_and_events_are_refused() -> None:
    with pytest.raises(ValueError):
        OrderSnapshot(OrderState.PAID)
    with pytest.raises(ValueError):
        OrderSnapshot(OrderState.CREATED, P)
    with pytest.raises(ValueError):
        OrderEvent.client_confirmed("")
