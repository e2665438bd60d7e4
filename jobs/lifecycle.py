"""Runs admin lifecycle jobs (validity change, extension, grant) over every shard in batches.

A run claims the job with a lease, works on all shards concurrently, one short transaction
per batch (see `datasources/sql/lifecycle_batches.py` for why a batch applies exactly once),
invalidates the changed users' cached subscriptions after each commit and mirrors progress
into the job row, renewing the lease. A run that dies leaves the lease to expire; the next
`resume_all` (the gateway's task for the embedded default, `coursegate jobs` in production)
takes the job up where each shard's cursor stands.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from datasources.sql import lifecycle_batches as batches
from datasources.sql.engine import retry_on_conflict
from domain.subscriptions.expiry import after_grant, running_access
from records.catalog import Course
from records.lifecycle_jobs import JobKind, JobState, LifecycleJob, ShardProgress
from records.subscriptions import Access, Subscription

log = logging.getLogger("coursegate.lifecycle")

BATCH_SIZE = 500
LEASE = timedelta(seconds=60)
POLL_SECONDS = 1.0
ERROR_BACKOFF_SECONDS = 5.0
GRANT_SOURCE_PREFIX = "grant:"

Clock = Callable[[], datetime]
# Called after each committed batch with (job id, batches committed in this run); tests use
# it to stop a run in the middle.
AfterBatch = Callable[[int, int], Awaitable[None]]


class LostClaim(Exception):
    """Another runner took the job over (this run's lease expired)."""


class CourseGone(Exception):
    """The job's course no longer exists."""


def renewal_for(
    current: Subscription | None, now: datetime, validity_days: int | None
) -> Access | None:
    """A grant: a new or ended subscription starts now; an active one is extended from its
    current end; lifetime access stays as it is."""
    return after_grant(running_access(current, now), now, validity_days)


class LifecycleRunner:
    def __init__(
        self,
        backends: Backends,
        batch_size: int = BATCH_SIZE,
        lease: timedelta = LEASE,
        clock: Clock = lambda: datetime.now(UTC),
        after_batch: AfterBatch | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.backends = backends
        self.jobs = backends.jobs
        self.batch_size = batch_size
        self.lease = lease
        self.clock = clock
        self.after_batch = after_batch
        # Set: every shard stops after its current batch and the job goes back to the queue.
        self.stop = stop or asyncio.Event()

    async def resume_all(self) -> list[int]:
        """Runs every queued job and every job whose runner died, oldest first; returns the
        ids of the jobs this call ran."""
        ran: list[int] = []
        for job_id in await self.jobs.claimable_ids(self.clock()):
            if self.stop.is_set():
                break
            if await self.run_once(job_id) is not None:
                ran.append(job_id)
        return ran

    async def run_once(self, job_id: int) -> LifecycleJob | None:
        """Runs the job to its end; None if it is not claimable (ended, or another runner
        holds it). Errors other than a missing course propagate and leave the job to resume;
        a stop request hands the job back to the queue."""
        token = uuid.uuid4().hex
        now = self.clock()
        job = await self.jobs.claim(job_id, token, now, now + self.lease)
        if job is None:
            return None
        try:
            finished = await _JobRun(self, job, token).run()
        except CourseGone:
            await self.jobs.finish(
                job_id, token, JobState.FAILED, "the course no longer exists", self.clock()
            )
        else:
            if finished:
                await self.jobs.finish(job_id, token, JobState.DONE, None, self.clock())
            else:  # stopping: no need to wait for the lease to end before the next run
                await self.jobs.release(job_id, token, self.clock())
        return await self.jobs.get(job_id)

    async def run(self, poll_seconds: float = POLL_SECONDS) -> None:
        """Resumes jobs until `stop` is set; errors are logged and retried after a pause."""
        while not self.stop.is_set():
            pause = poll_seconds
            try:
                await self.resume_all()
            except Exception:
                log.exception("lifecycle job failed; retrying in %.0fs", ERROR_BACKOFF_SECONDS)
                pause = ERROR_BACKOFF_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), pause)


