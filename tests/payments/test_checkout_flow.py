"""The sandbox, the webhook reader, the reconciler's findings and the state machine together,
the way the confirm mutation, the webhook route and the reconciler will combine them."""

from __future__ import annotations

from collections.abc import Iterable

from datasources.payments.sandbox import SandboxProvider
from datasources.payments.webhooks import read_webhook
from domain.checkout.findings import events_from_payments
from domain.checkout.order_state import (
    OrderEvent,
    OrderSnapshot,
    OrderState,
    Outcome,
    Transition,
    apply,
)
from domain.checkout.receipts import receipt_for


def _webhook_event(sandbox: SandboxProvider, name: str, payment_id: str) -> OrderEvent:
    raw_body, signature = sandbox.webhook_body(name, payment_id)
    assert sandbox.verify_webhook(raw_body, signature)
    delivered = read_webhook(raw_body)
    assert delivered.payment is not None
    event = OrderEvent.from_webhook(delivered.event, delivered.payment.id)
    assert event is not None
    return event


def _apply_all(snapshot: OrderSnapshot, events: Iterable[OrderEvent]) -> list[Transition]:
    transitions = []
    for event in events:
        transitions.append(apply(snapshot, event))
        snapshot = transitions[-1].snapshot
    return transitions


async def test_confirm_and_webhooks_grant_once_and_a_refund_revokes() -> None:
    sandbox = SandboxProvider()
    order = await sandbox.create_order(29_900, "INR", receipt_for(42, 7, "attempt-1"), {})
    sandbox.fail(order.id)
    payment_id, signature = sandbox.pay(order.id)
    assert sandbox.verify_payment(order.id, payment_id, signature)

    before_refund = [
        _webhook_event(sandbox, "payment.captured", payment_id),
        OrderEvent.client_confirmed(payment_id),
        _webhook_event(sandbox, "order.paid", payment_id),
    ]
    await sandbox.refund(payment_id)
    refund = _webhook_event(sandbox, "refund.processed", payment_id)
    transitions = _apply_all(OrderSnapshot(OrderState.CREATED), [*before_refund, refund])

    assert [t.outcome for t in transitions] == [
        Outcome.GRANTED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
        Outcome.REVOKED,
    ]


async def test_the_reconciler_settles_an_order_whose_webhooks_never_came() -> None:
    sandbox = SandboxProvider()
    order = await sandbox.create_order(29_900, "INR", receipt_for(42, 7, "attempt-2"), {})
    failed_id = sandbox.fail(order.id)
    payment_id, _ = sandbox.pay(order.id)

    events = events_from_payments(await sandbox.fetch_order_payments(order.id))
    transitions = _apply_all(OrderSnapshot(OrderState.ATTEMPTED), events)

    assert [(e.kind.value, e.payment_id) for e in events] == [
        ("payment.failed", failed_id),
        ("payment.captured", payment_id),
    ]
    assert [t.outcome for t in transitions] == [Outcome.FAILURE_RECORDED, Outcome.GRANTED]


async def test_the_reconciler_never_grants_for_money_already_refunded() -> None:
    sandbox = SandboxProvider()
    order = await sandbox.create_order(29_900, "INR", receipt_for(42, 7, "attempt-3"), {})
    payment_id, _ = sandbox.pay(order.id)
    await sandbox.refund(payment_id)

    events = events_from_payments(await sandbox.fetch_order_payments(order.id))
    transitions = _apply_all(OrderSnapshot(OrderState.CREATED), events)

    assert [t.outcome for t in transitions] == [Outcome.REFUNDED_BEFORE_GRANT]
    assert not any(t.grant_access for t in transitions)
