"""Exercise results on the user's shard, beside their subscriptions: every attempt in
`exercise_results`, and per exercise a running standing in `exercise_standings` (attempts, best
speed, accuracy sum, passed), so a course's progress reads one row per exercise however often
the user practised."""

from __future__ import annotations

from datasources.ids import IdGenerator
from datasources.sql.engine import Row, SqlEngine, retry_on_conflict
from datasources.sql.shard_router import ShardRouter
from datasources.sql.timestamps import from_db_required
from records.content import ExerciseAttempt, ExerciseStanding

_STANDING_COLUMNS = (
    "exercise_id, lesson_id, attempts, best_wpm, accuracy_sum, passed, last_submitted_at"
)


def _standing_from_row(row: Row) -> ExerciseStanding:
    return ExerciseStanding(
        exercise_id=int(row[0]),
        lesson_id=int(row[1]),
        attempts=int(row[2]),
        best_wpm=float(row[3]),
        accuracy_sum=float(row[4]),
        passed=bool(row[5]),
        last_submitted_at=from_db_required(row[6]),
    )


class ShardedProgressStore:
    def __init__(self, router: ShardRouter, ids: IdGenerator):
        self._router = router
        self._ids = ids

    def _shard_for(self, user_id: int) -> SqlEngine:
        return self._router.shard_for(user_id)

    async def record(self, attempt: ExerciseAttempt) -> ExerciseStanding:
        """Stores the attempt and folds it into the standing, in one transaction."""
        result_id = self._ids.next_id()

        async def write() -> ExerciseStanding:
            async with self._router.writing(attempt.user_id) as (_, tx):
                await tx.execute(
                    "INSERT INTO exercise_results (id, user_id, course_id, lesson_id, exercise_id,"
                    " wpm, accuracy, duration_ms, passed, submitted_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        result_id,
                        attempt.user_id,
                        attempt.course_id,
                        attempt.lesson_id,
                        attempt.exercise_id,
                        attempt.wpm,
                        attempt.accuracy,
                        attempt.duration_ms,
                        int(attempt.passed),
                        attempt.submitted_at,
                    ),
                )
                key = (attempt.user_id, attempt.exercise_id)
                updated = await tx.execute(
                    "UPDATE exercise_standings SET attempts = attempts + 1,"
                    " best_wpm = CASE WHEN best_wpm < ? THEN ? ELSE best_wpm END,"
                    " accuracy_sum = accuracy_sum + ?,"
                    " passed = CASE WHEN passed = 1 OR ? = 1 THEN 1 ELSE 0 END,"
                    " last_submitted_at = ? WHERE user_id = ? AND exercise_id = ?",
                    (
                        attempt.wpm,
                        attempt.wpm,
                        attempt.accuracy,
                        int(attempt.passed),
                        attempt.submitted_at,
                        *key,
                    ),
                )
                if not updated:
                    # A concurrent first attempt may insert first: the retry then updates.
                    await tx.execute(
                        "INSERT INTO exercise_standings (user_id, exercise_id, course_id,"
                        " lesson_id, attempts, best_wpm, accuracy_sum, passed,"
                        " last_submitted_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                        (
                            *key,
                            attempt.course_id,
                            attempt.lesson_id,
                            attempt.wpm,
                            attempt.accuracy,
                            int(attempt.passed),
                            attempt.submitted_at,
                        ),
                    )
                row = await tx.fetch_one(
                    f"SELECT {_STANDING_COLUMNS} FROM exercise_standings"
                    " WHERE user_id = ? AND exercise_id = ?",
                    key,
                )
                assert row is not None
                return _standing_from_row(row)

        return await retry_on_conflict(write)

    async def standings(self, user_id: int, course_id: int) -> list[ExerciseStanding]:
        rows = await self._shard_for(user_id).fetch_all(
            f"SELECT {_STANDING_COLUMNS} FROM exercise_standings"
            " WHERE user_id = ? AND course_id = ?",
            (user_id, course_id),
        )
        return [_standing_from_row(row) for row in rows]
