"""Checkout over GraphQL and the Razorpay webhook route, on the embedded store and on MariaDB."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from datasources.backends import Backends
from datasources.cache import catalog_snapshot
from datasources.payments.sandbox import SandboxProvider, SandboxSettings
from datasources.payments.signatures import payment_signature, webhook_signature
from datasources.payments.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER
from jobs.reconcile import GRACE_PERIOD, reconcile_open_orders
from records.catalog import Category, Course, CourseDraft, Difficulty
from records.subscriptions import NewSubscription, SubscriptionStatus
from tests.conftest import graphql, token_for

KEY_SECRET = "checkout-test-key-secret"
WEBHOOK_SECRET = "checkout-test-webhook-secret"
VALIDITY_DAYS = 30

START = """
mutation($courseId: ID!, $key: String!) {
  startCheckout(courseId: $courseId, idempotencyKey: $key) {
    __typename
    ... on StartCheckoutSuccess { order { orderId amount currency receipt keyId state } }
    ... on UserError { message }
  }
}"""
CONFIRM = """
mutation($orderId: String!, $paymentId: String!, $signature: String!) {
  confirmPayment(orderId: $orderId, paymentId: $paymentId, signature: $signature) {
    __typename
    ... on ConfirmPaymentSuccess { orderState subscription { expiresAt isActive state source } }
    ... on UserError { message }
  }
}"""


@pytest.fixture
def sandbox(backends: Backends) -> SandboxProvider:
    provider = SandboxProvider(
        SandboxSettings(key_secret=KEY_SECRET, webhook_secret=WEBHOOK_SECRET)
    )
    backends.payments = provider
    return provider


async def _course(
    backends: Backends, slug: str, price_paise: int = 49_900, active: bool = True
) -> Course:
    draft = CourseDraft(
        slug=slug,
        title=f"Course {slug}",
        description="A course to buy in tests",
        category=Category.TOUCH_TYPING,
        difficulty=Difficulty.BEGINNER,
        language="en",
        tags=("test",),
        price_paise=price_paise,
        currency="INR",
        validity_days=VALIDITY_DAYS,
        is_active=active,
    )
    return await backends.catalog.create_course(draft, datetime.now(UTC))


async def _start(
    client: httpx.AsyncClient, user_id: int, course_id: int | str, key: str
) -> dict[str, Any]:
    body = await graphql(
        client, START, {"courseId": str(course_id), "key": key}, token=token_for(user_id)
    )
    result: dict[str, Any] = body["data"]["startCheckout"]
    return result


async def _confirm(
    client: httpx.AsyncClient, user_id: int, order_id: str, payment_id: str, signature: str
) -> dict[str, Any]:
    variables = {"orderId": order_id, "paymentId": payment_id, "signature": signature}
    body = await graphql(client, CONFIRM, variables, token=token_for(user_id))
    result: dict[str, Any] = body["data"]["confirmPayment"]
    return result


async def _deliver(
    client: httpx.AsyncClient, raw_body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await client.post("/webhooks/razorpay", content=raw_body, headers=headers)


async def _subscription_rows(backends: Backends, user_id: int) -> list[tuple[Any, ...]]:
    engine = backends.uncached_subscriptions.shard_for(user_id)
    return await engine.fetch_all(
        "SELECT typing_course_id, status FROM user_typing_courses WHERE user_id = ?", (user_id,)
    )


async def _event_count(backends: Backends, user_id: int) -> int:
    engine = backends.uncached_subscriptions.shard_for(user_id)
    row = await engine.fetch_one(
        "SELECT COUNT(*) FROM payment_events WHERE user_id = ?", (user_id,)
    )
    assert row is not None
    return int(row[0])


@dataclass
class PaidOrder:
    order_id: str
    payment_id: str
    signature: str


async def _paid_order(
    client: httpx.AsyncClient, sandbox: SandboxProvider, user_id: int, course: Course, key: str
) -> PaidOrder:
    started = await _start(client, user_id, course.id, key)
    assert started["__typename"] == "StartCheckoutSuccess", started
    order_id = started["order"]["orderId"]
    payment_id, signature = sandbox.pay(order_id)
    return PaidOrder(order_id, payment_id, signature)


async def test_start_checkout_returns_what_checkout_needs_once_per_key(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "paid-once")

    first = await _start(client, 7, course.id, "attempt-1")
    again = await _start(client, 7, course.id, "attempt-1")
    other = await _start(client, 7, course.id, "attempt-2")

    order = first["order"]
    assert first["__typename"] == "StartCheckoutSuccess"
    assert (order["amount"], order["currency"], order["state"]) == (49_900, "INR", "created")
    assert order["keyId"] == sandbox.key_id and len(order["receipt"]) <= 40
    assert again["order"] == order
    assert other["order"]["orderId"] != order["orderId"]
    provider_order = await sandbox.fetch_order(order["orderId"])
    assert provider_order.notes == {"user_id": "7", "course_id": str(course.id)}
    assert provider_order.amount_paise == course.price_paise


async def test_checkout_charges_the_price_of_now_and_refuses_a_retired_course(
    client: httpx.AsyncClient,
    backends: Backends,
    sandbox: SandboxProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog_snapshot, "RECHECK_SECONDS", 3600.0)
    repriced = await _course(backends, "repriced")
    retired = await _course(backends, "retired-now")
    assert (await backends.catalog.get_courses([repriced.id]))[repriced.id].price_paise == 49_900
    # Written by another process: this one's catalog in memory has not seen it yet.
    now = datetime.now(UTC)
    await backends.uncached_catalog.update_course(repriced.id, {"price_paise": 59_900}, now)
    await backends.uncached_catalog.update_course(retired.id, {"is_active": False}, now)

    started = await _start(client, 7, repriced.id, "after-repricing")
    assert started["order"]["amount"] == 59_900
    assert (await _start(client, 7, retired.id, "after-retiring"))["__typename"] == "NotFound"


class GatedSandbox(SandboxProvider):
    """Holds every order creation until the test releases it, so two requests can be inside
    startCheckout at once; counts the provider orders asked for."""

    def __init__(self) -> None:
        super().__init__(SandboxSettings(key_secret=KEY_SECRET, webhook_secret=WEBHOOK_SECRET))
        self.asked = 0
        self.first_asked, self.second_asked, self.release = (asyncio.Event() for _ in range(3))

    async def create_order(self, *args: Any, **kwargs: Any) -> Any:
        self.asked += 1
        (self.first_asked if self.asked == 1 else self.second_asked).set()
        await self.release.wait()
        return await super().create_order(*args, **kwargs)


async def test_concurrent_starts_with_one_key_create_one_provider_order(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    gated = GatedSandbox()
    backends.payments = gated
    course = await _course(backends, "raced")
    holder = asyncio.create_task(_start(client, 8, course.id, "double-click"))
    await gated.first_asked.wait()  # the first request is inside the provider call
    racer = asyncio.create_task(_start(client, 8, course.id, "double-click"))
    second_asked = asyncio.create_task(gated.second_asked.wait())
    done, _ = await asyncio.wait({racer, second_asked}, return_when=asyncio.FIRST_COMPLETED)
    assert second_asked not in done, "a second provider order was asked for the same key"
    second_asked.cancel()
    assert racer.result()["__typename"] == "PaymentUnavailable"
    assert "try again with the same key" in racer.result()["message"]
    gated.release.set()
    first = await holder
    assert first["__typename"] == "StartCheckoutSuccess"
    retried = await _start(client, 8, course.id, "double-click")
    assert retried["order"] == first["order"]
    assert gated.asked == 1


async def test_a_provider_failure_frees_the_key_for_a_retry(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    cheap = await _course(backends, "too-cheap", price_paise=50)  # the provider refuses < 1 INR
    assert (await _start(client, 9, cheap.id, "k"))["__typename"] == "PaymentFailed"
    retried = await _start(client, 9, cheap.id, "k")
    assert retried["__typename"] == "PaymentFailed"  # asked the provider again, not "in progress"


async def test_start_checkout_refuses_what_cannot_be_bought(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    free = await _course(backends, "free-course", price_paise=0)
    inactive = await _course(backends, "retired-course", active=False)
    paid = await _course(backends, "paid-course")

    assert (await _start(client, 7, free.id, "k1"))["__typename"] == "CourseIsFree"
    assert (await _start(client, 7, inactive.id, "k2"))["__typename"] == "NotFound"
    assert (await _start(client, 7, 999_999, "k3"))["__typename"] == "NotFound"
    assert (await _start(client, 7, "abc", "k4"))["__typename"] == "InvalidInput"
    assert (await _start(client, 7, paid.id, "bad key!"))["__typename"] == "InvalidInput"
    await _start(client, 7, paid.id, "k5")
    reused = await _start(client, 7, free.id, "k5")
    assert reused["__typename"] == "InvalidInput"
    anonymous = await graphql(client, START, {"courseId": str(paid.id), "key": "k6"})
    assert anonymous["data"]["startCheckout"]["__typename"] == "Unauthenticated"


async def test_confirm_grants_access_from_now(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "confirm-me")
    paid = await _paid_order(client, sandbox, 11, course, "k")
    before = datetime.now(UTC)

    confirmed = await _confirm(client, 11, paid.order_id, paid.payment_id, paid.signature)

    assert confirmed["__typename"] == "ConfirmPaymentSuccess", confirmed
    assert confirmed["orderState"] == "paid"
    subscription = confirmed["subscription"]
    assert subscription["isActive"] and subscription["state"] == "ACTIVE"
    expires_at = datetime.fromisoformat(subscription["expiresAt"])
    assert before + timedelta(days=VALIDITY_DAYS) <= expires_at
    assert expires_at <= datetime.now(UTC) + timedelta(days=VALIDITY_DAYS)


@pytest.mark.parametrize("existing_days_left", [None, 10])
async def test_concurrent_confirms_and_webhooks_grant_exactly_once(
    client: httpx.AsyncClient,
    backends: Backends,
    sandbox: SandboxProvider,
    existing_days_left: int | None,
) -> None:
    course = await _course(backends, "race")
    for round_number in range(20):
        user_id = 1_000 + round_number
        existing_expiry = None
        if existing_days_left is not None:
            existing_expiry = datetime.now(UTC) + timedelta(days=existing_days_left)
            enrolment = NewSubscription(
                user_id, course.id, datetime.now(UTC), existing_expiry, "order:earlier"
            )
            await backends.uncached_subscriptions.bulk_insert([enrolment])
        paid = await _paid_order(client, sandbox, user_id, course, f"round-{round_number}")
        captured = sandbox.webhook_delivery("payment.captured", paid.payment_id)
        order_paid = sandbox.webhook_delivery("order.paid", paid.payment_id)
        captured_again = sandbox.webhook_delivery("payment.captured", paid.payment_id)
        started_at = datetime.now(UTC)

        results = await asyncio.gather(
            _deliver(client, *order_paid),
            _confirm(client, user_id, paid.order_id, paid.payment_id, paid.signature),
            _deliver(client, *captured),
            _deliver(client, *captured),  # a redelivery: same event id
            _confirm(client, user_id, paid.order_id, paid.payment_id, paid.signature),
            _deliver(client, *captured_again),  # same payment, another event id
        )

        finished_at = datetime.now(UTC)
        responses = [r for r in results if isinstance(r, httpx.Response)]
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        confirms = [r for r in results if isinstance(r, dict)]
        assert all(c["__typename"] == "ConfirmPaymentSuccess" for c in confirms), confirms
        subscription = await backends.uncached_subscriptions.get(user_id, course.id)
        assert subscription is not None and subscription.expires_at is not None
        assert await _subscription_rows(backends, user_id) == [(course.id, "active")]
        validity = timedelta(days=VALIDITY_DAYS)
        if existing_expiry is None:
            assert started_at + validity <= subscription.expires_at <= finished_at + validity
        else:
            assert subscription.expires_at == existing_expiry + validity
        order = await backends.orders.find_by_provider_id(user_id, paid.order_id)
        assert order is not None
        assert (order.state, order.settled_payment_id) == ("paid", paid.payment_id)
        # One row per kind of news about the payment: confirmed, captured, order paid.
        assert await _event_count(backends, user_id) == 3


async def test_a_wrong_signature_writes_nothing(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "forged")
    paid = await _paid_order(client, sandbox, 12, course, "k")
    forged = payment_signature(paid.order_id, paid.payment_id, "not-the-key-secret")

    # The last hex digit changed to another one (replacing it blindly was a no-op 1 time in 16).
    last_digit_changed = paid.signature[:-1] + ("1" if paid.signature[-1] == "0" else "0")
    for signature in (forged, "", "zz", last_digit_changed):
        result = await _confirm(client, 12, paid.order_id, paid.payment_id, signature)
        assert result["__typename"] == "InvalidSignature"

    assert await _subscription_rows(backends, 12) == []
    assert await _event_count(backends, 12) == 0
    order = await backends.orders.find_by_provider_id(12, paid.order_id)
    assert order is not None and order.state == "created"


async def test_someone_elses_order_is_not_found_and_untouched(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "not-yours")
    paid = await _paid_order(client, sandbox, 13, course, "k")

    result = await _confirm(client, 14, paid.order_id, paid.payment_id, paid.signature)

    assert result["__typename"] == "NotFound"
    assert await _subscription_rows(backends, 13) == []
    assert await _subscription_rows(backends, 14) == []
    assert await _event_count(backends, 13) == 0


async def test_malformed_and_unknown_ids(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    unknown_order, payment = "order_Unknown0000001", "pay_Unknown00000001"
    signature = payment_signature(unknown_order, payment, KEY_SECRET)

    malformed = [
        ("order 1", payment),
        ("order_" + "x" * 60, payment),
        (unknown_order, "payment_1"),
        (unknown_order, ""),
    ]
    for order_id, payment_id in malformed:
        result = await _confirm(client, 15, order_id, payment_id, signature)
        assert result["__typename"] == "InvalidInput", (order_id, payment_id)
    unknown = await _confirm(client, 15, unknown_order, payment, signature)
    assert unknown["__typename"] == "NotFound"
    assert await _subscription_rows(backends, 15) == []


async def test_webhook_signature_is_checked_on_the_raw_body(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "tamper")
    paid = await _paid_order(client, sandbox, 16, course, "k")
    raw_body, headers = sandbox.webhook_delivery("payment.captured", paid.payment_id)
    tampered = raw_body.replace(b'"amount":49900', b'"amount":100')
    assert tampered != raw_body

    assert (await _deliver(client, tampered, headers)).status_code == 401
    no_signature = {EVENT_ID_HEADER: headers[EVENT_ID_HEADER]}
    assert (await _deliver(client, raw_body, no_signature)).status_code == 401
    assert (await _deliver(client, b"not json", headers)).status_code == 401
    assert await _subscription_rows(backends, 16) == []
    assert await _event_count(backends, 16) == 0

    accepted = await _deliver(client, raw_body, headers)
    assert (accepted.status_code, accepted.json()) == (200, {"status": "processed"})
    assert await _subscription_rows(backends, 16) == [(course.id, "active")]


async def test_duplicate_event_ids_are_dropped_and_unknown_events_ignored(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "dupes")
    paid = await _paid_order(client, sandbox, 17, course, "k")
    delivery = sandbox.webhook_delivery("order.paid", paid.payment_id)

    first = await _deliver(client, *delivery)
    second = await _deliver(client, *delivery)

    assert first.json() == {"status": "processed"}
    assert (second.status_code, second.json()) == (200, {"status": "duplicate"})
    unknown_body = orjson.dumps(
        {"entity": "event", "event": "invoice.paid", "payload": {}, "created_at": 1_700_000_000}
    )
    unknown = await _deliver(
        client, unknown_body, {SIGNATURE_HEADER: webhook_signature(unknown_body, WEBHOOK_SECRET)}
    )
    assert (unknown.status_code, unknown.json()) == (200, {"status": "ignored"})
    assert await _event_count(backends, 17) == 1


async def test_a_refund_ends_access_and_a_later_confirm_grants_nothing(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "refund-me")
    paid = await _paid_order(client, sandbox, 18, course, "k")
    await _deliver(client, *sandbox.webhook_delivery("payment.captured", paid.payment_id))
    await sandbox.refund(paid.payment_id)

    refunded = await _deliver(
        client, *sandbox.webhook_delivery("refund.processed", paid.payment_id)
    )
    late_confirm = await _confirm(client, 18, paid.order_id, paid.payment_id, paid.signature)

    assert refunded.json() == {"status": "processed"}
    assert late_confirm["__typename"] == "PaymentFailed"
    subscription = await backends.uncached_subscriptions.get(18, course.id)
    assert subscription is not None
    assert subscription.status is SubscriptionStatus.REFUNDED
    assert not subscription.is_active_at(datetime.now(UTC))
    order = await backends.orders.find_by_provider_id(18, paid.order_id)
    assert order is not None and order.state == "refunded"


async def test_a_webhook_first_then_the_confirm_grants_once(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "webhook-first")
    paid = await _paid_order(client, sandbox, 19, course, "k")

    await _deliver(client, *sandbox.webhook_delivery("order.paid", paid.payment_id))
    after_webhook = await backends.uncached_subscriptions.get(19, course.id)
    confirmed = await _confirm(client, 19, paid.order_id, paid.payment_id, paid.signature)

    assert after_webhook is not None and after_webhook.expires_at is not None
    assert confirmed["__typename"] == "ConfirmPaymentSuccess"
    expires_at = datetime.fromisoformat(confirmed["subscription"]["expiresAt"])
    assert expires_at == after_webhook.expires_at


async def test_the_reconciler_settles_orders_whose_news_never_came(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "reconcile-me")
    paid = await _paid_order(client, sandbox, 20, course, "paid")
    refunded = await _paid_order(client, sandbox, 21, course, "refunded")
    await sandbox.refund(refunded.payment_id)
    abandoned = await _start(client, 22, course.id, "abandoned")
    later = datetime.now(UTC) + GRACE_PERIOD + timedelta(minutes=1)

    report = await reconcile_open_orders(backends, later)
    again = await reconcile_open_orders(backends, later)

    assert (report.orders_checked, report.granted, report.revoked_or_refunded) == (3, 1, 1)
    assert (again.orders_checked, again.granted) == (1, 0)  # only the abandoned order is open
    subscription = await backends.uncached_subscriptions.get(20, course.id)
    assert subscription is not None
    assert subscription.expires_at == later + timedelta(days=VALIDITY_DAYS)
    assert await _subscription_rows(backends, 21) == []
    states = [
        order.state
        for user_id, order_id in [
            (20, paid.order_id),
            (21, refunded.order_id),
            (22, abandoned["order"]["orderId"]),
        ]
        if (order := await backends.orders.find_by_provider_id(user_id, order_id)) is not None
    ]
    assert states == ["paid", "refunded", "created"]
    confirmed = await _confirm(client, 20, paid.order_id, paid.payment_id, paid.signature)
    assert confirmed["subscription"]["expiresAt"] == subscription.expires_at.isoformat()


async def test_concurrent_starts_with_one_key_share_one_order(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    counting = GatedSandbox()
    counting.release.set()
    backends.payments = counting
    course = await _course(backends, "double-click")

    results = await asyncio.gather(*(_start(client, 23, course.id, "click") for _ in range(5)))
    # Whoever lost the race to the key is told to retry; the retry gets the one order.
    assert {r["__typename"] for r in results} <= {"StartCheckoutSuccess", "PaymentUnavailable"}
    retried = await _start(client, 23, course.id, "click")
    orders = {r["order"]["orderId"] for r in [*results, retried] if "order" in r}

    assert len(orders) == 1 and counting.asked == 1
    engine = backends.uncached_subscriptions.shard_for(23)
    row = await engine.fetch_one("SELECT COUNT(*) FROM payment_orders WHERE user_id = ?", (23,))
    assert row is not None and int(row[0]) == 1


async def test_a_signed_webhook_for_a_different_amount_grants_nothing(
    client: httpx.AsyncClient, backends: Backends, sandbox: SandboxProvider
) -> None:
    course = await _course(backends, "wrong-amount")
    paid = await _paid_order(client, sandbox, 24, course, "k")
    raw_body, headers = sandbox.webhook_delivery("payment.captured", paid.payment_id)
    cheaper = raw_body.replace(b'"amount":49900', b'"amount":100')
    assert cheaper != raw_body
    resigned = {**headers, SIGNATURE_HEADER: webhook_signature(cheaper, WEBHOOK_SECRET)}

    reply = await _deliver(client, cheaper, resigned)

    assert (reply.status_code, reply.json()) == (200, {"status": "ignored"})
    assert await _subscription_rows(backends, 24) == []
    assert await _event_count(backends, 24) == 0
