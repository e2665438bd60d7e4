"""Every user's courses on one shard, a batch at a time, for the recommendation job: users in
primary-key order, each with all their courses (any status: what a user once took says what
they like), oldest enrolment first. A batch holds at most `batch` rows plus one user's."""

from __future__ import annotations

from collections.abc import AsyncIterator

from datasources.sql.engine import Dialect, SqlEngine

BATCH = 20_000
UserCourses = tuple[int, list[int]]  # a user id and their course ids, oldest enrolment first

# Whole seconds as an integer: ordering needs no datetime objects, which cost more to make than
# the rest of the row.
_ENROLLED_SECONDS = {
    Dialect.MYSQL: "TO_SECONDS(enrolled_at)",
    Dialect.SQLITE: "CAST(strftime('%s', enrolled_at) AS INTEGER)",
}


async def users_courses(shard: SqlEngine, batch: int = BATCH) -> AsyncIterator[list[UserCourses]]:
    last: tuple[int, int] | None = None
    pending: list[tuple[int, int, int]] = []  # the last user's rows: more may follow
    while True:
        after = "" if last is None else " WHERE user_id > ? OR (user_id = ? AND id > ?)"
        params = [] if last is None else [last[0], last[0], last[1]]
        rows = await shard.fetch_all(
            f"SELECT user_id, id, typing_course_id, {_ENROLLED_SECONDS[shard.dialect]}"
            f" FROM user_typing_courses{after} ORDER BY user_id, id LIMIT ?",
            [*params, batch],
        )
        if rows:
            last = (int(rows[-1][0]), int(rows[-1][1]))
        complete = len(rows) < batch
        ordered = [*pending, *((int(r[0]), int(r[3] or 0), int(r[2])) for r in rows)]
        pending = [] if complete else _last_user(ordered)
        if len(ordered) > len(pending):
            yield _by_user(ordered[: len(ordered) - len(pending)])
        if complete:
            return


def _last_user(rows: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The rows of the last user: the next batch may hold more of theirs."""
    start = len(rows)
    while start > 0 and rows[start - 1][0] == rows[-1][0]:
        start -= 1
    return rows[start:]


def _by_user(rows: list[tuple[int, int, int]]) -> list[UserCourses]:
    """(user, enrolled seconds, course) rows in user order -> each user's courses by time."""
    users: list[UserCourses] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][0] != rows[start][0]:
            taken = sorted(rows[start:i], key=lambda r: (r[1], r[2]))
            users.append((rows[start][0], [course for _, _, course in taken]))
            start = i
    return users
