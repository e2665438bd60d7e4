"""The forward-only state machine of one checkout order. Pure: no I/O, no clock.

    created -> attempted -> paid -> refunded

Created or attempted may also move straight to paid (the first news is a success), or to
refunded (the first news of a payment is its refund: access is then never granted).

Two inputs race: the client's confirm call (its Checkout signature already verified) and
Razorpay's webhooks; a reconciler adds what it finds by polling. Whichever success arrives first
grants access, and every later report of it is a no-op, so one order never grants twice. A failed
attempt is recorded but keeps the order open, since the customer may retry and a capture follow.
A refund of the payment that paid revokes access.

`apply` only decides. Exactly-once across concurrent requests needs the caller to store the new
snapshot with a compare-and-set on the one it read (e.g. `UPDATE ... WHERE state = :old`) in the
same transaction as the grant, and on a lost race to re-read and apply again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class OrderState(enum.StrEnum):
    CREATED = "created"
    ATTEMPTED = "attempted"
    PAID = "paid"
    REFUNDED = "refunded"

    @property
    def is_settled(self) -> bool:
        """A payment has been decided on; only PAID holds access."""
        return self in (OrderState.PAID, OrderState.REFUNDED)


class EventKind(enum.StrEnum):
    CLIENT_CONFIRMED = "client.confirmed"  # Checkout's payment signature, verified
    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_CAPTURED = "payment.captured"
    ORDER_PAID = "order.paid"
    PAYMENT_FAILED = "payment.failed"
    REFUND_PROCESSED = "refund.processed"


class EventSource(enum.StrEnum):
    CLIENT = "client"
    WEBHOOK = "webhook"
    RECONCILER = "reconciler"
    ADMIN = "admin"  # refundOrder: the gateway asked the provider for the refund itself


# Evidence that money for the order has been taken. An authorization alone is not: Razorpay
# refunds authorized payments that are never captured.
SUCCESS_KINDS = frozenset(
    {EventKind.CLIENT_CONFIRMED, EventKind.PAYMENT_CAPTURED, EventKind.ORDER_PAID}
)
_WEBHOOK_KINDS = {
    kind.value: kind
    for kind in EventKind
    if kind is not EventKind.CLIENT_CONFIRMED  # the only kind not named after a webhook
}


@dataclass(frozen=True, slots=True)
class OrderEvent:
    kind: EventKind
    payment_id: str
    source: EventSource

    def __post_init__(self) -> None:
        if not self.payment_id:
            raise ValueError("an order event names its payment")

    @classmethod
    def client_confirmed(cls, payment_id: str) -> OrderEvent:
        return cls(EventKind.CLIENT_CONFIRMED, payment_id, EventSource.CLIENT)

    @classmethod
    def from_webhook(cls, event_name: str, payment_id: str) -> OrderEvent | None:
        """None for webhook events that do not move an order (e.g. `invoice.paid`)."""
        kind = _WEBHOOK_KINDS.get(event_name)
        return None if kind is None else cls(kind, payment_id, EventSource.WEBHOOK)


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    state: OrderState
    # The payment the order was settled with: the one that paid it (kept once refunded), or
    # the one whose refund arrived first. None until then.
    settled_payment_id: str | None = None

    def __post_init__(self) -> None:
        if self.state.is_settled != (self.settled_payment_id is not None):
            raise ValueError(f"a {self.state} order has a settled payment id iff it is settled")


class Outcome(enum.StrEnum):
    GRANTED = "granted"  # first success: now paid, grant access
    ATTEMPT_RECORDED = "attempt_recorded"  # authorized, not yet captured
    FAILURE_RECORDED = "failure_recorded"  # failed attempt; the order stays open
    REVOKED = "revoked"  # the paying payment was refunded: take access back
    REFUNDED_BEFORE_GRANT = "refunded_before_grant"  # refund outran every success report
    DUPLICATE = "duplicate"  # this payment's success or refund, reported again
    STALE = "stale"  # news older than the current state (out of order, or backward)
    EXTRA_PAYMENT = "extra_payment"  # another payment succeeded on a settled order
    OTHER_PAYMENT_REFUNDED = "other_payment_refunded"  # e.g. an extra payment given back


_NO_OPS = frozenset(
    {Outcome.DUPLICATE, Outcome.STALE, Outcome.EXTRA_PAYMENT, Outcome.OTHER_PAYMENT_REFUNDED}
)


@dataclass(frozen=True, slots=True)
class Transition:
    outcome: Outcome
    snapshot: OrderSnapshot  # the order after the event

    @property
    def state(self) -> OrderState:
        return self.snapshot.state

    @property
    def grant_access(self) -> bool:
        return self.outcome is Outcome.GRANTED

    @property
    def revoke_access(self) -> bool:
        return self.outcome is Outcome.REVOKED

    @property
    def is_noop(self) -> bool:
        """Nothing about the order or the customer's access changes."""
        return self.outcome in _NO_OPS

    @property
    def needs_refund(self) -> bool:
        """Money was taken that no access stands for: the event's payment should be refunded."""
        return self.outcome is Outcome.EXTRA_PAYMENT


def apply(current: OrderSnapshot, event: OrderEvent) -> Transition:
    if current.state.is_settled:
        return _after_settlement(current, event)
    if event.kind in SUCCESS_KINDS:
        return _move(Outcome.GRANTED, OrderState.PAID, event.payment_id)
    if event.kind is EventKind.REFUND_PROCESSED:
        return _move(Outcome.REFUNDED_BEFORE_GRANT, OrderState.REFUNDED, event.payment_id)
    if event.kind is EventKind.PAYMENT_FAILED:
        return _move(Outcome.FAILURE_RECORDED, OrderState.ATTEMPTED, None)
    return _move(Outcome.ATTEMPT_RECORDED, OrderState.ATTEMPTED, None)


def _after_settlement(current: OrderSnapshot, event: OrderEvent) -> Transition:
    same_payment = event.payment_id == current.settled_payment_id
    if event.kind is EventKind.REFUND_PROCESSED:
        if not same_payment:
            return Transition(Outcome.OTHER_PAYMENT_REFUNDED, current)
        if current.state is OrderState.PAID:
            return _move(Outcome.REVOKED, OrderState.REFUNDED, event.payment_id)
        return Transition(Outcome.DUPLICATE, current)
    if event.kind in SUCCESS_KINDS:
        if not same_payment:
            return Transition(Outcome.EXTRA_PAYMENT, current)
        # Once refunded, the payment's own success reports are old news.
        duplicate = current.state is OrderState.PAID
        return Transition(Outcome.DUPLICATE if duplicate else Outcome.STALE, current)
    return Transition(Outcome.STALE, current)  # an authorization or failure after settlement


def _move(outcome: Outcome, state: OrderState, settled_payment_id: str | None) -> Transition:
    return Transition(outcome, OrderSnapshot(state, settled_payment_id))
