"""The reconciliation recounts past days from the shards: money exactly, new subscriptions as a
floor; it waits for the day's events, never touches today, and runs again without changes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from datasources.backends import Backends
from datasources.sql import analytics_flows
from jobs.analytics_reconcile import TodayIsNotOver, reconcile
from jobs.consumers.analytics import AnalyticsConsumer
from records.analytics import Measurement
from records.events import EventKind
from tests.analytics.scenario import TODAY, ask, follow, scenario, today_series, today_value
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import ENROLL

TOMORROW = TODAY + timedelta(days=1)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_FIGURES = f"""
    enrolments: {today_series("activity", ", activity: ENROLMENTS")}
    newSubscriptions: {today_series("activity", ", activity: NEW_SUBSCRIPTIONS")}
    purchases: {today_series("activity", ", activity: PURCHASES")}
    refunds: {today_series("activity", ", activity: REFUNDS")}
    revenue: {today_series("revenue")}
"""


async def _figures(client: httpx.AsyncClient) -> dict[str, float]:
    answer = await ask(client, _FIGURES)
    return {name: today_value(series) for name, series in answer.items() if "points" in series}


async def _lose(backends: Backends, *kinds: EventKind) -> int:
    """Events that never reach the log: their outbox rows vanish before the relay runs."""
    marks = ", ".join("?" for _ in kinds)
    lost = 0
    for shard in backends.shard_engines:
        lost += await shard.execute(
            f"DELETE FROM event_outbox WHERE kind IN ({marks})", [kind.value for kind in kinds]
        )
    return lost


async def test_lost_events_are_recounted_from_the_shards(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await scenario(client, backends)
    lost = await _lose(backends, EventKind.ORDER_PAID, EventKind.SUBSCRIPTION_ENROLLED)
    assert lost == 4  # two payments, two enrolments
    await follow(backends, AnalyticsConsumer(backends))
    drifted = await _figures(client)
    assert (drifted["purchases"], drifted["revenue"], drifted["enrolments"]) == (0, -49_900, 0)

    # Today's counts, recounted as the nightly run will once the day is over.
    report = await reconcile(backends, TODAY, TODAY, today=TOMORROW)

    assert report.exported and report.corrected > 0
    assert await _figures(client) == {
        "enrolments": 2,
        "newSubscriptions": 3,  # two enrolments and the first purchase (the renewal is none)
        "purchases": 2,
        "refunds": 1,
        "revenue": 49_900,
    }
    again = await reconcile(backends, TODAY, TODAY, today=TOMORROW)
    assert again.corrected == 0


async def test_money_is_set_to_the_recount_and_floors_only_rise(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    free_id, paid_id = await scenario(client, backends)
    await follow(backends, AnalyticsConsumer(backends))
    engine = backends.catalog_engine
    async with engine.transaction() as tx:
        await analytics_flows.put(
            tx,
            engine.dialect,
            {
                (TODAY, paid_id, Measurement.PURCHASES): 9,  # e.g. a replay past the ledger
                (TODAY, free_id, Measurement.ENROLMENTS): 5,  # runs the shards no longer show
            },
        )

    await reconcile(backends, TODAY, TODAY, today=TOMORROW)

    figures = await _figures(client)
    assert (figures["purchases"], figures["enrolments"]) == (2, 5)


async def test_today_is_never_reconciled(backends: Backends) -> None:
    with pytest.raises(TodayIsNotOver):
        await reconcile(backends, TODAY - timedelta(days=3), TODAY)


async def test_the_nightly_run_waits_for_the_days_events_and_runs_once(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, price_paise=0)
    await graphql(client, ENROLL, {"c": str(course.id)}, token_for(71))
    analytics = AnalyticsConsumer(backends)

    assert await analytics.reconcile_if_due() is None  # an event still waits in an outbox
    await follow(backends, analytics)

    report = await analytics.reconcile_if_due()

    yesterday = TODAY - timedelta(days=1)
    assert report is not None and (report.first, report.last) == (yesterday, yesterday)
    assert await analytics_flows.last_reconciled(backends.catalog_engine) == yesterday
    assert await analytics.reconcile_if_due() is None  # done for today


def _coursegate(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COURSEGATE_", "RAZORPAY_"))}
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=PROJECT_ROOT,
        env={**clean, "COURSEGATE_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_backfill_command_reports_and_refuses_today(tmp_path: Path) -> None:
    first = (TODAY - timedelta(days=40)).isoformat()
    done = _coursegate(tmp_path, "analytics", "backfill", "--from", first)
    assert done.returncode == 0, done.stderr
    assert f"reconciled {first}..{TODAY - timedelta(days=1)}" in done.stdout
    assert "rows/s" in done.stdout  # progress, per shard and pass

    refused = _coursegate(tmp_path, "analytics", "backfill", "--from", first, "--to", str(TODAY))
    assert refused.returncode == 2
    assert "today is not over" in refused.stderr


def test_the_demo_seed_brings_its_history_into_analytics(tmp_path: Path) -> None:
    seeded = _coursegate(tmp_path, "seed")
    assert seeded.returncode == 0, seeded.stderr
    recounted = [line for line in seeded.stdout.splitlines() if line.startswith("analytics:")]
    assert recounted and int(recounted[0].split()[1]) > 0, seeded.stdout
