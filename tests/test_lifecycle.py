"""Subscription lifecycle: expiring subscriptions, and the admin bulk jobs (validity change,
extension, grant) with a crash in the middle and a resume, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import cli
from datasources.backends import Backends, open_backends
from datasources.cache import catalog_snapshot
from datasources.payments.sandbox import SandboxProvider
from datasources.sql.subscription_store import COLUMNS, subscription_from_row
from jobs.lifecycle import LifecycleRunner
from records.catalog import Course
from records.lifecycle_jobs import JobKind, JobState
from records.subscriptions import NewSubscription, Subscription
from settings import Settings
from tests.conftest import graphql, token_for
from tests.factories import add_course

ADMIN = token_for(1, admin=True)
_JOB_FIELDS = "id kind state processed changed total shards { shard processed total finished }"
_JOB = f"query ($id: ID!) {{ job(id: $id) {{ {_JOB_FIELDS} }} }}"
_RESULT = f"""
    ... on LifecycleJobPayload {{ job {{ {_JOB_FIELDS} }} }}
    ... on UserError {{ __typename message }}
    ... on InvalidInput {{ field }}
"""
_CHANGE_VALIDITY = f"""mutation ($course: ID!, $days: Int) {{
    changeCourseValidity(courseId: $course, validityDays: $days) {{ {_RESULT} }} }}"""
_EXTEND = f"""mutation ($course: ID!, $days: Int!) {{
    extendSubscriptions(courseId: $course, days: $days) {{ {_RESULT} }} }}"""
_GRANT = f"""mutation ($course: ID!, $users: [ID!]!) {{
    grantCourse(courseId: $course, userIds: $users) {{ {_RESULT} }} }}"""
_MY_SUBSCRIPTIONS = "{ me { subscriptions(first: 5) { edges { node { courseId expiresAt } } } } }"


class SimulatedCrash(Exception):
    pass


def crash_after(batches: int) -> Any:
    async def hook(job_id: int, done: int) -> None:
        if done >= batches:
            raise SimulatedCrash(f"job {job_id} stopped after {done} batches")

    return hook


def later_runner(backends: Backends, batch_size: int) -> LifecycleRunner:
    """A runner whose clock is past the crashed run's lease, as a restarted process is."""
    return LifecycleRunner(
        backends, batch_size=batch_size, clock=lambda: datetime.now(UTC) + timedelta(minutes=5)
    )


async def course_rows(backends: Backends, course_id: int) -> list[Subscription]:
    rows: list[Subscription] = []
    for engine in backends.shard_engines:
        found = await engine.fetch_all(
            f"SELECT {COLUMNS} FROM user_typing_courses WHERE typing_course_id = ?",
            (course_id,),
        )
        rows += [subscription_from_row(row) for row in found]
    return rows


async def seed(
    backends: Backends, course: Course, users: range, expiry: timedelta | None
) -> list[NewSubscription]:
    base = datetime.now(UTC) - timedelta(days=20)
    enrolments = [
        NewSubscription(
            user,
            course.id,
            enrolled := base + timedelta(minutes=user),
            None if expiry is None else enrolled + expiry,
            "seed",
        )
        for user in users
    ]
    await backends.uncached_subscriptions.bulk_insert(enrolments)
    return enrolments


async def job_count(backends: Backends) -> int:
    row = await backends.catalog_engine.fetch_one("SELECT COUNT(*) FROM lifecycle_jobs")
    assert row is not None
    return int(row[0])


