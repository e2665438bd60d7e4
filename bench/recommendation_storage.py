"""Per-course model against per-user top-N: what each costs in Redis memory and per request.

    python -m bench.recommendation_storage [--courses 10000] [--users 200000] [--sample 20000]

Builds a model from synthetic users with latent interests (no database: the generator and the
model builder directly), writes every course's entry and a sample of users' precomputed top-10
to a Redis database of its own (15, emptied first and after), and reads `used_memory` before and
after each, so the figures are Redis's own accounting, key overhead included. Then times, per
user of the sample, the request-time blend (`blended_picks` + the popularity fill) against
decoding a precomputed entry, and extrapolates both memories to 30 M users.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import redis

from datasources.recommendation_codec import decode_neighbours, encode_course, encode_neighbours
from domain.recommendations.model import BLEND_WEIGHT, ModelBuilder
from domain.recommendations.popularity import scopes_of
from domain.recommendations.ranking import blended_picks, popular_picks, top_picks
from jobs.demo_data import synthetic_courses
from jobs.synthetic_interests import latent_interest_enrolments
from records.catalog import Course
from records.recommendations import Neighbours

REDIS_URL = "redis://127.0.0.1:6379/15"
TARGET_USERS = 30_000_000
TOP_N = 10


def _courses(count: int) -> list[Course]:
    now = datetime.now(UTC)
    return [d.as_course(i, now) for i, d in enumerate(synthetic_courses(count), start=1)]


def _used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def _written(client: redis.Redis, items: dict[str, bytes]) -> int:
    """Bytes of Redis memory the items take."""
    before = _used_memory(client)
    keys = list(items)
    for start in range(0, len(keys), 1000):
        with client.pipeline(transaction=False) as pipe:
            for key in keys[start : start + 1000]:
                pipe.set(key, items[key], ex=86_400)
            pipe.execute()
    return _used_memory(client) - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()
    courses = _courses(args.courses)
    by_id = {c.id: c for c in courses}
    builder = ModelBuilder(courses)
    taken_by_user: dict[int, list[int]] = {}
    for row in latent_interest_enrolments(courses, args.users, 2, 1, datetime.now(UTC)):
        taken_by_user.setdefault(row.user_id, []).append(row.course_id)
    for taken in taken_by_user.values():
        builder.add_user(taken)
    model = builder.build()
    sample = list(taken_by_user.items())[: args.sample]

    def recommend(taken_oldest_first: list[int]) -> list[int]:
        taken = list(reversed(taken_oldest_first))
        owned = set(taken)
        scoped = [
            (s, model.popular[s])
            for s in scopes_of([by_id[c] for c in taken])
            if s in model.popular
        ]
        picks = blended_picks(taken, model.neighbours, BLEND_WEIGHT, owned, TOP_N)
        return [p.course_id for p in top_picks(picks, popular_picks(scoped, owned), TOP_N)]

    timings = []
    precomputed: dict[str, bytes] = {}
    for user_id, taken in sample:
        started = time.perf_counter()
        top = recommend(taken)
        timings.append(time.perf_counter() - started)
        precomputed[f"bench:user:{user_id}:recommendations"] = encode_neighbours(
            Neighbours(tuple(top), tuple(1.0 for _ in top))
        )
    decode_timings = []
    for raw in precomputed.values():
        started = time.perf_counter()
        decode_neighbours(raw)
        decode_timings.append(time.perf_counter() - started)

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        per_course = _written(
            client,
            {f"bench:course:{c}": encode_course(n) for c, n in model.neighbours.items()},
        )
        per_user_sample = _written(client, precomputed)
    finally:
        client.flushdb()
    per_user = per_user_sample / len(precomputed)
    print(f"model of {args.courses:,} courses from {builder.subscriptions:,} subscriptions")
    print("| storage | Redis memory | per request (median) |")
    print("|---|---|---|")
    print(
        f"| per course, blended per request | {per_course / 2**20:,.1f} MiB for every user"
        f" | {statistics.median(timings) * 1e6:,.0f} µs blend (p99"
        f" {statistics.quantiles(timings, n=100)[98] * 1e6:,.0f} µs) |"
    )
    print(
        f"| per user, top {TOP_N} precomputed | {per_user:,.0f} B per user:"
        f" {per_user * TARGET_USERS / 2**30:,.1f} GiB at {TARGET_USERS:,} users"
        f" | {statistics.median(decode_timings) * 1e6:,.1f} µs decode |"
    )


if __name__ == "__main__":
    main()