class _JobRun:
    """One claimed run of one job: per-shard workers and the progress they share."""

    def __init__(self, runner: LifecycleRunner, job: LifecycleJob, token: str) -> None:
        self._runner = runner
        self._backends = runner.backends
        self._job = job
        self._token = token
        self._progress: dict[int, ShardProgress] = dict(job.shards)
        self._progress_lock = asyncio.Lock()
        self._batches = 0
        self._course_id = int(job.params["course_id"])
        self._grantees: dict[int, list[int]] = defaultdict(list)
        for user_id in job.params.get("user_ids", []):
            shard = self._backends.uncached_subscriptions.bucket_map.shard_for(int(user_id))
            self._grantees[shard].append(int(user_id))

    def _shards_in_scope(self) -> list[int]:
        if self._job.kind is JobKind.GRANT_COURSE:
            return sorted(self._grantees)
        return list(range(len(self._backends.shard_engines)))

    async def run(self) -> bool:
        """True when every shard finished; False when stopped in between."""
        await self._course()  # fails early when the course is gone
        shards = self._shards_in_scope()
        await self._count_totals(shards)
        try:
            async with asyncio.TaskGroup() as group:
                for shard in shards:
                    group.create_task(self._work_on(shard))
        except BaseExceptionGroup as failures:
            raise failures.exceptions[0] from None
        return all(self._progress[shard].finished for shard in shards)

    async def _course(self) -> Course:
        courses = await self._backends.uncached_catalog.get_courses([self._course_id])
        if self._course_id not in courses:
            raise CourseGone(self._course_id)
        return courses[self._course_id]

    async def _count_totals(self, shards: list[int]) -> None:
        engines = self._backends.shard_engines
        for shard in shards:
            if self._progress.get(shard, ShardProgress()).total is not None:
                continue
            if self._job.kind is JobKind.GRANT_COURSE:
                total = len(set(self._grantees[shard]))
            else:
                total = await batches.count_course_rows(engines[shard], self._course_id)
            cursor = await batches.read_cursor(engines[shard], self._job.id)
            self._progress[shard] = ShardProgress(
                cursor.processed, cursor.changed, total, cursor.finished
            )
        await self._record()

    async def _work_on(self, shard: int) -> None:
        while not self._progress[shard].finished and not self._runner.stop.is_set():
            outcome = await retry_on_conflict(lambda: self._batch(shard))
            if outcome.changed_users:
                await self._backends.subscriptions.invalidate(outcome.changed_users)
            cursor = outcome.cursor
            total = self._progress[shard].total
            self._progress[shard] = ShardProgress(
                cursor.processed, cursor.changed, total, cursor.finished
            )
            await self._record()
            self._batches += 1
            if self._runner.after_batch is not None:
                await self._runner.after_batch(self._job.id, self._batches)

    async def _batch(self, shard: int) -> batches.BatchOutcome:
        engine = self._backends.shard_engines[shard]
        job, now, size = self._job, self._runner.clock(), self._runner.batch_size
        if job.kind is JobKind.CHANGE_COURSE_VALIDITY:
            # The course row is the truth: whichever validity job runs last, rows end
            # matching the course's current validity.
            validity = (await self._course()).validity_days
            return await batches.recompute_validity_batch(
                engine, self._backends.ids, job.id, self._course_id, validity, now, size
            )
        if job.kind is JobKind.EXTEND_SUBSCRIPTIONS:
            days = int(job.params["days"])
            return await batches.extend_batch(
                engine, self._backends.ids, job.id, self._course_id, days, now, size
            )
        validity = (await self._course()).validity_days
        return await batches.grant_batch(
            engine,
            self._backends.ids,
            job.id,
            self._course_id,
            self._grantees[shard],
            lambda current: renewal_for(current, now, validity),
            f"{GRANT_SOURCE_PREFIX}{job.id}",
            now,
            size,
        )

    async def _record(self) -> None:
        async with self._progress_lock:
            now = self._runner.clock()
            kept = await self._runner.jobs.record_progress(
                self._job.id, self._token, self._progress, now, now + self._runner.lease
            )
        if not kept:
            raise LostClaim(self._job.id)