async def test_expiring_subscriptions_soonest_first_within_the_window(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    now = datetime.now(UTC)
    courses = [await add_course(backends) for _ in range(5)]
    expiries = [now + timedelta(days=10), now + timedelta(days=2), None, now - timedelta(days=1)]
    await backends.uncached_subscriptions.bulk_insert(
        [
            NewSubscription(7, c.id, now - timedelta(days=3), e, "seed")
            for c, e in zip(courses, expiries, strict=False)
        ]
        + [NewSubscription(8, courses[4].id, now, now + timedelta(days=1), "seed")]
    )
    await backends.uncached_subscriptions.cancel(7, courses[1].id, now - timedelta(days=2))
    await backends.uncached_subscriptions.bulk_insert(
        [NewSubscription(7, courses[4].id, now, now + timedelta(days=5), "seed")]
    )
    query = """query ($within: Int!, $after: String) { me {
        expiringSubscriptions(withinDays: $within, first: 1, after: $after) {
            edges { node { courseId daysLeft } } pageInfo { hasNextPage endCursor } } } }"""
    token = token_for(7)

    seen: list[str] = []
    after = None
    while True:
        body = await graphql(client, query, {"within": 30, "after": after}, token)
        page = body["data"]["me"]["expiringSubscriptions"]
        seen += [edge["node"]["courseId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # Cancelled (course 1), lifetime (2), expired (3) and other users' rows are left out.
    assert seen == [str(courses[4].id), str(courses[0].id)]

    body = await graphql(client, query, {"within": 7}, token)
    nodes = [e["node"] for e in body["data"]["me"]["expiringSubscriptions"]["edges"]]
    assert nodes == [{"courseId": str(courses[4].id), "daysLeft": 4}]

    for within in (0, 366):
        body = await graphql(client, query, {"within": within}, token)
        assert body["data"] is None
        assert "withinDays" in body["errors"][0]["message"]
    body = await graphql(client, query, {"within": 5})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_validity_change_over_every_shard_survives_a_crash_and_resume(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, validity_days=30)
    await seed(backends, course, range(1, 10_001), timedelta(days=30))
    per_shard = [
        len(await e.fetch_all("SELECT id FROM user_typing_courses")) for e in backends.shard_engines
    ]
    assert all(count > 0 for count in per_shard) and sum(per_shard) == 10_000
    watched = token_for(5)
    before = await graphql(client, _MY_SUBSCRIPTIONS, token=watched)  # now cached

    body = await graphql(client, _CHANGE_VALIDITY, {"course": str(course.id), "days": 45}, ADMIN)
    job = body["data"]["changeCourseValidity"]["job"]
    assert (job["kind"], job["state"], job["processed"]) == ("CHANGE_COURSE_VALIDITY", "QUEUED", 0)
    job_id = int(job["id"])
    changed_course = (await backends.catalog.get_courses([course.id]))[course.id]
    assert changed_course.validity_days == 45

    crashing = LifecycleRunner(backends, batch_size=500, after_batch=crash_after(6))
    with pytest.raises(SimulatedCrash):
        await crashing.run_once(job_id)
    midway = (await graphql(client, _JOB, {"id": str(job_id)}, ADMIN))["data"]["job"]
    assert midway["state"] == "RUNNING"
    assert midway["total"] == 10_000
    assert 0 < midway["processed"] < 10_000
    rows = await course_rows(backends, course.id)
    updated = sum(r.expires_at == r.enrolled_at + timedelta(days=45) for r in rows)
    assert 0 < updated < 10_000
    # The crashed run still holds its lease: a runner now must not take the job over.
    assert await LifecycleRunner(backends).resume_all() == []

    assert await later_runner(backends, 500).resume_all() == [job_id]

    rows = await course_rows(backends, course.id)
    assert len(rows) == 10_000
    assert all(r.expires_at == r.enrolled_at + timedelta(days=45) for r in rows)
    done = (await graphql(client, _JOB, {"id": str(job_id)}, ADMIN))["data"]["job"]
    assert (done["state"], done["processed"], done["total"]) == ("DONE", 10_000, 10_000)
    assert done["changed"] == 10_000
    assert all(shard["finished"] for shard in done["shards"])
    assert len(done["shards"]) == len(backends.shard_engines)

    after = await graphql(client, _MY_SUBSCRIPTIONS, token=watched)
    old = before["data"]["me"]["subscriptions"]["edges"][0]["node"]["expiresAt"]
    new = after["data"]["me"]["subscriptions"]["edges"][0]["node"]["expiresAt"]
    parsed = datetime.fromisoformat(new) - datetime.fromisoformat(old)
    assert parsed == timedelta(days=15)


_START = """mutation ($c: ID!, $k: String!) { startCheckout(courseId: $c, idempotencyKey: $k) {
    ... on StartCheckoutSuccess { order { orderId } } } }"""
_CONFIRM = """mutation ($o: String!, $p: String!, $s: String!) {
    confirmPayment(orderId: $o, paymentId: $p, signature: $s) { __typename } }"""


async def _buy(
    client: httpx.AsyncClient, sandbox: SandboxProvider, user_id: int, course: Course, key: str
) -> None:
    token = token_for(user_id)
    started = await graphql(client, _START, {"c": str(course.id), "k": key}, token)
    order_id = started["data"]["startCheckout"]["order"]["orderId"]
    payment_id, signature = sandbox.pay(order_id)
    variables = {"o": order_id, "p": payment_id, "s": signature}
    confirmed = await graphql(client, _CONFIRM, variables, token)
    assert confirmed["data"]["confirmPayment"]["__typename"] == "ConfirmPaymentSuccess"


async def _run_job(client: httpx.AsyncClient, backends: Backends, mutation: str, **v: Any) -> None:
    body = await graphql(client, mutation, {"course": v.pop("course"), **v}, ADMIN)
    job = next(iter(body["data"].values()))["job"]
    finished = await LifecycleRunner(backends).run_once(int(job["id"]))
    assert finished is not None and finished.state is JobState.DONE


async def test_a_validity_change_keeps_every_extension_and_renewal(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    """expires_at = enrolled_at + validity + renewal and extension days: a change of validity
    re-derives the first part only (domain/subscriptions/expiry.py)."""
    backends.payments = sandbox = SandboxProvider()
    course = await add_course(backends, validity_days=30, price_paise=49_900)
    extended, renewed = 41, 42
    for user in (extended, renewed):
        await _buy(client, sandbox, user, course, "first")
    await _buy(client, sandbox, renewed, course, "renewal")  # +30 days while active
    await _run_job(client, backends, _EXTEND, course=str(course.id), days=10)  # everyone +10

    await _run_job(client, backends, _CHANGE_VALIDITY, course=str(course.id), days=90)

    rows = {row.user_id: row for row in await course_rows(backends, course.id)}
    expected = {extended: 90 + 10, renewed: 90 + 30 + 10}
    for user, days in expected.items():
        row = rows[user]
        assert row.expires_at == row.enrolled_at + timedelta(days=days), user
    await _run_job(client, backends, _CHANGE_VALIDITY, course=str(course.id), days=7)
    shorter = {row.user_id: row for row in await course_rows(backends, course.id)}
    assert shorter[renewed].expires_at == shorter[renewed].enrolled_at + timedelta(days=7 + 40)


async def test_a_job_run_by_another_process_reads_the_validity_of_now(
    client: httpx.AsyncClient,
    backends: Backends,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog_snapshot, "RECHECK_SECONDS", 3600.0)
    course = await add_course(backends, validity_days=30)
    await seed(backends, course, range(1, 41), timedelta(days=30))
    other_process = await open_backends(settings)
    try:
        # Its catalog in memory holds the course as it was before the change.
        assert (await other_process.catalog.get_courses([course.id]))[course.id].validity_days == 30
        body = await graphql(
            client, _CHANGE_VALIDITY, {"course": str(course.id), "days": 90}, ADMIN
        )
        job_id = int(body["data"]["changeCourseValidity"]["job"]["id"])
        finished = await LifecycleRunner(other_process, batch_size=16).run_once(job_id)
    finally:
        await other_process.close()
    assert finished is not None and finished.state is JobState.DONE
    rows = await course_rows(backends, course.id)
    assert len(rows) == 40
    assert all(r.expires_at == r.enrolled_at + timedelta(days=90) for r in rows)


async def test_lifetime_validity_clears_every_expiry(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, validity_days=30)
    await seed(backends, course, range(1, 301), timedelta(days=30))
    body = await graphql(client, _CHANGE_VALIDITY, {"course": str(course.id), "days": None}, ADMIN)
    job_id = int(body["data"]["changeCourseValidity"]["job"]["id"])
    finished = await LifecycleRunner(backends, batch_size=64).run_once(job_id)
    assert finished is not None and finished.state is JobState.DONE
    assert all(r.expires_at is None for r in await course_rows(backends, course.id))


async def test_extension_is_applied_once_even_when_a_crash_lost_the_progress_record(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, validity_days=30)
    active = await seed(backends, course, range(1, 2_001), timedelta(days=30))
    expired = await seed(backends, course, range(3_001, 3_101), timedelta(days=1))
    lifetime = await seed(backends, course, range(4_001, 4_051), None)
    body = await graphql(client, _EXTEND, {"course": str(course.id), "days": 10}, ADMIN)
    job_id = int(body["data"]["extendSubscriptions"]["job"]["id"])

    with pytest.raises(SimulatedCrash):
        await LifecycleRunner(backends, batch_size=100, after_batch=crash_after(5)).run_once(job_id)
    # Worst case: the crash also lost the mirrored progress; the shards' cursors still hold.
    await backends.catalog_engine.execute(
        "UPDATE lifecycle_jobs SET shard_progress = '{}' WHERE id = ?", (job_id,)
    )
    assert await later_runner(backends, 100).resume_all() == [job_id]
    # A second run of a finished job changes nothing.
    assert await later_runner(backends, 100).run_once(job_id) is None

    by_user = {r.user_id: r for r in await course_rows(backends, course.id)}
    for e in active:
        assert e.expires_at is not None
        assert by_user[e.user_id].expires_at == e.expires_at + timedelta(days=10)
    for e in [*expired, *lifetime]:
        assert by_user[e.user_id].expires_at == e.expires_at
    job = await backends.jobs.get(job_id)
    assert job is not None
    assert (job.state, job.processed, job.changed) == (JobState.DONE, 2_150, 2_000)


async def test_grant_creates_or_extends_once_per_user_across_a_crash(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    now = datetime.now(UTC)
    course = await add_course(backends, validity_days=30)
    lifetime_course = await add_course(backends, validity_days=None)
    soon = now + timedelta(days=5)
    await backends.uncached_subscriptions.bulk_insert(
        [
            NewSubscription(11, course.id, now - timedelta(days=25), soon, "seed"),
            NewSubscription(12, course.id, now - timedelta(days=60), now - timedelta(days=30), "s"),
            NewSubscription(13, course.id, now - timedelta(days=1), None, "seed"),
        ]
    )
    users = [str(u) for u in (11, 12, 13, 14, 15, 16, 14)]
    body = await graphql(client, _GRANT, {"course": str(course.id), "users": users}, ADMIN)
    job_id = int(body["data"]["grantCourse"]["job"]["id"])

    with pytest.raises(SimulatedCrash):
        await LifecycleRunner(backends, batch_size=1, after_batch=crash_after(2)).run_once(job_id)
    assert await later_runner(backends, 1).resume_all() == [job_id]

    by_user = {r.user_id: r for r in await course_rows(backends, course.id)}
    assert sorted(by_user) == [11, 12, 13, 14, 15, 16]
    assert by_user[11].expires_at == soon + timedelta(days=30)  # extended from its end, once
    assert by_user[13].expires_at is None  # lifetime stays lifetime
    for restarted in (12, 14, 15, 16):  # ended or new: 30 days from the run
        row = by_user[restarted]
        assert row.expires_at is not None and row.is_active_at(now)
        assert row.expires_at - row.enrolled_at == timedelta(days=30)
        assert row.source == f"grant:{job_id}"
    job = await backends.jobs.get(job_id)
    assert job is not None and (job.state, job.processed, job.changed) == (JobState.DONE, 6, 5)

    body = await graphql(
        client, _GRANT, {"course": str(lifetime_course.id), "users": ["11"]}, ADMIN
    )
    lifetime_job = int(body["data"]["grantCourse"]["job"]["id"])
    await LifecycleRunner(backends).run_once(lifetime_job)
    granted = await backends.uncached_subscriptions.get(11, lifetime_course.id)
    assert granted is not None and granted.expires_at is None


async def test_bad_input_and_non_admins_write_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, validity_days=30)
    cid = str(course.id)
    cases: list[tuple[str, dict[str, Any], str | None, str]] = [
        (_CHANGE_VALIDITY, {"course": cid, "days": 45}, token_for(2), "Forbidden"),
        (_CHANGE_VALIDITY, {"course": cid, "days": 45}, None, "Unauthenticated"),
        (_CHANGE_VALIDITY, {"course": cid, "days": 0}, ADMIN, "InvalidInput"),
        (_CHANGE_VALIDITY, {"course": "x1", "days": 45}, ADMIN, "InvalidInput"),
        (_CHANGE_VALIDITY, {"course": "999999", "days": 45}, ADMIN, "NotFound"),
        (_EXTEND, {"course": cid, "days": 0}, ADMIN, "InvalidInput"),
        (_EXTEND, {"course": cid, "days": 3651}, ADMIN, "InvalidInput"),
        (_EXTEND, {"course": cid, "days": 5}, token_for(2), "Forbidden"),
        (_GRANT, {"course": cid, "users": []}, ADMIN, "InvalidInput"),
        (_GRANT, {"course": cid, "users": [str(u) for u in range(1, 1002)]}, ADMIN, "InvalidInput"),
        (_GRANT, {"course": cid, "users": ["7", "-3"]}, ADMIN, "InvalidInput"),
        (_GRANT, {"course": cid, "users": ["7"]}, token_for(7), "Forbidden"),
    ]
    for mutation, variables, token, expected in cases:
        body = await graphql(client, mutation, variables, token)
        (result,) = body["data"].values()
        assert result["__typename"] == expected, (variables, result)
    assert await job_count(backends) == 0
    assert (await backends.catalog.get_courses([course.id]))[course.id].validity_days == 30

    body = await graphql(client, _GRANT, {"course": cid, "users": ["7"] * 1000}, ADMIN)
    job = body["data"]["grantCourse"]["job"]
    assert job["state"] == "QUEUED"  # the cap counts ids given; duplicates are granted once
    body = await graphql(client, _JOB, {"id": job["id"]}, token_for(7))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await graphql(client, _JOB, {"id": "12345"}, ADMIN)
    assert body["data"]["job"] is None


async def test_a_stopped_runner_hands_the_job_back_at_once(backends: Backends) -> None:
    course = await add_course(backends, validity_days=30)
    await seed(backends, course, range(1, 401), timedelta(days=30))
    job = await backends.jobs.create(
        JobKind.EXTEND_SUBSCRIPTIONS, {"course_id": course.id, "days": 3}, datetime.now(UTC)
    )
    stop = asyncio.Event()

    async def stop_after_first(job_id: int, done: int) -> None:
        stop.set()

    stopping = LifecycleRunner(backends, batch_size=50, after_batch=stop_after_first, stop=stop)
    stopped = await stopping.run_once(job.id)
    assert stopped is not None and stopped.state is JobState.QUEUED
    assert 0 < stopped.processed < 400

    # No lease to wait for: a runner with the real clock takes it up at once.
    assert await LifecycleRunner(backends, batch_size=50).resume_all() == [job.id]
    rows = await course_rows(backends, course.id)
    assert all(r.expires_at == r.enrolled_at + timedelta(days=33) for r in rows)


def test_coursegate_jobs_once_runs_what_is_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, embedded_shards=2, jwt_secret="unused")

    async def queue_a_grant() -> tuple[int, int]:
        opened = await open_backends(settings)
        try:
            await opened.migrate()
            course = await add_course(opened, validity_days=None)
            job = await opened.jobs.create(
                JobKind.GRANT_COURSE,
                {"course_id": course.id, "user_ids": [5, 9]},
                datetime.now(UTC),
            )
            return course.id, job.id
        finally:
            await opened.close()

    async def job_and_grants(course_id: int, job_id: int) -> tuple[JobState | None, list[int]]:
        opened = await open_backends(settings)
        try:
            job = await opened.jobs.get(job_id)
            rows = await course_rows(opened, course_id)
            return (None if job is None else job.state), sorted(r.user_id for r in rows)
        finally:
            await opened.close()

    course_id, job_id = asyncio.run(queue_a_grant())
    monkeypatch.setenv("COURSEGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSEGATE_EMBEDDED_SHARDS", "2")
    assert cli.main(["jobs", "--once"]) == 0
    assert asyncio.run(job_and_grants(course_id, job_id)) == (JobState.DONE, [5, 9])
