"""The day counts the shards can vouch for, to correct what events added up (a lost event).

Money is exact: every settled order keeps when it was paid and refunded, so purchases, refunds
and revenue of a past day are recounted outright. Subscriptions keep only their current run:
a run begun on a day was an enrolment, purchase or grant that day, but a later new run of the
same subscription hides the earlier one, so the shards give a floor for enrolments and new
subscriptions, never more than happened. Renewals and cancellations keep no date of their own
and are left to the events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from domain.analytics.flows import FlowKey, Flows
from records.analytics import Measurement, SettledOrder, SubscriptionRun
from records.subscriptions import FREE_SOURCE

EXACT = frozenset({Measurement.PURCHASES, Measurement.REFUNDS, Measurement.REVENUE_PAISE})
AT_LEAST = frozenset({Measurement.ENROLMENTS, Measurement.NEW_SUBSCRIPTIONS})
RECOUNTED = EXACT | AT_LEAST


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def order_flows(order: SettledOrder, first: date, last: date) -> Flows:
    change = Flows()
    if order.paid_at is None:  # the first news was the refund: it never counted
        return change
    if first <= (paid := _day(order.paid_at)) <= last:
        change[(paid, order.course_id, Measurement.PURCHASES)] += 1
        change[(paid, order.course_id, Measurement.REVENUE_PAISE)] += order.amount_paise
    if order.refunded_at is not None and first <= (refunded := _day(order.refunded_at)) <= last:
        change[(refunded, order.course_id, Measurement.REFUNDS)] += 1
        change[(refunded, order.course_id, Measurement.REVENUE_PAISE)] -= order.amount_paise
    return change


def run_flows(run: SubscriptionRun, first: date, last: date) -> Flows:
    change = Flows()
    if first <= (began := _day(run.began_at)) <= last:
        change[(began, run.course_id, Measurement.NEW_SUBSCRIPTIONS)] += 1
        if run.source == FREE_SOURCE:
            change[(began, run.course_id, Measurement.ENROLMENTS)] += 1
    return change


def corrections(kept: Mapping[FlowKey, int], recounted: Flows) -> dict[FlowKey, int]:
    """The counts to write: exact ones become the recount (zero where the shards have none),
    floors rise to the recount; counts that already agree are left out."""
    corrected = {}
    for key in kept.keys() | recounted.keys():
        before, counted = kept.get(key, 0), recounted.get(key, 0)
        after = counted if key[2] in EXACT else max(before, counted)
        if after != before:
            corrected[key] = after
    return corrected
